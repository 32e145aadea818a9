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
    const state = Float64Array.from([1, -1, 0, 0, 4, 4]);
    returnMeans(state, model());
    returnOffsets(state, 4, 2, [0.1, 0]);
    expect(Array.from(state)).toEqual([1 - RETURN_STEP, -1 + RETURN_STEP, 0, 0, 4, 4 - 4 * RETURN_STEP]);
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
