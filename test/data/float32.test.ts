/**
 * The float32 rule (runtime/data/float32.ts) at its edge: a value is refused exactly when float32 cannot hold it
 * (it would round to Infinity), so FLT_MAX as C and numpy print it is accepted and the first double that rounds
 * past it is not.
 */
import { describe, expect, it } from 'vitest';
import { FLOAT32_MAX, isFloat32 } from '../../runtime/data/float32.ts';
import { parseCsv } from '../../runtime/data/csv.ts';

/** Halfway between FLT_MAX and 2^128: round-to-nearest-even sends this and above to Infinity. */
const ROUNDS_TO_INFINITY = 2 ** 128 - 2 ** 103;

describe('isFloat32', () => {
  it('accepts every double that rounds to a finite float32, FLT_MAX as printed included', () => {
    // printf("%.9g", FLT_MAX) and numpy's repr of float32 max: both are FLT_MAX once stored as float32.
    for (const text of ['3.40282347e+38', '3.4028235e38', '-3.4028235e+38']) {
      const v = Number(text);
      expect(Math.abs(Math.fround(v)), text).toBe(FLOAT32_MAX);
      expect(isFloat32(v), text).toBe(true);
    }
    const below = ROUNDS_TO_INFINITY - 2 ** 75; // the largest double under the halfway point
    expect(Math.fround(below)).toBe(FLOAT32_MAX);
    expect(isFloat32(below)).toBe(true);
  });

  it('refuses what float32 turns into Infinity, and NaN/Infinity', () => {
    expect(Math.fround(ROUNDS_TO_INFINITY)).toBe(Infinity);
    for (const v of [ROUNDS_TO_INFINITY, -ROUNDS_TO_INFINITY, 4e38, 1e308, NaN, Infinity, -Infinity]) expect(isFloat32(v), String(v)).toBe(false);
  });

  it('lets a CSV holding FLT_MAX as printed through, stored as FLT_MAX', () => {
    expect(Array.from(parseCsv('ts,a\n1,3.40282347e+38\n2,-3.4028235e38\n').data)).toEqual([FLOAT32_MAX, -FLOAT32_MAX]);
  });
});
