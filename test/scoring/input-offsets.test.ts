/**
 * Input offsets that follow a sensor's residual (runtime/scoring/input-offsets.ts): the pure steps, then through
 * inferBatches with a saturating model double, as a channel drifting out of the trained range meets a real one.
 */
import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray, from } from 'rxjs';
import type { ModelCard } from '../../runtime/model/card.ts';
import { learnInputOffsets, MAX_INPUT_OFFSET, MIN_INPUT_SHIFT, offsetsAt, seededValues, shiftInputs, unshiftInputs } from '../../runtime/scoring/input-offsets.ts';
import { trackedState, type ResidualModel } from '../../runtime/scoring/mahalanobis.ts';
import { decodeFloats } from '../../runtime/util/float-state.ts';
import { ResidualBaselines, TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { tinyCard } from '../stream/helpers.ts';

const model = (input?: number, drift?: number[]): ResidualModel => ({
  mean: [0.1, 0],
  precision: [1, 0, 0, 1],
  shrinkage: 0,
  windows: 10,
  method: 'test',
  tracking: { rate: 0.01, below: 5, ...(drift ? { drift } : {}), ...(input !== undefined ? { input } : {}) },
});

describe('input offsets', () => {
  it('stop at MAX_INPUT_OFFSET: a channel the model copies through cannot wind them up without bound', () => {
    const m = model(0.5);
    const state = trackedState(m);
    // The residual never answers the shift (as on a channel the model copies through): 100 windows of residual +1.
    for (let k = 0; k < 100; k++) learnInputOffsets(Float64Array.from([1.1, 0]), Float32Array.from([0]), 1, 2, m, { applied: Float64Array.from([state[4], state[5]]), index: Float64Array.from([k]) }, () => state);
    expect(state[4]).toBe(MAX_INPUT_OFFSET);
  });

  it('a seed measured on unshifted windows goes into the offsets for a card that tracks inputs (the means start at the card)', () => {
    expect(seededValues(model(0.5), [1.1, -0.5])).toEqual([0.1, 0, 0, 0, 1, -0.5]);
    expect(seededValues(model(0.5), [9, 0])).toEqual([0.1, 0, 0, 0, MAX_INPUT_OFFSET, 0]);
    expect(seededValues(model(), [1.1, -0.5])).toEqual([1.1, -0.5]);
    const card = { scoring: { error: 'mahalanobis', residual: model(0.5) } };
    const tracked = new TrackedResiduals();
    tracked.seed(card, { p: [1.1, -0.5] });
    expect(Array.from(tracked.for(card)!.of('p'))).toEqual([0.1, 0, 0, 0, 1, -0.5]);
  });

  it('live after the means and level uncertainties of a tracked state, only when the card tracks inputs', () => {
    expect(trackedState(model()).length).toBe(2);
    expect(trackedState(model(undefined, [0, 0])).length).toBe(4);
    expect(trackedState(model(0.5)).length).toBe(6);
    expect(offsetsAt(model(0.5))).toBe(4);
    expect(offsetsAt(model())).toBe(-1);
  });

  it('are saved and restored with the state (negative offsets too); a state saved before inputs were tracked starts them at 0', () => {
    const b = new ResidualBaselines(model(0.5));
    b.of('s').set([0.2, -0.1, 0, 0, -1.5, 2]);
    const back = new ResidualBaselines(model(0.5));
    expect(back.restore(b.snapshot())).toEqual([]);
    expect(Array.from(back.of('s'))).toEqual([0.2, -0.1, 0, 0, -1.5, 2]);
    const old = new ResidualBaselines(model(0.5));
    expect(old.restore({ s: [0.2, -0.1], t: [1, 2, 3] })).toEqual(['t']);
    expect(Array.from(old.of('s'))).toEqual([0.2, -0.1, 0, 0, 0, 0]);
    // Negative level uncertainties are still refused.
    expect(new ResidualBaselines(model(0.5)).restore({ s: [0, 0, -1, 0, 0, 0] })).toEqual(['s']);
  });

  it('shift every row of each window by its sensor offsets and put them back exactly', () => {
    const m = model(0.5);
    const states = [trackedState(m), trackedState(m)];
    states[0].set([2, -1], 4);
    const input = Float32Array.from([1, 1, 2, 2, 3, 3, /* window 2 */ 4, 4, 5, 5, 6, 6]);
    const before = input.slice();
    const shift = shiftInputs(input, 2, 3, 2, m, (i) => states[i])!;
    expect(Array.from(shift.applied)).toEqual([2, -1, 0, 0]);
    expect(Array.from(shift.index)).toEqual([0, 0]);
    expect(Array.from(input)).toEqual([-1, 2, 0, 3, 1, 4, 4, 4, 5, 5, 6, 6]);
    unshiftInputs(input, 2, 3, 2, shift.applied);
    expect(input).toEqual(before);
    // An offset within the noise of its own learning (under MIN_INPUT_SHIFT) is neither applied nor recorded.
    const fresh = [trackedState(m), trackedState(m)];
    fresh[0].set([2, -1], 4);
    fresh[1].set([MIN_INPUT_SHIFT / 2, -MIN_INPUT_SHIFT], 4);
    const small = shiftInputs(input, 2, 3, 2, m, (i) => fresh[i])!;
    expect(Array.from(small.applied)).toEqual([2, -1, 0, -MIN_INPUT_SHIFT]);
    expect(input[6]).toBe(4);
    expect(input[7]).toBeCloseTo(4 + MIN_INPUT_SHIFT, 6);
    unshiftInputs(input, 2, 3, 2, small.applied);
    expect(input).toEqual(before);
    // A card without input tracking shifts nothing.
    expect(shiftInputs(input, 2, 3, 2, model(), () => trackedState(model()))).toBeUndefined();
    expect(input).toEqual(before);
  });

  it('learn from windows under the gate only, as if scored one after another (k windows: k steps, not k x one step)', () => {
    const m = model(0.5);
    const state = trackedState(m);
    // Three windows of one sensor in one batch, all measured with offsets 0, each leaving residual mean + [1, -2].
    const r = Float64Array.from([1.1, -2, 1.1, -2, 1.1, -2]);
    learnInputOffsets(r, Float32Array.from([1, 1, 1]), 3, 2, m, { applied: new Float64Array(6), index: Float64Array.from([0, 1, 2]) }, () => state);
    // Sequential: o_k = (1 - 0.5^k) x [1, -2]; three windows at the same step each would overshoot to 1.5 x.
    expect(state[4]).toBeCloseTo(0.875, 12);
    expect(state[5]).toBeCloseTo(-1.75, 12);
    expect(Array.from(state.subarray(0, 4))).toEqual([0.1, 0, 0, 0]);
    // A window at or above the gate (below = 5) never moves them, nor does a NaN score.
    learnInputOffsets(Float64Array.from([10, 10, 10, 10]), Float32Array.from([5, Number.NaN]), 2, 2, m, { applied: new Float64Array(4), index: Float64Array.from([3, 4]) }, () => state);
    expect(state[4]).toBeCloseTo(0.875, 12);
  });

  it('a window a stuck sensor alone holds moves the other channels\' offsets on its own statistic, never the stuck one\'s', () => {
    const m = model(0.5);
    const state = trackedState(m);
    // One window, residual mean + [1, -2], raised to 10 by the stuck-sensor check (gate 5); channel 1 stuck, statistic 1.
    const r = Float64Array.from([1.1, -2]);
    learnInputOffsets(r, Float32Array.from([10]), 1, 2, m, { applied: new Float64Array(2), index: Float64Array.from([0]) }, () => state, undefined, undefined, { channel: [2], statistic: Float32Array.from([1]) });
    expect(state[4]).toBeCloseTo(0.5, 12);
    expect(state[5]).toBe(0);
    // Its statistic over the gate: nothing moves.
    const over = trackedState(m);
    learnInputOffsets(r, Float32Array.from([10]), 1, 2, m, { applied: new Float64Array(2), index: Float64Array.from([0]) }, () => over, undefined, undefined, { channel: [2], statistic: Float32Array.from([6]) });
    expect([over[4], over[5]]).toEqual([0, 0]);
  });
});

/** Window 2 x 1 channel, span 1, Mahalanobis on the residual with unit precision and inputs that follow at `input`. */
function cardWith(input: number | undefined): ModelCard {
  const card = structuredClone(tinyCard);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0, below: 4, ...(input !== undefined ? { input } : {}) } } };
  return card;
}

/** A model that knows values up to 1 and reconstructs anything above as 1 (an autoencoder out of its range). */
function saturating() {
  const seen: number[] = [];
  return {
    seen,
    session: {
      provider: 'fake/saturating',
      run: async (input: Float32Array, n: number) => {
        seen.push(...input.subarray(0, n * 2).filter((_, k) => k % 2 === 1));
        return { reconstruction: input.slice(0, n * 2).map((v) => Math.min(v, 1)), extra: {} };
      },
      close: async () => {},
    },
  };
}

/** A slow drift: the last value of window k is 0.5 + 0.01 k, out of the model's range from k = 51. */
const drifting = (n: number): SensorWindow[] =>
  Array.from({ length: n }, (_, k) => ({ sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([0, 0.5 + 0.01 * k]), scaler: tinyCard.scaler }));

async function scoreDrift(input: number | undefined, batch: number) {
  const card = cardWith(input);
  const model = saturating();
  const residuals = new TrackedResiduals();
  const windows = drifting(200);
  const batches: SensorWindow[][] = [];
  for (let i = 0; i < windows.length; i += batch) batches.push(windows.slice(i, i + batch));
  const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session: model.session }, { residuals, maxBatch: batch }), toArray()));
  return { scores: out.map((w) => w.score), seen: model.seen, windows, state: residuals.for(card)!.of('p') };
}

describe('inputs that follow the residual, through inferBatches', () => {
  it('keep a drifting channel in the range the model knows, so its slow drift stops alerting', async () => {
    const off = await scoreDrift(undefined, 8);
    const on = await scoreDrift(0.05, 8);
    // Without: the residual grows with the drift past the range, 1.49 at the end: score 2.2, over half the gate.
    expect(off.scores.at(-1)).toBeGreaterThan(2);
    // With: the model is fed shifted inputs that stay near its range, and the residual stays small.
    // (Offsets reach a window 16 to 48 windows after they are learnt, input-blocks.ts: this drift, 0.01 a window, far
    // faster than the ambient, runs up to about 0.5 ahead of them; without them it reaches 2.5.)
    expect(Math.max(...on.seen)).toBeLessThan(1.6);
    expect(on.scores.at(-1)).toBeLessThan(0.3);
    expect(on.state[2]).toBeGreaterThan(0.5);
    // The windows are put back as measured after scoring (what the reservoir would keep).
    expect(on.windows.at(-1)!.data[1]).toBeCloseTo(0.5 + 0.01 * 199, 5);
  });

  it('score and learn exactly the same whether a backlog comes in batches of 1, 7, 32 or 200', async () => {
    const one = await scoreDrift(0.05, 1);
    expect(one.state[2]).toBeGreaterThan(0.5);
    // Each window is shifted by the offsets of its sensor's block two blocks back (input-blocks.ts), whatever batch
    // it came in: scores and offsets are the same to the last bit.
    for (const batch of [7, 32, 200]) {
      const other = await scoreDrift(0.05, batch);
      expect(other.scores, `batch ${batch}`).toEqual(one.scores);
      expect(Array.from(other.state), `batch ${batch}`).toEqual(Array.from(one.state));
    }
  });

  it('score the same for interleaved sensors whatever the batching, with two batches in flight on a worker-like session', async () => {
    // Two sensors drifting at different rates, their windows interleaved; pushed one at a time, or in chunks of
    // uneven sizes into a session that takes two batches at once and answers them in random order of delay.
    const windows: SensorWindow[] = [];
    for (let k = 0; k < 150; k++) {
      for (const [sensor, rate] of [['a', 0.01], ['b', 0.004]] as const) {
        windows.push({ sensor, seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([0, 0.5 + rate * k]), scaler: tinyCard.scaler });
      }
    }
    const run = async (chunks: number[], concurrency: number) => {
      const card = cardWith(0.05);
      const residuals = new TrackedResiduals();
      const rand = (() => { let x = 7; return () => ((x = (x * 16807) % 2147483647) / 2147483647); })();
      const session = {
        provider: 'fake/saturating', concurrency,
        run: async (input: Float32Array, n: number) => {
          await new Promise((r) => setTimeout(r, Math.floor(rand() * 3)));
          return { reconstruction: input.slice(0, n * 2).map((v) => Math.min(v, 1)), extra: {} };
        },
        close: async () => {},
      };
      const copy = windows.map((w) => ({ ...w, data: w.data.slice() }));
      const batches: SensorWindow[][] = [];
      for (let i = 0, j = 0; i < copy.length; j++) {
        const size = chunks[j % chunks.length];
        batches.push(copy.slice(i, i + size));
        i += size;
      }
      const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session }, { residuals, maxBatch: 64 }), toArray()));
      return Object.fromEntries(['a', 'b'].map((s) => [s, out.filter((w) => w.sensor === s).map((w) => [w.seq, w.score])]));
    };
    const single = await run([1], 1);
    expect(single.a).toHaveLength(150);
    expect(await run([5, 37, 2, 64, 11], 1)).toEqual(single);
    expect(await run([300], 2)).toEqual(single);
    expect(await run([3, 90, 17], 2)).toEqual(single);
  });

  it('a restart (the state saved, restored into a fresh process) and a session taking 3 batches at once score on as one uninterrupted run', async () => {
    const card = cardWith(0.05);
    const windows = drifting(200);
    const session = (concurrency = 1) => ({
      provider: 'fake/saturating', concurrency,
      run: async (input: Float32Array, n: number) => ({ reconstruction: input.slice(0, n * 2).map((v) => Math.min(v, 1)), extra: {} }),
      close: async () => {},
    });
    const scoreAll = async (ws: SensorWindow[], residuals: TrackedResiduals, concurrency = 1) =>
      (await lastValueFrom(from(ws.map((w) => [{ ...w, data: w.data.slice() }])).pipe(inferBatches({ card, session: session(concurrency) }, { residuals, maxBatch: 64 }), toArray()))).map((w) => w.score);
    const whole = await scoreAll(windows, new TrackedResiduals());
    // 107 windows (mid-block), saved as the state file saves them, restored into new baselines, then the rest.
    const first = new TrackedResiduals();
    const before = await scoreAll(windows.slice(0, 107), first);
    const saved = JSON.parse(JSON.stringify({ states: first.snapshot(card), clocks: first.clocks(card) }));
    // The clock is a field of its own: the state's string is what a vigil without clocks reads.
    expect(decodeFloats(saved.states.p)).toHaveLength(trackedState(card.scoring.residual!).length);
    const after = await scoreAll(windows.slice(107), new TrackedResiduals(saved.states, 10_000, undefined, saved.clocks));
    expect([...before, ...after]).toEqual(whole);
    // Without its clock (a file written by an earlier vigil) the same state restores, its clock starting afresh: it
    // scores on, though not to the bit.
    const bare = await scoreAll(windows.slice(107), new TrackedResiduals(saved.states));
    expect(bare).toHaveLength(after.length);
    expect(bare).not.toEqual(after);
    // More batches in flight than the lag allows are not taken: a 3-batch session scores as a 1-batch one.
    const chunks: SensorWindow[][] = [];
    for (let i = 0; i < windows.length; i += 5) chunks.push(windows.slice(i, i + 5).map((w) => ({ ...w, data: w.data.slice() })));
    const three = (await lastValueFrom(from(chunks).pipe(inferBatches({ card, session: session(3) }, { residuals: new TrackedResiduals(), maxBatch: 64 }), toArray()))).map((w) => w.score);
    expect(three).toEqual(whole);
  });
});
