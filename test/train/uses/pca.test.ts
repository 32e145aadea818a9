import { describe, expect, it } from 'vitest';
import { fitPca, projectPca } from '../../../train/uses/pca.ts';

describe('fitPca (power iteration)', () => {
  it('recovers the axes and variances of a known anisotropic cloud', () => {
    // Points on a rotated ellipse-like grid: variance 9 along u, 1 along v, 0.04 along w (3-D).
    const u = [0.6, 0.8, 0], v = [-0.8, 0.6, 0], w = [0, 0, 1];
    const n = 4000;
    const data = new Float64Array(n * 3);
    let s = 12345;
    const rnd = (): number => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31; };
    const g = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    for (let i = 0; i < n; i++) {
      const a = 3 * g(), b = g(), c = 0.2 * g();
      for (let j = 0; j < 3; j++) data[i * 3 + j] = 5 + a * u[j] + b * v[j] + c * w[j];
    }
    const p = fitPca(data, n, 3, 2);
    const dot = (x: ArrayLike<number>, y: number[]): number => x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
    expect(Math.abs(dot(p.components[0], u))).toBeGreaterThan(0.999);
    expect(Math.abs(dot(p.components[1], v))).toBeGreaterThan(0.999);
    expect(Math.abs(dot(p.components[0], [...p.components[1]]))).toBeLessThan(1e-9);
    expect(p.variances[0]).toBeGreaterThan(8.3);
    expect(p.variances[0]).toBeLessThan(9.7);
    expect(p.variances[1]).toBeGreaterThan(0.9);
    expect(p.variances[1]).toBeLessThan(1.1);
    expect(p.totalVariance).toBeCloseTo(p.variances[0] + p.variances[1] + 0.04, 0);
    const xy = projectPca(p, data, n);
    let m0 = 0;
    for (let i = 0; i < n; i++) m0 += xy[2 * i];
    expect(Math.abs(m0 / n)).toBeLessThan(1e-9);
  });

  it('is deterministic and handles a constant column', () => {
    const data = Float64Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? i : 1));
    const a = fitPca(data, 100, 2, 2);
    const b = fitPca(data, 100, 2, 2);
    expect([...a.components[0]]).toEqual([...b.components[0]]);
    expect(a.variances[1]).toBeCloseTo(0, 9);
    expect(() => fitPca([], 0, 2)).toThrow(/at least one row/);
  });
});
