import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../runtime/util/prng.ts';
import { keepNewPeaks, maxOf, recordRatio, spatialNovelty } from '../../evaluate/detector/nab-calibrate.ts';

/** Seeded noise (mulberry32). */
function noise(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => r());
}

describe('NAB calibration (causal)', () => {
  it('recordRatio is in [0,1), 0 in probation, and 0.5 when the error equals the worst so far', () => {
    const e = Float64Array.from([1, 2, 1, 2, 4, 2]);
    const s = recordRatio(e, 2, { smooth: 1, halfLife: Infinity });
    expect(Array.from(s.subarray(0, 2))).toEqual([0, 0]);
    expect(s[3]).toBeCloseTo(0.5, 12); // 2 vs max 2
    expect(s[4]).toBeCloseTo(2 / 3, 12); // 4 vs max 2: r = 2
    expect(s[5]).toBeCloseTo(1 / 3, 12); // 2 vs max 4: r = 0.5
  });

  it('every transform is causal: changing the future never changes the past', () => {
    const a = noise(500, 1);
    const b = Float64Array.from(a);
    for (let i = 300; i < 500; i++) b[i] = 10 * b[i] + 5;
    const same = (f: (x: Float64Array) => ArrayLike<number>): void => {
      expect(Array.from(f(a)).slice(0, 300)).toEqual(Array.from(f(b)).slice(0, 300));
      expect(Array.from(f(a)).slice(300)).not.toEqual(Array.from(f(b)).slice(300));
    };
    same((x) => recordRatio(x, 50, { smooth: 3, halfLife: 40 }));
    same((x) => spatialNovelty(x, 0.05));
    same((x) => keepNewPeaks(x, 10, 0.5));
  });

  it('forgetting lets a second, smaller incident score high again', () => {
    const e = new Float64Array(400).fill(1);
    e[100] = 20;
    e[300] = 10;
    const never = recordRatio(e, 10, { smooth: 1, halfLife: Infinity });
    const forget = recordRatio(e, 10, { smooth: 1, halfLife: 30 });
    expect(never[300]).toBeLessThan(0.5);
    expect(forget[300]).toBeGreaterThan(0.8);
  });

  it('spatialNovelty flags values beyond the range seen so far by more than the tolerance', () => {
    const v = [0, 10, 5, 10.4, 10.6, 12, -1];
    expect(Array.from(spatialNovelty(v, 0.05))).toEqual([0, 0, 0, 0, 0, 1, 1]);
  });

  it('keepNewPeaks keeps only scores above the recent maximum', () => {
    expect(Array.from(keepNewPeaks([0.2, 0.9, 0.8, 0.95, 0.1, 0.1, 0.7], 2, 0.5))).toEqual([0.2, 0.9, 0.4, 0.95, 0.05, 0.05, 0.7]);
    expect(Array.from(maxOf([0.1, 0.5], [0.3, 0.2]))).toEqual([0.3, 0.5]);
  });
});
