import { describe, expect, it } from 'vitest';
import { WindowRing } from '../../runtime/window/ring.ts';
import { slidingWindows } from '../../runtime/window/sliding.ts';
import { applyScaler, fitScaler, invertScaler } from '../../runtime/scaling/scaler.ts';

describe('WindowRing / slidingWindows', () => {
  it('emits the first full window and then every stride rows, oldest row first', () => {
    const data = Float32Array.from({ length: 10 * 2 }, (_, i) => i); // row r = [2r, 2r+1]
    const w = slidingWindows(data, 2, 4, 3);
    expect(w.count).toBe(3); // ends at rows 3, 6, 9
    expect(Array.from(w.ends)).toEqual([3, 6, 9]);
    expect(Array.from(w.data.subarray(8, 16))).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('reset forgets the partial window', () => {
    const r = new WindowRing(3, 1);
    r.push([1]);
    r.push([2]);
    r.reset();
    expect(r.push([3])).toBe(false);
    r.push([4]);
    expect(r.push([5])).toBe(true);
    expect(Array.from(r.snapshot())).toEqual([3, 4, 5]);
  });

  it('rejects nonsense sizes', () => {
    expect(() => new WindowRing(0, 1)).toThrow(/window must be/);
  });
});

describe('scaler', () => {
  it('standard scaling gives zero mean, unit variance on the fitted data and inverts exactly', () => {
    const data = Float32Array.from([1, 10, 2, 20, 3, 30]);
    const s = fitScaler('standard', data, 2);
    const z = applyScaler(s, data);
    expect(z[0] + z[2] + z[4]).toBeCloseTo(0, 6);
    expect(Array.from(invertScaler(s, z)).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([1, 10, 2, 20, 3, 30]);
  });
  it('min-max maps the training range to [0,1] and survives a constant channel', () => {
    const s = fitScaler('minmax', Float32Array.from([0, 5, 4, 5]), 2);
    expect(Array.from(applyScaler(s, Float32Array.from([4, 5])))).toEqual([1, 0]);
  });
});
