import { describe, expect, it } from 'vitest';
import { applyScaler, fitScaler } from '../../runtime/scaling/scaler.ts';

describe('fitScaler: channels constant in training (issue 17.2)', () => {
  /** rows x 3: a (std 2), b constant 50, c (std 0.5). */
  const data = Float32Array.from({ length: 300 }, (_, i) => [i % 2 ? 12 : 8, 50, i % 2 ? 1.5 : 0.5][i % 3]);

  it('floors a constant channel at a tenth of the median spread of the varying ones, and says so', () => {
    const s = fitScaler('standard', data, 3);
    expect(s.offset).toEqual([10, 50, 1]);
    expect(s.scale[0]).toBeCloseTo(2, 6);
    expect(s.scale[2]).toBeCloseTo(0.5, 6);
    expect(s.floored).toEqual([1]);
    expect(s.scale[1]).toBeCloseTo(0.1 * 0.5, 9); // median of [0.5, 2] taken as the lower middle
    expect(s.method).toBe('mean and std per channel; channel(s) 1 constant in training, scale floored at 0.1 x the median std of the 2 varying channel(s) (0.5000)');
    // A 0.05 step is one unit, not 0.05 / 5e-5 = 1000 as with the old 1e-6 relative floor.
    expect(applyScaler(s, Float32Array.from([10, 50.05, 1]))[1]).toBeCloseTo(1, 4);
  });

  it('uses a hundredth of the magnitude when nothing varies; minmax floors the range the same way', () => {
    const one = fitScaler('standard', new Float32Array(10).fill(0), 1);
    expect(one.scale).toEqual([0.01]);
    expect(one.method).toMatch(/0\.01 x max\(1, \|value\|\), no channel varied/);
    expect(fitScaler('standard', new Float32Array(10).fill(-300), 1).scale).toEqual([3]);
    const mm = fitScaler('minmax', data, 3);
    expect(mm.offset).toEqual([8, 50, 0.5]);
    expect(mm.floored).toEqual([1]);
    expect(mm.scale[1]).toBeCloseTo(0.1, 9);
  });

  it('leaves scalers of varying channels exactly as before (no floor, no method)', () => {
    const s = fitScaler('standard', Float32Array.from([1, 2, 3, 5]), 2);
    expect(s).toEqual({ kind: 'standard', offset: [2, 3.5], scale: [1, 1.5] });
  });
});
