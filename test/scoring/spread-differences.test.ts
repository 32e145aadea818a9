/**
 * successiveDifferences, the spread's per-window term, computes several channels side by side for speed; what it
 * returns must be the same bits as the definition worked one channel and one row at a time, in row order, or the
 * runtime's scores would drift from training's and from earlier runs.
 */
import { describe, expect, it } from 'vitest';
import { successiveDifferences } from '../../runtime/scoring/spread.ts';
import { createRng } from '../../runtime/util/prng.ts';

/** The definition: per window and channel, the squared row-to-row moves added in row order, the largest left out. */
function byDefinition(input: Float32Array, n: number, W: number, C: number): Float64Array {
  const out = new Float64Array(n * C);
  if (W - 2 < 1) return out;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      let top = 0;
      for (let t = 1; t < W; t++) {
        const d = input[(i * W + t) * C + c] - input[(i * W + t - 1) * C + c];
        sum += d * d;
        if (d * d > top) top = d * d;
      }
      out[i * C + c] = (sum - top) / (W - 2);
    }
  }
  return out;
}

/** Windows whose moves span many orders of magnitude, so that adding them in another order changes the low bits. */
function windows(n: number, W: number, C: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * W * C);
  for (let k = 0; k < x.length; k++) x[k] = rng.normal() * 10 ** Math.floor(rng.uniform() * 12 - 6);
  return x;
}

const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('successiveDifferences', () => {
  it('gives the same bits as the definition, for every channel count (4 at a time and the rest) and window', () => {
    for (const C of [1, 2, 3, 4, 5, 7, 8, 9, 13])
      for (const W of [2, 3, 4, 16, 64]) {
        const n = 5;
        const x = windows(n, W, C, 100 * C + W);
        expect(sameBits(successiveDifferences(x, n, W, C), byDefinition(x, n, W, C)), `C ${C} W ${W}`).toBe(true);
      }
  });

  it('keeps a NaN, a constant channel and repeated largest moves as the definition does', () => {
    const W = 16;
    const C = 6;
    const x = windows(3, W, C, 7);
    x[5 * C + 1] = Number.NaN; // window 0, channel 1
    for (let t = 0; t < W; t++) x[(W + t) * C + 2] = 3; // window 1, channel 2 never moves
    for (let t = 0; t < W; t++) x[(2 * W + t) * C + 4] = t % 2 ? 1 : -1; // window 2, channel 4: every move the largest
    const got = successiveDifferences(x, 3, W, C);
    expect(sameBits(got, byDefinition(x, 3, W, C))).toBe(true);
    expect(got[1]).toBeNaN();
    expect(got[C + 2]).toBe(0);
    expect(got[2 * C + 4]).toBe(4);
  });
});
