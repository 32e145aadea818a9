import { describe, expect, it } from 'vitest';
import { decodeFloats } from '../../runtime/util/float-state.ts';
import { fitResidualModel, invertSpd, mahalanobisScores, spanResiduals } from '../../runtime/scoring/mahalanobis.ts';
import { ResidualBaselines, TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { reconstructionScores, topContributors } from '../../runtime/scoring/reconstruction.ts';
import { createRng } from '../../runtime/util/prng.ts';

/** Residuals of two channels that move together (x2 = x1 + small noise), n windows. */
function correlated(n: number, seed: number): Float64Array {
  const rng = createRng(seed, 'residuals');
  const gauss = () => rng.normal();
  const r = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = gauss();
    r[i * 2] = a;
    r[i * 2 + 1] = a + 0.1 * gauss();
  }
  return r;
}

/** A snapshot's states as numbers (they are saved as f64 strings). */
const means = (snap: Record<string, unknown>) => Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, decodeFloats(v)]));

describe('residual Mahalanobis scoring', () => {
  it('invertSpd gives the inverse of a symmetric positive-definite matrix', () => {
    const m = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
    const inv = invertSpd(m, 3);
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += m[a * 3 + k] * inv[k * 3 + b];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    }
    expect(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });

  it('scores a broken relationship far above an equally large usual one, where the squared error cannot tell them apart', () => {
    const model = fitResidualModel(correlated(2000, 7), 2, 'test');
    expect(model.shrinkage).toBeGreaterThanOrEqual(0);
    expect(model.shrinkage).toBeLessThan(0.2);
    // Windows of 1 row x 2 channels; reconstruction 0, so the residual is the input.
    const input = Float32Array.from([1, 1, 1, -1]);
    const output = new Float32Array(4);
    const maha = mahalanobisScores(input, output, 2, 1, 2, 1, model);
    const mse = reconstructionScores(input, output, 2, 1, 2, { error: 'mse', span: 1 });
    expect(mse.scores[0]).toBe(mse.scores[1]);
    expect(maha.scores[1]).toBeGreaterThan(20 * maha.scores[0]);
    // Each channel's contribution is what fixing it alone would take off the score: (P d)_c² / P_cc / C.
    const P = model.precision;
    for (const c of [0, 1]) {
      const pd = P[c * 2] * (1 - model.mean[0]) + P[c * 2 + 1] * (-1 - model.mean[1]);
      expect(Math.abs(maha.perChannel[2 + c] - (pd * pd) / P[c * 3] / 2)).toBeLessThan(1e-5 * maha.perChannel[2 + c]);
    }
  });

  it('gives each channel a contribution, never negative, where the terms of the sum gave a coupled bystander a negative share', () => {
    // Channels 0 and 1 move together (residual correlation 0.995, like pump speed and current); channel 2 is loose.
    const rng = createRng(11);
    const n = 3000;
    const r = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      r[i * 3] = z;
      r[i * 3 + 1] = 0.995 * z + 0.0999 * rng.normal();
      r[i * 3 + 2] = rng.normal();
    }
    const model = fitResidualModel(r, 3, 'test');
    // A 4 sd fault on channel 2 with small side effects on the coupled pair's reconstruction.
    const d = [0.5, 0.2, 4];
    const maha = mahalanobisScores(Float32Array.from(d), new Float32Array(3), 1, 1, 3, 1, model);
    const P = model.precision;
    const pd = [0, 1, 2].map((c) => [0, 1, 2].reduce((s, k) => s + P[c * 3 + k] * (d[k] - model.mean[k]), 0));
    const terms = pd.map((v, c) => ((d[c] - model.mean[c]) * v) / 3);
    // The terms of the sum (what perChannel was) give channel 1 a negative share ...
    expect(terms[1]).toBeLessThan(-1);
    expect(terms[0] + terms[1] + terms[2]).toBeCloseTo(maha.scores[0], 3);
    // ... the contributions are (P d)_c² / P_cc / C, all positive, and the faulty channel's is the largest.
    for (const c of [0, 1, 2]) expect(Math.abs(maha.perChannel[c] - (pd[c] * pd[c]) / P[c * 4] / 3)).toBeLessThan(1e-5 * maha.perChannel[c]);
    expect(Math.min(...maha.perChannel)).toBeGreaterThan(0);
    expect(maha.perChannel[2]).toBeGreaterThan(2 * Math.max(maha.perChannel[0], maha.perChannel[1]));
  });

  it('averages the signed residual over the trailing span rows only', () => {
    // 1 window, 3 rows x 1 channel: residuals 5, 1, 3; span 2 -> mean of 1 and 3.
    const r = spanResiduals(Float32Array.from([5, 1, 3]), new Float32Array(3), 1, 3, 1, 2);
    expect(r[0]).toBe(2);
  });

  it('keeps a channel whose residual never moved invertible', () => {
    const r = new Float64Array(200);
    for (let i = 0; i < 100; i++) r[i * 2] = Math.sin(i);
    const model = fitResidualModel(r, 2, 'test');
    expect(model.precision.every(Number.isFinite)).toBe(true);
  });

  it('shares alert contributions among the positive terms only', () => {
    const top = topContributors([3, -1, 1], ['a', 'b', 'c'], 3);
    expect(top).toEqual([{ channel: 'a', share: 0.75 }, { channel: 'c', share: 0.25 }, { channel: 'b', share: 0 }]);
  });
});

describe('tracked residual means', () => {
  const residual = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.5, below: 100 } };
  const card = { scoring: { error: 'mahalanobis', span: 1, residual } };

  it('moves a sensor mean towards windows scoring under the gate, never towards one above it', () => {
    const mean = Float64Array.from([0, 0]);
    // Window 1: residual (2, 0), score 2 < 100: mean moves halfway. Window 2: residual (100, 100), score 10,000: no move.
    mahalanobisScores(Float32Array.from([2, 0, 100, 100]), new Float32Array(4), 2, 1, 2, 1, residual, () => mean);
    expect(Array.from(mean)).toEqual([1, 0]);
  });

  it('restores saved means into the first model, starts a swapped-in model from its own card, and saves what it holds', () => {
    const tracked = new TrackedResiduals({ a: [3, 4], bad: [1] });
    expect(means(tracked.snapshot())).toEqual({ a: [3, 4], bad: [1] });
    expect(Array.from(tracked.for(card)!.of('a'))).toEqual([3, 4]);
    expect(Array.from(tracked.for(card)!.of('b'))).toEqual([0, 0]);
    const swapped = { scoring: { ...card.scoring, residual: { ...residual, mean: [7, 7] } } };
    expect(Array.from(tracked.for(swapped)!.of('a'))).toEqual([7, 7]);
    expect(means(tracked.snapshot())).toEqual({ a: [7, 7] });
    expect(tracked.for({ scoring: { error: 'mse' } })).toBeUndefined();
  });

  it('a model swapped back in (a rollback loads the same card again) resumes the means it had learnt', () => {
    const tracked = new TrackedResiduals();
    tracked.for(card)!.of('a')[0] = 5;
    const adapted = { scoring: { ...card.scoring, residual: { ...residual, mean: [7, 7] } } };
    expect(Array.from(tracked.for(adapted)!.of('a'))).toEqual([7, 7]);
    const rolledBack = JSON.parse(JSON.stringify(card)) as typeof card;
    expect(Array.from(tracked.for(rolledBack)!.of('a'))).toEqual([5, 0]);
    expect(means(tracked.snapshot(rolledBack))).toEqual({ a: [5, 0] });
  });

  it('saves only means of the model in service: none of a model swapped out, none restored into another model', () => {
    const other = { scoring: { ...card.scoring, residual: { ...residual, mean: [7, 7] } } };
    const plain = { scoring: { error: 'mse' } };
    // Means learnt under `card`, then `other` (or a model that does not track) is swapped in and has scored nothing yet.
    const tracked = new TrackedResiduals({}, 10, card);
    tracked.for(card)!.of('a')[0] = 5;
    expect(means(tracked.snapshot(card))).toEqual({ a: [5, 0] });
    expect(means(tracked.snapshot(other))).toEqual({});
    expect(means(tracked.snapshot(plain))).toEqual({});
    // Means saved under `card`, but `other` is in service before any window was scored.
    const restarted = new TrackedResiduals({ a: [3, 4] }, 10, card);
    expect(means(restarted.snapshot(card))).toEqual({ a: [3, 4] });
    expect(means(restarted.snapshot(other))).toEqual({});
    expect(Array.from(restarted.for(other)!.of('a'))).toEqual([7, 7]);
  });
});

describe('residual baselines', () => {
  it('stay bounded by maxSensors through a restore: the means saved last (most recently seen) are kept', () => {
    const model = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test' };
    const b = new ResidualBaselines(model, 3);
    const saved = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((s, i) => [s, [i, i]]));
    expect(b.restore(saved)).toEqual([]);
    expect(Object.keys(b.snapshot())).toEqual(['c', 'd', 'e']);
    expect(decodeFloats(b.snapshot().e)).toEqual([4, 4]);
    // A sensor seen after the restore still takes the least recently seen one's place.
    b.of('f');
    expect(Object.keys(b.snapshot())).toEqual(['d', 'e', 'f']);
  });
});
