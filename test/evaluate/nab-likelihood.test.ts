import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../runtime/util/prng.ts';
import { anomalyLikelihood, logLikelihood, numentaLikelihoodOptions, tailProbability } from '../../evaluate/detector/nab-likelihood.ts';

/** Seeded values around `level`, spread `spread`. */
function noise(n: number, seed: number, level: number, spread: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => level + spread * (r() - 0.5));
}

describe('NAB anomaly likelihood (Numenta)', () => {
  it('tailProbability is the Gaussian tail: 0.5 at the mean, 0.0228 two sigma out, one- or two-sided below', () => {
    const d = { mean: 1, stdev: 0.5 };
    expect(tailProbability(1, d)).toBeCloseTo(0.5, 6);
    expect(tailProbability(2, d)).toBeCloseTo(0.02275, 5);
    expect(tailProbability(0, d)).toBeCloseTo(0.02275, 5);
    expect(tailProbability(0, d, 'upper')).toBeCloseTo(1 - 0.02275, 5);
    expect(logLikelihood(0.5)).toBeCloseTo(0.0301, 4);
    expect(logLikelihood(1 - 1e-5)).toBeCloseTo(0.5, 6);
  });

  it('flat before the probationary rows, red at the onset of a jump, then nupic\'s filter', () => {
    const n = 1000;
    const raw = noise(n, 1, 0.1, 0.02);
    for (let i = 700; i < 720; i++) raw[i] = 0.5;
    const values = noise(n, 2, 10, 4);
    const s = anomalyLikelihood(raw, values, numentaLikelihoodOptions(300, true));
    expect(new Set(Array.from(s.subarray(0, 300)))).toEqual(new Set([logLikelihood(0.5)]));
    expect(Math.max(...s.subarray(300, 700))).toBeLessThan(0.5);
    // The 10-row moving average crosses into red within the first rows of the jump, once.
    const first = Array.from(s).findIndex((x) => x >= 0.5);
    expect(first).toBeGreaterThanOrEqual(700);
    expect(first).toBeLessThan(705);
    // It stays red while the jump lasts: each later red row reports a tail of 1e-3 (nupic's filter).
    expect(s[first + 1]).toBeCloseTo(logLikelihood(1 - 1e-3), 9);
    expect(s[715]).toBeCloseTo(logLikelihood(1 - 1e-3), 9);
  });

  it('a flat metric reports nothing, whatever the raw score does', () => {
    const raw = noise(600, 3, 0.1, 0.02);
    for (let i = 400; i < 420; i++) raw[i] = 5;
    const s = anomalyLikelihood(raw, new Float64Array(600).fill(7), numentaLikelihoodOptions(200, false));
    expect(Math.max(...s)).toBeLessThan(0.05);
  });

  it('refits on a sliding history: a new level is an anomaly at first, normal once the history holds it', () => {
    const o = { ...numentaLikelihoodOptions(100, false), historicWindow: 300 };
    const raw = noise(2000, 4, 1, 0.2);
    for (let i = 1000; i < 2000; i++) raw[i] += 3;
    const s = anomalyLikelihood(raw, noise(2000, 5, 0, 1), o);
    expect(s[1000]).toBeGreaterThanOrEqual(0.5);
    const later = Array.from(s.subarray(1400)).sort((x, y) => x - y);
    expect(later[later.length - 1]).toBeLessThan(0.5);
    // Typical rows back near the baseline (0.055 here; 0.097 with the whole history kept): the old level has left it.
    expect(later[later.length >> 1]).toBeLessThan(0.075);
  });

  it('is causal: changing the future never changes the past', () => {
    const a = noise(900, 6, 1, 0.3);
    const b = Float64Array.from(a);
    for (let i = 600; i < 900; i++) b[i] = 4 * b[i] + 2;
    const v = noise(900, 7, 0, 1);
    const o = numentaLikelihoodOptions(200, false);
    const sa = anomalyLikelihood(a, v, o);
    const sb = anomalyLikelihood(b, v, o);
    expect(Array.from(sb.subarray(0, 600))).toEqual(Array.from(sa.subarray(0, 600)));
    expect(Array.from(sb.subarray(600))).not.toEqual(Array.from(sa.subarray(600)));
  });
});
