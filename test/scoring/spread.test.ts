/** Spread: a channel that starts to fluctuate faster, without moving its level, raises the window's score. */
import { describe, expect, it } from 'vitest';
import type { Scoring } from '../../runtime/model/card.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import { spreadReference, spreadStatistics, successiveDifferences, type Spread } from '../../runtime/scoring/spread.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { fitSpread } from '../../train/spread-calibration.ts';

const W = 16;
const C = 3;

/**
 * N windows of a slow sine per channel plus noise of `noise` sd; windows in `rough` have channel 1's noise x `gain`
 * (the same level: only its row-to-row motion changes).
 */
function windows(n: number, { noise = 0.05, rough = [] as number[], gain = 3, seed = 1 } = {}): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * W * C);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < W; t++) {
      for (let c = 0; c < C; c++) {
        const g = c === 1 && rough.includes(i) ? gain : 1;
        x[i * W * C + t * C + c] = Math.sin((i + t) / 20 + c) + g * noise * rng.normal();
      }
    }
  }
  return x;
}

describe('spread', () => {
  it('is the mean square successive difference per channel, over its reference, averaged over channels', () => {
    // One window of 4 rows x 2 channels: channel 0 moves by 1, 2, 1; channel 1 by 0, 4, 2 (the largest move left out).
    const x = Float32Array.from([0, 5, 1, 5, 3, 9, 4, 11]);
    const d = successiveDifferences(x, 1, 4, 2);
    expect(Array.from(d)).toEqual([(1 + 1) / 2, (0 + 4) / 2]);
    expect(spreadReference(d, 2)).toEqual([1, 2]);
    // Against references [1, 1]: ratios 1 and 2.
    expect(spreadStatistics(d, [1, 1], [0, 1])[0]).toBeCloseTo(1.5, 6);
    expect(spreadStatistics(d, [1, 1], [1])[0]).toBeCloseTo(2, 6);
    // A channel that never moved in training counts its motion against the floor, not against 0.
    expect(spreadReference(new Float64Array([0, 1]), 2)[0]).toBeGreaterThan(0);
  });

  it('sees a channel whose noise triples without its level moving, and blames it', () => {
    const train = windows(200, { seed: 2 });
    const diffs = successiveDifferences(train, 200, W, C);
    const spread = fitSpread(spreadReference(diffs, C), diffs, 10, 1e-3, 'test')!;
    expect(spread.limit).toBeGreaterThan(spread.center);
    expect(spread.scale).toBeCloseTo(10 / (spread.limit - spread.center), 9);
    const test = windows(6, { rough: [3, 4], seed: 3 });
    // A perfect reconstruction: the level statistic alone sees nothing in any window.
    const scoring: Scoring = { error: 'mse', span: 4, spread };
    const s = scoreOutputs(test, { reconstruction: test.slice(), extra: {} }, 6, W, C, scoring);
    for (const i of [0, 1, 2, 5]) expect(s.scores[i]).toBeLessThan(10);
    for (const i of [3, 4]) {
      expect(s.scores[i]).toBeGreaterThan(10);
      const terms = Array.from(s.perChannel.subarray(i * C, (i + 1) * C));
      expect(terms.indexOf(Math.max(...terms))).toBe(1);
      expect(terms.reduce((a, b) => a + b, 0)).toBeCloseTo(s.scores[i], 3);
    }
    // A card without the section (older cards, --spread off) scores as before: nothing.
    const plain = scoreOutputs(test, { reconstruction: test.slice(), extra: {} }, 6, W, C, { error: 'mse', span: 4 });
    expect(Math.max(...plain.scores)).toBe(0);
  });

  it('blames only channels that roughened: no channel term is negative, and they still sum to the score', () => {
    const train = windows(200, { seed: 2 });
    const diffs = successiveDifferences(train, 200, W, C);
    const spread = fitSpread(spreadReference(diffs, C), diffs, 10, 1e-3, 'test')!;
    const test = windows(1, { rough: [0], gain: 6, seed: 11 });
    // Channel 0 holds still for the whole window (it moves less than in any training window); channel 1 roughens.
    for (let t = 0; t < W; t++) test[t * C] = 0.3;
    const s = scoreOutputs(test, { reconstruction: test.slice(), extra: {} }, 1, W, C, { error: 'mse', span: 4, spread });
    expect(s.scores[0]).toBeGreaterThan(10);
    const terms = Array.from(s.perChannel);
    expect(Math.min(...terms)).toBeGreaterThanOrEqual(0);
    expect(terms[0]).toBe(0);
    expect(terms.indexOf(Math.max(...terms))).toBe(1);
    expect(terms.reduce((a, b) => a + b, 0)).toBeCloseTo(s.scores[0], 3);
  });

  it('leaves a window whose own score is larger alone, and one step of a level does not pass the limit', () => {
    const train = windows(200, { seed: 4 });
    const diffs = successiveDifferences(train, 200, W, C);
    const spread = fitSpread(spreadReference(diffs, C), diffs, 10, 1e-3, 'test')!;
    const test = windows(2, { seed: 5 });
    // Window 1: every channel steps up by 2 half-way (a set point change, a glitch): a level's business.
    for (let t = W / 2; t < W; t++) for (let c = 0; c < C; c++) test[W * C + t * C + c] += 2;
    const reconstruction = test.slice();
    reconstruction[0] += 20; // window 0 is reconstructed badly at one value: its own score is large
    const s = scoreOutputs(test, { reconstruction, extra: {} }, 2, W, C, { error: 'mse', span: W, spread });
    const own = scoreOutputs(test, { reconstruction, extra: {} }, 2, W, C, { error: 'mse', span: W });
    expect(s.scores[0]).toBe(own.scores[0]);
    expect(s.scores[1]).toBeLessThan(10);
  });

  it('a window past its limit teaches the tracked levels nothing', () => {
    const train = windows(200, { seed: 6 });
    const diffs = successiveDifferences(train, 200, W, C);
    const spread: Spread = fitSpread(spreadReference(diffs, C), diffs, 10, 1e-3, 'test')!;
    const test = windows(2, { rough: [1], gain: 6, seed: 7 });
    const reconstruction = test.slice();
    const scoring: Scoring = {
      error: 'mahalanobis', span: 2, spread,
      residual: { mean: [0, 0, 0], precision: [1, 0, 0, 0, 1, 0, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.5, below: 1e9 } },
    };
    const means = [new Float64Array([0.1, 0.1, 0.1]), new Float64Array([0.1, 0.1, 0.1])];
    const s = scoreOutputs(test, { reconstruction, extra: {} }, 2, W, C, scoring, (i) => means[i]);
    expect(s.scores[1]).toBeGreaterThan(10);
    expect(means[0][0]).toBeCloseTo(0.05, 6);
    expect(Array.from(means[1])).toEqual([0.1, 0.1, 0.1]);
  });

  it('does not judge a channel that held still in training: its later jitter is no multiple of anything', () => {
    const train = windows(200, { seed: 8 });
    for (let k = 2; k < train.length; k += C) train[k] = 0.5;
    const diffs = successiveDifferences(train, 200, W, C);
    const spread = fitSpread(spreadReference(diffs, C), diffs, 10, 1e-3, 'test')!;
    expect(spread.channels).toEqual([0, 1]);
    const test = windows(3, { seed: 9 });
    for (let k = 2; k < test.length; k += C) test[k] = 0.5 + 0.01 * ((k / C) % 2);
    const s = scoreOutputs(test, { reconstruction: test.slice(), extra: {} }, 3, W, C, { error: 'mse', span: 4, spread });
    expect(Math.max(...s.scores)).toBeLessThan(10);
  });

  it('is not calibrated on inputs that never move', () => {
    const still = new Float32Array(50 * W * C).fill(0.5);
    const diffs = successiveDifferences(still, 50, W, C);
    expect(fitSpread(spreadReference(diffs, C), diffs, 10, 1e-3, 'test')).toBeUndefined();
  });
});
