/**
 * The classical baselines of evaluate/baselines on cases whose answer is known: a correlation break that
 * only PCA's Q sees, a gross outlier both see, limits that hold their nominal false-alarm rate on fresh normal
 * data, and the numeric parts (Jacobi eigen, normal and F quantiles) against textbook values.
 */
import { describe, expect, it } from 'vitest';
import { fitPca, fitZScore, fQuantile, normalQuantile, symmetricEigen, fitBaselines, runBaselines, type Rows } from '../../evaluate/baselines/index.ts';
import { mulberry32 } from '../../runtime/util/prng.ts';

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Two channels that move together: x = s, y = s + small noise, s ~ N(0, 1). */
function correlated(n: number, seed: number): Rows {
  const g = gaussian(mulberry32(seed));
  const data = new Float64Array(2 * n);
  for (let r = 0; r < n; r++) {
    const s = g();
    data[2 * r] = s;
    data[2 * r + 1] = s + 0.05 * g();
  }
  return { data, channels: 2 };
}

/** `channels` independent-ish channels mixed by a fixed matrix, so the covariance is not diagonal. */
function mixed(n: number, channels: number, seed: number): Rows {
  const g = gaussian(mulberry32(seed));
  const mix = Array.from({ length: channels * channels }, (_, i) => (i % (channels + 1) === 0 ? 1 : 0.3 * Math.sin(i)));
  const data = new Float64Array(n * channels);
  for (let r = 0; r < n; r++) {
    const z = Array.from({ length: channels }, g);
    for (let i = 0; i < channels; i++) {
      let v = 0;
      for (let j = 0; j < channels; j++) v += mix[i * channels + j] * z[j];
      data[r * channels + i] = v + 0.2 * g();
    }
  }
  return { data, channels };
}

describe('baselines', () => {
  it('a broken correlation within each channel\'s normal range: PCA Q flags it, the z-score does not', () => {
    const train = correlated(3000, 7);
    const test: Rows = { data: Float64Array.from([1, -1, -1, 1, 1, 1, 0.5, 0.5, 8, 8]), channels: 2 };
    const z = fitZScore(train);
    const p = fitPca(train);
    expect(p.components).toBe(1);
    expect(Array.from(z.score(test), (s) => s > 1)).toEqual([false, false, false, false, true]);
    expect(Array.from(p.score(test), (s) => s > 1)).toEqual([true, true, false, false, true]);
    const st = p.statistics(test);
    // The break is all residual: Q far above its limit while T^2 stays under its own.
    expect(st.q[0]).toBeGreaterThan(10 * p.qLimit);
    expect(st.t2[0]).toBeLessThan(p.t2Limit);
    // The gross outlier is all along the component: T^2 is what flags it.
    expect(st.t2[4]).toBeGreaterThan(p.t2Limit);
    const [zr, pr] = runBaselines(fitBaselines(train), test);
    expect([zr.name, pr.name]).toEqual(['zscore', 'pca']);
    expect(Array.from(pr.alert)).toEqual([1, 1, 0, 0, 1]);
    expect(Array.from(zr.alert)).toEqual([0, 0, 0, 0, 1]);
  });

  it('limits fitted on normal rows flag about their nominal share of fresh normal rows', () => {
    const train = mixed(4000, 6, 11);
    const fresh = mixed(40_000, 6, 12);
    const rate = (s: Float64Array) => s.reduce((a, v) => a + (v > 1 ? 1 : 0), 0) / s.length;
    for (const limits of ['classical', 'empirical'] as const) {
      const p = fitPca(train, { confidence: 0.99, limits });
      const st = p.statistics(fresh);
      const t2Rate = st.t2.reduce((a, v) => a + (v > p.t2Limit ? 1 : 0), 0) / st.t2.length;
      const qRate = st.q.reduce((a, v) => a + (v > p.qLimit ? 1 : 0), 0) / st.q.length;
      expect(t2Rate, `${limits} T^2`).toBeGreaterThan(0.005);
      expect(t2Rate, `${limits} T^2`).toBeLessThan(0.02);
      expect(qRate, `${limits} Q`).toBeGreaterThan(0.005);
      expect(qRate, `${limits} Q`).toBeLessThan(0.02);
    }
    const z = rate(fitZScore(train, { quantile: 0.99 }).score(fresh));
    expect(z).toBeGreaterThan(0.005);
    expect(z).toBeLessThan(0.02);
  });

  it('keeps the fewest components that explain the asked share of variance', () => {
    const train = mixed(3000, 6, 3);
    const all = fitPca(train, { variance: 0.999 });
    const few = fitPca(train, { variance: 0.5 });
    expect(all.components).toBe(5); // at most channels - 1, so Q always has a residual space
    expect(few.components).toBeGreaterThanOrEqual(1);
    expect(few.components).toBeLessThan(all.components);
  });

  it('a channel constant in training makes any change in it stand out instead of dividing by zero', () => {
    const train = correlated(500, 1);
    const withConst: Rows = { data: Float64Array.from({ length: 1500 }, (_, i) => (i % 3 === 2 ? 4 : train.data[(i / 3 | 0) * 2 + (i % 3)])), channels: 3 };
    const z = fitZScore(withConst);
    const s = z.score({ data: Float64Array.from([0, 0, 4, 0, 0, 4.001]), channels: 3 });
    expect(Number.isFinite(s[0])).toBe(true);
    expect(s[0]).toBeLessThan(1);
    expect(s[1]).toBeGreaterThan(1);
  });

  it('rejects data with another channel count than it was fitted on', () => {
    const z = fitZScore(correlated(100, 1));
    expect(() => z.score({ data: new Float64Array(6), channels: 3 })).toThrow(/3 channels; the baseline was fitted on 2/);
  });
});

describe('numeric parts', () => {
  it('Jacobi eigen decomposition reproduces A v = lambda v, eigenvalues descending', () => {
    const a = [4, 1, 2, 1, 3, 0, 2, 0, 5];
    const { values, vectors } = symmetricEigen(a, 3);
    expect(values[0]).toBeGreaterThanOrEqual(values[1]);
    expect(values[1]).toBeGreaterThanOrEqual(values[2]);
    expect(values.reduce((x, y) => x + y, 0)).toBeCloseTo(12, 10);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += a[i * 3 + j] * vectors[j * 3 + k];
        expect(av).toBeCloseTo(values[k] * vectors[i * 3 + k], 10);
      }
    }
    expect(Array.from(symmetricEigen([2, 0, 0, 3], 2).values)).toEqual([3, 2]);
  });

  it('normal and F quantiles match tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(fQuantile(0.95, 2, 10)).toBeCloseTo(4.1028, 3);
    expect(fQuantile(0.99, 5, 20)).toBeCloseTo(4.1027, 3);
    expect(fQuantile(0.95, 1, 30)).toBeCloseTo(4.1709, 3);
  });
});
