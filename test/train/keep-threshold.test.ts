/**
 * An adapted card that keeps its parent's bar maps what it scores onto that bar, and its adapt check judges the
 * child by the scores it will serve with: with the spread, whose scale follows the bar, every window's score again.
 */
import { describe, expect, it } from 'vitest';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { keepThreshold } from '../../train/adapt/keep-threshold.ts';
import { cardScoring, type ExportedScored } from '../../train/score-exported.ts';

const W = 16;
const C = 3;

/** N windows of a slow sine per channel plus noise; windows in `rough` have channel 1's noise x 8. */
function windows(n: number, rough: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * W * C);
  for (let i = 0; i < n; i++) for (let t = 0; t < W; t++) for (let c = 0; c < C; c++) {
    x[i * W * C + t * C + c] = Math.sin((i + t) / 20 + c) + (c === 1 && rough.includes(i) ? 8 : 1) * 0.05 * rng.normal();
  }
  return x;
}

describe('keepThreshold', () => {
  it('rescales the spread onto the kept bar and scores every window again as the card now scores them', () => {
    const n = 300;
    const data = windows(n, [], 7);
    const all = { data, count: n };
    // A reconstruction off by a little noise: the squared error is the model's statistic.
    const rng = createRng(8);
    const out = { recon: data.map((v) => v + 0.02 * rng.normal()), samples: new Float32Array(0) } as unknown as ExportedScored;
    const options = { window: W, channels: C, score: 'error' as const, loss: 'mse' as const, span: 4, samples: 0, track: 0, spread: true, thresholdRisk: 1e-3 };
    const cs = cardScoring(all, out, { from: 0, count: 200 }, { from: 200, count: 100 }, options);
    const own = cs.threshold.value;
    const before = Float32Array.from(cs.scores);
    // Later windows, one roughened, scored by the child's own calibration.
    const later = windows(4, [2], 9);
    const laterRecon = later.map((v) => v + 0.02 * rng.normal());
    const score = (scoring: typeof cs.scoring) => scoreOutputs(later, { reconstruction: laterRecon, extra: {} }, 4, W, C, scoring).scores;
    const ownScores = score(structuredClone(cs.scoring));
    expect(ownScores[2]).toBeGreaterThan(own);

    const parent = structuredClone(tinyModel({ window: W, channels: ['a', 'b', 'c'] }).card);
    parent.threshold.static = { value: 3 * own, method: 'pot-exponential(test)' };
    keepThreshold(cs, parent, { all, out, window: W, channels: C });
    expect(cs.threshold.value).toBe(3 * own);
    expect(cs.scoring.flatline?.score).toBe(2 * 3 * own);
    // What the card will serve with, window by window.
    const served = scoreOutputs(data, { reconstruction: out.recon, extra: {} }, n, W, C, { ...cs.scoring, flatline: undefined }).scores;
    expect(Array.from(cs.scores)).toEqual(Array.from(served));
    // A roughened window the spread scored keeps its place against the bar: 3x the score under a 3x bar.
    expect(score(cs.scoring)[2] / cs.threshold.value).toBeCloseTo(ownScores[2] / own, 4);
    // And the windows it scored: whichever scored above the child's bar by the spread is scored higher now.
    expect(Array.from(cs.scores)).not.toEqual(Array.from(before));
    // Without the windows, the scores stay as they were (the bar and scale still move).
    const again = cardScoring(all, out, { from: 0, count: 200 }, { from: 200, count: 100 }, options);
    keepThreshold(again, parent);
    expect(Array.from(again.scores)).toEqual(Array.from(before));
  });
});
