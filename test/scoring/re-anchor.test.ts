/**
 * An operator's word on a sensor (runtime/scoring/re-anchor.ts). Marked normal after its level stepped to a new normal
 * (which tracking never learns: every window is over the gate), its state is set from its next windows: no window
 * scores higher meanwhile, those in flight when the offsets were set included, the windows after score as normal, and
 * a change from the new level alerts again. Marked normal during a fault and then repaired, it alerts at the trained
 * level until sent back to training. Refusals, replacement, and what a model swap does to an anchor in progress.
 */
import { describe, expect, it } from 'vitest';
import { Subject, type Observable } from 'rxjs';
import type { ModelCard } from '../../runtime/model/card.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { anchorAfter, anchorBefore, startAnchor } from '../../runtime/scoring/re-anchor.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import { learnInputOffsets } from '../../runtime/scoring/input-offsets.ts';
import type { ScoredWindow, SensorWindow } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

/** Two channels, window 2, span 1, gate 1 (bar 2), the residual model's means away from 0; `tracking` added. */
function cardWith(tracking: Record<string, unknown>): ModelCard {
  const card = structuredClone(tinyModel({ window: 2, channels: ['a', 'b'] }).card);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0.5, -1], precision: [1, 0.3, 0.3, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, ...tracking } } };
  return card;
}

/** Channel a: creeps 0.5 -> 0.9 over windows 0-99 (learnt under the gate), then steps to 3.5 (a new duty). */
const stepped = (k: number) => (k < 100 ? 0.5 + 0.004 * k : 3.5);

/**
 * Scores of sensor p's 400 windows through inferBatches with a model that reconstructs 0 (the residual is the input
 * as shifted), in batches of 4, two model calls in flight; channel a follows `level`, b stays about its mean.
 * `commands`: before the batch holding window `at`, p gets the command. `ahead`: batches sent before the one before
 * them is scored (windows in flight when an anchor sets the offsets).
 */
async function run(card: ModelCard, level: (k: number) => number, commands: { at: number; what: 'normal' | 'trained'; windows?: number }[] = [], ahead = 0): Promise<{ scores: number[]; residuals: TrackedResiduals }> {
  const session = {
    provider: 'fake/re-anchor', concurrency: 2,
    run: async (_: Float32Array, n: number) => (await new Promise((r) => setTimeout(r, 1)), { reconstruction: new Float32Array(n * 4), extra: {} }),
    close: async () => {},
  };
  const ws: SensorWindow[] = Array.from({ length: 400 }, (_, k) => ({
    sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1,
    data: Float32Array.from([level(Math.max(0, k - 1)), -1 + 0.1 * Math.sin(k), level(k), -1 + 0.1 * Math.sin(k + 1)]),
    scaler: card.scaler,
  }));
  const residuals = new TrackedResiduals();
  const source = new Subject<SensorWindow[]>();
  const out: ScoredWindow[] = [];
  const scored: Observable<ScoredWindow> = source.pipe(inferBatches({ card, session }, { residuals }));
  const done = new Promise<void>((resolve) => scored.subscribe({ next: (w) => out.push(w), complete: resolve }));
  for (let i = 0; i < ws.length; i += 4) {
    for (const c of commands) if (c.at === i) expect(residuals.anchor(card, 'p', c.what, c.windows ?? 8)).toHaveProperty('started');
    source.next(ws.slice(i, i + 4));
    await waitFor(() => out.length >= i + 4 - 4 * ahead, `windows ${i}-${i + 3} scored`, 5000);
  }
  source.complete();
  await done;
  return { scores: out.map((w) => w.score), residuals };
}

const max = (xs: number[]) => Math.max(...xs);
const VARIANTS = [
  ['residual means', {}],
  ['input offsets and level drift', { input: 0.05, drift: [0.001, 0.001] }],
  ['a trending channel', { input: 0.05, trend: [0, 0.01] }],
] as const;

describe('a sensor marked normal after its level stepped to a new normal', () => {
  for (const [name, tracking] of VARIANTS) {
    for (const ahead of [0, 2]) {
      it(`${name}${ahead ? ', windows in flight' : ''}: alerts until marked, never higher while marked, normal after, a later fault alerts again`, async () => {
        const card = cardWith(tracking);
        // Unmarked, the step is never learnt: every window from it on is over the bar (2).
        const unmarked = await run(card, stepped, [], ahead);
        expect(max(unmarked.scores.slice(0, 100))).toBeLessThan(1);
        expect(Math.min(...unmarked.scores.slice(100))).toBeGreaterThan(2);

        const marked = await run(card, (k) => (k < 300 ? stepped(k) : 6.5), [{ at: 200, what: 'normal' }], ahead);
        expect(marked.scores.slice(0, 200)).toEqual(unmarked.scores.slice(0, 200));
        // While the level is being set, no window scores higher than unmarked (windows in flight when the offsets were
        // set are scored as they were shifted: a review saw them at twice the score).
        expect(max(marked.scores.slice(200, 240))).toBeLessThanOrEqual(max(unmarked.scores.slice(200, 240)) * 1.001);
        // Then the new level is normal: far under the gate.
        expect(max(marked.scores.slice(240, 300))).toBeLessThan(0.05);
        // A change from the new level alerts again.
        expect(Math.min(...marked.scores.slice(300, 310))).toBeGreaterThan(2);
        // The anchor is done and gone.
        expect(marked.residuals.peek(card)!.anchors.of('p')).toBeUndefined();
        expect([...marked.residuals.peek(card)!.anchors.marked]).toEqual(['p']);
      });
    }

    it(`${name}: marked normal during a fault, then repaired: alerts at the trained level until sent back to training`, async () => {
      // Without the way back to the trained level (trained-level.ts), which this model double, whose reconstruction
      // never answers a shift, finds at once; a real model fed inputs shifted out of its range need not (a review).
      const card = cardWith({ ...tracking, back: false });
      // The step (a fault this time) is marked normal at 200; at 300 the machine is back at its trained level (0.5).
      const level = (k: number) => (k < 300 ? stepped(k) : 0.5);
      const kept = await run(card, level, [{ at: 200, what: 'normal' }], 2);
      expect(Math.min(...kept.scores.slice(320))).toBeGreaterThan(2);
      const back = await run(card, level, [{ at: 200, what: 'normal' }, { at: 320, what: 'trained' }], 2);
      // The same until the first command (which windows are in flight at a command depends on timing, and so which
      // ones a card without offsets averages: the levels of the two runs may differ in the last digits from then on).
      expect(back.scores.slice(0, 200)).toEqual(kept.scores.slice(0, 200));
      expect(max(back.scores.slice(312, 340))).toBeLessThanOrEqual(max(kept.scores.slice(300, 340)) * 1.01);
      expect(max(back.scores.slice(340))).toBeLessThan(0.05);
      expect([...back.residuals.peek(card)!.anchors.marked]).toEqual([]);
    });
  }

  it('is refused for a card that follows no level, and for a sensor never scored; a second one replaces the first', async () => {
    const residuals = new TrackedResiduals();
    const card = cardWith({});
    const untracked = structuredClone(card);
    delete untracked.scoring.residual!.tracking;
    expect(residuals.anchor(untracked, 'p', 'normal', 8)).toBe('untracked');
    expect(residuals.anchor(card, 'p', 'normal', 8)).toBe('unseen');
    residuals.for(card)!.of('p');
    expect(residuals.anchor(card, 'q', 'normal', 8)).toBe('unseen');
    const first = residuals.anchor(card, 'p', 'normal', 8);
    expect(first).toMatchObject({ started: { kind: 'normal', windows: 8 } });
    expect(first).not.toHaveProperty('replaced');
    expect(residuals.anchor(card, 'p', 'trained', 0)).toMatchObject({ started: { kind: 'trained' }, replaced: { kind: 'normal', windows: 8 } });
  });

  it('starts over under a model swapped in, and says which sensors marked normal the swap takes back', () => {
    const residuals = new TrackedResiduals();
    const a = cardWith({ input: 0.05 });
    const b = cardWith({ input: 0.03 });
    const told: [object, string[], string[]][] = [];
    residuals.onSwapped = (card, restarted, marked) => told.push([card, restarted, marked]);
    residuals.for(a)!.of('p');
    residuals.for(a)!.of('q');
    residuals.anchor(a, 'p', 'normal', 8);
    residuals.for(a)!.anchors.marked.add('q');
    residuals.for(b);
    expect(told).toEqual([[b, ['p'], ['q']]]);
    expect(residuals.peek(b)!.anchors.of('p')).toMatchObject({ kind: 'normal', windows: 8, seen: 0 });
    // The old model's batches still in flight flip to it and back: nothing restarts, nothing is said again.
    residuals.peek(b)!.anchors.of('p')!.seen = 3;
    residuals.for(a);
    residuals.for(b);
    expect(told).toHaveLength(1);
    expect(residuals.peek(b)!.anchors.of('p')!.seen).toBe(3);
  });
});

describe('a re-anchoring in progress', () => {
  it('teaches the input offsets nothing from the windows it takes, but on trending channels', () => {
    const model = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, input: 0.5, trend: [0, 0.1] } } as never;
    const state = Float64Array.from([0, 0, 0, 0, 0, 0]);
    const shift = { applied: new Float64Array(2), index: Float64Array.from([0]) };
    // Under the gate (0.5 < 1), residual (0.4, 0.4): taken by an anchor, only the trending channel's offset moves.
    learnInputOffsets(Float64Array.from([0.4, 0.4]), Float32Array.from([0.5]), 1, 2, model, shift, () => state, undefined, Uint8Array.from([1]));
    expect(Array.from(state.slice(4))).toEqual([0, 0.1]);
    learnInputOffsets(Float64Array.from([0.4, 0.4]), Float32Array.from([0.5]), 1, 2, model, shift, () => state);
    expect(state[4]).toBeCloseTo(0.2);
  });

  it('is saved as the state before it, and one that replaces it starts from that state', () => {
    const card = cardWith({ input: 0.05 });
    const residuals = new TrackedResiduals();
    const baselines = residuals.for(card)!;
    const state = baselines.of('p');
    state.set([0.7, -0.8, 0, 0, 0.2, 0.1]);
    const before = baselines.meanOf('p');
    residuals.anchor(card, 'p', 'trained', 0);
    // Back to training set the offsets at once; until it is done, a save writes the state before it.
    expect(Array.from(state.slice(4))).toEqual([0, 0]);
    expect(baselines.meanOf('p')).toBe(before);
    // A mark normal instead starts from the state before the return to training, not from its half-set one.
    expect(residuals.anchor(card, 'p', 'normal', 4)).toMatchObject({ replaced: { kind: 'trained' } });
    expect(Array.from(state)).toEqual([0.7, -0.8, 0, 0, 0.2, 0.1]);
    expect(baselines.meanOf('p')).toBe(before);
  });
});

describe('anchorAfter', () => {
  it('with input offsets: the first half sets the offsets from the residuals as measured, up to their bound; the second, shifted by them, the means', () => {
    const model = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, input: 0.05, drift: [0.1, 0.1] }, memory: { lambda: 0.1, scale: 1, clip: 10 } } as never;
    // Means, uncertainties, offsets, memory.
    const state = Float64Array.from([0.1, 0.2, 5, 6, 1, -0.5, 0.7, 0.8]);
    const anchor = startAnchor('normal', 4, state, model);
    expect(anchor).toMatchObject({ windows: 4, first: 2, from: -1 });
    // Residuals of windows shifted by (1, 0) and then (0.5, 0): as measured, (3, 1) and (2.5, 8).
    expect(anchorAfter(anchor, Float64Array.from([2, 1]), 0, 2, Float64Array.from([1, 0]), 0, state, model)).toBe(true);
    expect(anchorAfter(anchor, Float64Array.from([2, 8]), 0, 2, Float64Array.from([0.5, 0]), 1, state, model)).toBe(true);
    // Average as measured (2.75, 4.5): the offsets take it up to their bound (3); the means are not set yet, the
    // memory of the old level is cleared (it scored the second half's windows).
    expect(Array.from(state.slice(4, 6))).toEqual([2.75, 3]);
    expect(state[0]).toBe(0.1);
    expect(Array.from(state.slice(6))).toEqual([0, 0]);
    // What a save writes meanwhile: the state before the anchor.
    expect(Array.from(anchor.prior)).toEqual([0.1, 0.2, 5, 6, 1, -0.5, 0.7, 0.8]);
    // Windows 2-4 were in flight (assembled before), so the new offsets reach window 5 on: 2-4 are passed over.
    anchor.from = 5;
    expect(anchorAfter(anchor, Float64Array.from([9, 9]), 0, 2, Float64Array.from([1, 0]), 2, state, model)).toBe(true);
    expect(anchor.seen).toBe(2);
    // The second half, shifted by the new offsets: the means become its own average, (0.2, 1.4).
    anchorAfter(anchor, Float64Array.from([0.1, 1.5]), 0, 2, Float64Array.from([2.75, 3]), 5, state, model);
    expect(anchorAfter(anchor, Float64Array.from([0.3, 1.3]), 0, 2, Float64Array.from([2.75, 3]), 6, state, model)).toBe(true);
    expect(Array.from(state, (v) => Math.round(v * 1e9) / 1e9)).toEqual([0.2, 1.4, 0, 0, 2.75, 3, 0, 0]);
    // Each level (mean + offset) moved from (1.1, -0.3) to (2.95, 4.4).
    expect(Array.from(anchor.moved!, (m) => Math.round(m * 1e9) / 1e9)).toEqual([1.85, 4.7]);
    // Done: a window after it is the tracker's again.
    expect(anchorAfter(anchor, Float64Array.from([9, 9]), 0, 2, undefined, 7, state, model)).toBe(false);
  });

  it('passes over a window a check holds (a stuck sensor\'s, a spread past its limit): no level is set from it', () => {
    const model = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1 } } as never;
    const state = Float64Array.from([0.1, 0.2]);
    const anchor = startAnchor('normal', 1, state, model);
    expect(anchorAfter(anchor, Float64Array.from([9, 9]), 0, 2, undefined, 0, state, model, true)).toBe(true);
    expect(anchor.seen).toBe(0);
    anchorAfter(anchor, Float64Array.from([1, 2]), 0, 2, undefined, 0, state, model);
    expect(Array.from(state)).toEqual([1, 2]);
  });

  it('back to training: no offsets at once (a trending one kept), the card\'s means at the first window shifted by none', () => {
    const model = { mean: [0.5, -1], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, input: 0.05, trend: [0, 0.01] } } as never;
    const state = Float64Array.from([2, 3, 0, 0, 1.5, 4]);
    const anchor = startAnchor('trained', 0, state, model);
    expect(Array.from(state)).toEqual([2, 3, 0, 0, 0, 4]);
    // In flight before it (index < from): passed over, the means untouched.
    anchorBefore(anchor, anchor.from - 1, state, model);
    expect(anchorAfter(anchor, Float64Array.from([9, 9]), 0, 2, undefined, anchor.from - 1, state, model)).toBe(true);
    expect(state[0]).toBe(2);
    anchorBefore(anchor, anchor.from, state, model);
    expect(Array.from(state)).toEqual([0.5, -1, 0, 0, 0, 4]);
    expect(anchorAfter(anchor, Float64Array.from([9, 9]), 0, 2, undefined, anchor.from, state, model)).toBe(false);
  });
});
