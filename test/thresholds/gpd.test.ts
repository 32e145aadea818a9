/** SPOT's tail model: Grimshaw GPD fit and the extreme quantile against known distributions. */
import { describe, expect, it } from 'vitest';
import { fitGpd, gpdLogLik, gpdQuantile } from '../../runtime/thresholds/gpd.ts';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { SortedWindow } from '../../runtime/thresholds/sorted-window.ts';
import { rng } from '@vigil/fixtures/thresholds.ts';

/** n draws from GPD(gamma, sigma) by inversion. */
function gpdSample(seed: number, n: number, gamma: number, sigma: number): number[] {
  const u = rng(seed);
  return Array.from({ length: n }, () => {
    const v = 1 - u();
    return gamma === 0 ? -sigma * Math.log(v) : (sigma / gamma) * (Math.pow(v, -gamma) - 1);
  });
}

describe('fitGpd (Grimshaw)', () => {
  it.each([
    { gamma: -0.2, sigma: 2 },
    { gamma: 0, sigma: 1 },
    { gamma: 0.3, sigma: 0.5 },
  ])('recovers gamma $gamma, sigma $sigma from 5000 draws', ({ gamma, sigma }) => {
    const y = gpdSample(7, 5000, gamma, sigma);
    const fit = fitGpd(y);
    expect(Math.abs(fit.gamma - gamma)).toBeLessThan(0.05);
    expect(Math.abs(fit.sigma / sigma - 1)).toBeLessThan(0.06);
    // The fit is a likelihood maximum: nudging either parameter must not improve it.
    for (const [dg, ds] of [[0.01, 0], [-0.01, 0], [0, 0.01 * sigma], [0, -0.01 * sigma]]) {
      expect(gpdLogLik(y, fit.gamma + dg, fit.sigma + ds)).toBeLessThanOrEqual(fit.logLik + 1e-9);
    }
  });

  it('falls back to the exponential fit on degenerate peaks', () => {
    expect(fitGpd([1, 1, 1]).gamma).toBe(0);
    expect(fitGpd([2, 3]).sigma).toBeCloseTo(2.5);
  });

  it('gpdQuantile inverts the GPD tail', () => {
    // P(X > z) = (Nt/n) (1 + gamma (z - t)/sigma)^(-1/gamma)
    const z = gpdQuantile(10, { gamma: 0.25, sigma: 2 }, 1e-4, 10000, 200);
    expect((200 / 10000) * Math.pow(1 + (0.25 * (z - 10)) / 2, -1 / 0.25)).toBeCloseTo(1e-4, 12);
    const ze = gpdQuantile(0, { gamma: 0, sigma: 1 }, 1e-3, 1000, 1000);
    expect(ze).toBeCloseTo(Math.log(1000), 10);
  });
});

describe('SPOT extreme quantile', () => {
  it.each([
    // Exponential(1): every excess is Exp(1); true z_q = -ln q.
    { name: 'exponential', draw: (v: number) => -Math.log(v), truth: (q: number) => -Math.log(q) },
    // Lomax (GPD from 0, gamma 0.25, sigma 1): true z_q = (q^-gamma - 1) / gamma.
    { name: 'lomax gamma 0.25', draw: (v: number) => (Math.pow(v, -0.25) - 1) / 0.25, truth: (q: number) => (Math.pow(q, -0.25) - 1) / 0.25 },
  ])('on $name scores puts the bar at the true quantile (within 10%)', ({ draw, truth }) => {
    const u = rng(99);
    const q = 1e-3;
    const t = createThreshold({ kind: 'spot', q, nInit: 20000, level: 0.98, maxPeaks: 400, decluster: 0 });
    for (let i = 0; i < 20000; i++) t.update(draw(1 - u()), false);
    expect(Math.abs(t.current() / truth(q) - 1)).toBeLessThan(0.1);
    // And streaming on keeps it there: the empirical exceedance rate over the next 20k is near q.
    let over = 0;
    for (let i = 0; i < 20000; i++) {
      const x = draw(1 - u());
      if (t.isAnomaly(x)) over++;
      t.update(x, t.isAnomaly(x));
    }
    expect(over / 20000).toBeGreaterThan(q / 2.5);
    expect(over / 20000).toBeLessThan(q * 2.5);
  });
});

describe('SortedWindow', () => {
  it('matches brute-force quantile, median and MAD over a sliding window', () => {
    const u = rng(3);
    const w = new SortedWindow(37);
    const held: number[] = [];
    for (let i = 0; i < 500; i++) {
      // Ties on purpose: rounded values repeat.
      const x = Math.round(u() * 50) / 5;
      w.push(x);
      held.push(x);
      if (held.length > 37) held.shift();
      const s = [...held].sort((a, b) => a - b);
      const n = s.length;
      const med = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
      const dev = s.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
      const mad = n % 2 ? dev[(n - 1) / 2] : (dev[n / 2 - 1] + dev[n / 2]) / 2;
      expect(w.quantile(0.9)).toBe(s[Math.ceil(0.9 * n) - 1]);
      expect(w.median()).toBe(med);
      expect(w.mad()).toBe(mad);
      expect(w.values()).toEqual(held);
    }
  });
});
