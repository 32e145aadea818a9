/**
 * The way back to the trained level (runtime/scoring/trained-level.ts): a state that learnt a slow fault under the gate
 * steps back to the trained level once the machine is back there, instead of holding the alert open for good; a fault
 * that grows instead, or a window that fits the learnt state, leaves it alone.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { ModelCard } from '../../runtime/model/card.ts';
import type { ResidualModel } from '../../runtime/scoring/mahalanobis.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { backToTrained, RETURN_MARGIN, RETURN_STEP, returnMeans, returnOffsets } from '../../runtime/scoring/trained-level.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { tinyCard } from '../stream/helpers.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';

const model = (trend?: number[]): ResidualModel => ({
  mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test',
  tracking: { rate: 0.01, below: 1, input: 0.01, ...(trend ? { trend } : {}) },
});

describe('backToTrained', () => {
  const d0 = new Float64Array(2);
  const y = new Float64Array(2);
  // The learnt offsets took 2 off channel 0's input; the input is back at the trained level, so the residual is -2.
  const r = Float64Array.from([-2, 0.1]);
  const applied = Float64Array.from([2, 0]);

  it('is true for a window at the alert level against the learnt state and normal against the trained level', () => {
    expect(backToTrained(r, 0, 2, 2.1, model(), applied, d0, y)).toBe(true);
    expect(Array.from(d0)).toEqual([0, 0.1]);
  });

  it('is false for a window the trained level does not explain a margin better, or not under the gate, and on a trending channel', () => {
    // Against the trained level the window scores 0.005 (0.1 on channel 1): a learnt state at 1 + 0.005 - 0.001 is not
    // a margin (1 gate) worse; at 1.006 it is, though under the alert level (2 gates).
    expect(backToTrained(r, 0, 2, RETURN_MARGIN + 0.004, model(), applied, d0, y)).toBe(false);
    expect(backToTrained(r, 0, 2, RETURN_MARGIN + 0.006, model(), applied, d0, y)).toBe(true);
    // Without the offset's shift, the residual is what it is: -2 against the trained mean, 2 per channel (gate 1).
    expect(backToTrained(r, 0, 2, 5, model(), new Float64Array(2), d0, y)).toBe(false);
    // A trending channel keeps its offset in the trained view (the climb goes on): -2 again.
    expect(backToTrained(r, 0, 2, 5, model([0.1, 0]), applied, d0, y)).toBe(false);
    // No tracking, no learnt state to doubt.
    expect(backToTrained(r, 0, 2, 5, { ...model(), tracking: undefined }, applied, d0, y)).toBe(false);
  });

  it('steps means and offsets RETURN_STEP of the way back, a trending channel\'s offset not', () => {
    // Towards the card's means (2, -2), not towards 0.
    const state = Float64Array.from([1, -1, 0, 0, 4, 4]);
    returnMeans(state, { ...model(), mean: [2, -2] });
    returnOffsets(state, 4, 2, [0.1, 0]);
    expect(Array.from(state)).toEqual([1 + RETURN_STEP, -1 - RETURN_STEP, 0, 0, 4, 4 - 4 * RETURN_STEP]);
  });
});

/** One channel, window 2, span 1, gate 1 (the bar it is half of: 2); means at `rate` and inputs at `input` under the gate. */
function cardWith(tracking: { rate: number; input?: number }): ModelCard {
  const card = structuredClone(tinyCard);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { below: 1, ...tracking } } };
  return card;
}

/**
 * Scores of 900 windows through inferBatches with a model that knows only the trained level (it reconstructs 0, so
 * the residual is the input as shifted): a slow fault creeping from 0 to 2.1 over 300 windows (learnt under the gate),
 * then `after` for 600 windows.
 */
async function slowFaultThen(card: ModelCard, after: number): Promise<number[]> {
  const session = {
    provider: 'fake/trained-level',
    run: async (input: Float32Array, n: number) => ({ reconstruction: new Float32Array(n * 2), extra: {} }),
    close: async () => {},
  };
  const x = (k: number) => (k < 300 ? 0.007 * k : after);
  const ws: SensorWindow[] = Array.from({ length: 900 }, (_, k) => ({ sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([0, x(k)]), scaler: tinyCard.scaler }));
  const batches: SensorWindow[][] = [];
  for (let i = 0; i < ws.length; i += 8) batches.push(ws.slice(i, i + 8));
  const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session }, { residuals: new TrackedResiduals() }), toArray()));
  return out.map((w) => w.score);
}

describe('a slow fault learnt under the gate, through inferBatches', () => {
  for (const [name, tracking] of [['input offsets', { rate: 0, input: 0.05 }], ['residual means', { rate: 0.05 }]] as const) {
    it(`learnt by the ${name}: the alert ends once the machine is back at the trained level`, async () => {
      const scores = await slowFaultThen(cardWith(tracking), 0);
      // Learnt: the creep stays under the gate.
      expect(Math.max(...scores.slice(0, 300))).toBeLessThan(1);
      // The return shows against what was learnt (about 2 away: an alert, over the bar of 2 gates) ...
      expect(scores[300]).toBeGreaterThan(2);
      // ... and the state steps back: well under the gate again within 200 windows, and learning from there on.
      expect(Math.max(...scores.slice(500))).toBeLessThan(0.1);
    });

    it(`learnt by the ${name}: a fault that grows instead keeps its alert`, async () => {
      // From about 2 to 4: 2 over the learnt level, 4 over the trained one; neither is normal.
      const scores = await slowFaultThen(cardWith(tracking), 4);
      expect(Math.min(...scores.slice(310))).toBeGreaterThan(2);
    });
  }
});

/** Two channels, window 2, span 1, gate 1, card means away from 0, correlated residuals; `tracking` added to the card's. */
function twoChannels(tracking: Record<string, unknown> = {}): ModelCard {
  const card = structuredClone(tinyModel({ window: 2, channels: ['a', 'b'] }).card);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [1.5, -1], precision: [1, 0.3, 0.3, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.03, below: 1, input: 0.05, ...tracking } } };
  return card;
}

/**
 * Two sensors' windows interleaved (p two in three): channel a creeps from its trained level (1.5) by 2.1 over 300
 * windows, then is back; b moves a little around its own (-1). The model reconstructs 0, so the residual is the
 * input as shifted. Batches of `sizes` in turn, `concurrency` calls in flight; the scores by sensor and window.
 */
async function interleaved(card: ModelCard, sizes: number[], concurrency: number, residuals = new TrackedResiduals()): Promise<Map<string, number>> {
  const session = { provider: 'fake/trained-level', concurrency, run: async (input: Float32Array, n: number) => ({ reconstruction: new Float32Array(n * 4), extra: {} }), close: async () => {} };
  const x = (k: number) => [1.5 + (k < 300 ? 0.007 * k : 0), -1 + 0.2 * Math.sin(k / 5)];
  const ws: SensorWindow[] = Array.from({ length: 900 }, (_, k) => ({ sensor: k % 3 === 0 ? 'q' : 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([1.5, -1, ...x(k)]), scaler: card.scaler }));
  const batches: SensorWindow[][] = [];
  for (let i = 0, j = 0; i < ws.length; j++) {
    batches.push(ws.slice(i, i + sizes[j % sizes.length]));
    i += sizes[j % sizes.length];
  }
  const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session }, { residuals, maxBatch: 64 }), toArray()));
  return new Map(out.map((w) => [`${w.sensor}:${w.seq}`, w.score]));
}

/** Sensor p's scores of windows `from` to `to` (their seq; p has two in three). */
const ofP = (scores: Map<string, number>, from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, k) => scores.get(`p:${from + k + 1}`)).filter((v): v is number => v !== undefined);

describe('the way back with two channels, card means away from 0, two sensors', () => {
  for (const [name, tracking] of [['means and offsets', {}], ['with level drift', { drift: [0.01, 0.01] }], ['with a trending channel', { trend: [0, 0.01] }]] as const) {
    it(`${name}: every window scores the same however the windows fall into batches, and the alert ends`, async () => {
      const card = twoChannels(tracking);
      const one = await interleaved(card, [1], 1);
      // Back at the trained level from window 300 on: over the bar against what was learnt, then back under the gate.
      expect(Math.max(...ofP(one, 300, 306))).toBeGreaterThan(2);
      expect(Math.max(...ofP(one, 750, 900))).toBeLessThan(1);
      for (const sizes of [[7], [5, 37, 2, 64, 11], [200]]) {
        const other = await interleaved(card, sizes, 2);
        expect([...other].filter(([k, v]) => one.get(k) !== v)).toEqual([]);
      }
    });
  }

  it('turned off in the card (`tracking.back: false`), the learnt state holds the alert open', async () => {
    const scores = await interleaved(twoChannels({ back: false }), [8], 1);
    expect(Math.min(...ofP(scores, 750, 900))).toBeGreaterThan(1);
  });
});
