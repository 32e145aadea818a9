/**
 * Generalised Pareto fit of peaks over a threshold by Grimshaw's trick (Grimshaw 1993, as used by SPOT,
 * Siffer et al. KDD 2017): the 2-D likelihood maximisation reduces to the roots of one function of
 * x = gamma / sigma; every root (and x = 0, the exponential case) is a candidate, the best likelihood wins.
 */

/** Fitted GPD parameters: shape gamma, scale sigma, and the log-likelihood reached. */
export interface GpdFit {
  gamma: number;
  sigma: number;
  logLik: number;
}

/** Log-likelihood of peaks `y` (all > 0) under GPD(gamma, sigma). */
export function gpdLogLik(y: ArrayLike<number>, gamma: number, sigma: number): number {
  const n = y.length;
  if (!(sigma > 0)) return -Infinity;
  if (Math.abs(gamma) < 1e-12) {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i];
    return -n * Math.log(sigma) - s / sigma;
  }
  const tau = gamma / sigma;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = 1 + tau * y[i];
    if (!(a > 0)) return -Infinity;
    s += Math.log(a);
  }
  return -n * Math.log(sigma) - (1 + 1 / gamma) * s;
}

/** u(x) = 1 + mean log(1 + x y) and v(x) = mean 1/(1 + x y): Grimshaw's auxiliary functions. */
function uv(y: ArrayLike<number>, x: number): [number, number] {
  let su = 0;
  let sv = 0;
  for (let i = 0; i < y.length; i++) {
    const s = 1 + x * y[i];
    su += Math.log(s);
    sv += 1 / s;
  }
  return [1 + su / y.length, sv / y.length];
}

/** Grimshaw's function w(x) = u(x) v(x) - 1, whose roots give the likelihood's stationary points. */
function w(y: ArrayLike<number>, x: number): number {
  const [u, v] = uv(y, x);
  return u * v - 1;
}

/** Roots of w on a grid of `xs` (ascending) where w changes sign, refined by bisection. */
function roots(y: ArrayLike<number>, xs: number[]): number[] {
  const out: number[] = [];
  let xPrev = xs[0];
  let wPrev = w(y, xPrev);
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i];
    const wx = w(y, x);
    if (Number.isFinite(wPrev) && Number.isFinite(wx) && (wPrev === 0 || wPrev * wx < 0)) {
      let lo = xPrev;
      let hi = x;
      let wlo = wPrev;
      for (let it = 0; it < 40; it++) {
        const mid = (lo + hi) / 2;
        const wm = w(y, mid);
        if (wm === 0) {
          lo = hi = mid;
          break;
        }
        if (wlo * wm < 0) hi = mid;
        else {
          lo = mid;
          wlo = wm;
        }
      }
      out.push((lo + hi) / 2);
    }
    xPrev = x;
    wPrev = wx;
  }
  return out;
}

/** Maximum-likelihood GPD fit of positive peaks by Grimshaw's trick; falls back to the exponential fit. */
export function fitGpd(y: ArrayLike<number>, gridPoints = 16): GpdFit {
  const n = y.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, y[i]);
    max = Math.max(max, y[i]);
    sum += y[i];
  }
  const mean = sum / n;
  // Exponential (gamma = 0) is always a stationary point: start from it.
  let best: GpdFit = { gamma: 0, sigma: mean, logLik: gpdLogLik(y, 0, mean) };
  if (n < 3 || !(max > min) || !(min > 0)) return best;
  // Left interval (-1/max, 0): parametrise x = -r/max, r in (0, 1), denser towards both ends.
  const left: number[] = [];
  for (let i = 1; i < gridPoints; i++) {
    const t = i / gridPoints;
    const r = t * t * (3 - 2 * t); // smoothstep: clusters points near r = 0 and r = 1
    left.push(-Math.min(1 - 1e-9, Math.max(1e-9, r)) / max);
  }
  left.reverse();
  // Right interval (0, c], c from Grimshaw's bound. SPOT's reference code starts it at
  // b = 2(mean - min)/(mean min), which misses the positive-shape roots when min is small; a log-spaced grid
  // from far below 1/mean up to c costs a few more evaluations and finds them.
  const c = (2 * (mean - min)) / (min * min);
  const lo = 1e-4 / mean;
  const right: number[] = [];
  if (c > lo) {
    const ll = Math.log(lo);
    const lc = Math.log(c);
    const steps = 2 * gridPoints;
    for (let i = 0; i <= steps; i++) right.push(Math.exp(ll + ((lc - ll) * i) / steps));
  }
  const candidates = [...roots(y, left), ...(right.length ? roots(y, right) : [])];
  for (const x of candidates) {
    const gamma = uv(y, x)[0] - 1;
    const sigma = gamma / x;
    if (!(sigma > 0) || !Number.isFinite(gamma)) continue;
    const ll = gpdLogLik(y, gamma, sigma);
    if (ll > best.logLik) best = { gamma, sigma, logLik: ll };
  }
  return best;
}

/**
 * Extreme quantile z_q with P(X > z_q) = q, given the peaks threshold t, the fitted GPD, `n` observations
 * and `nPeaks` of them above t (SPOT eq. 1).
 */
export function gpdQuantile(t: number, fit: Pick<GpdFit, 'gamma' | 'sigma'>, q: number, n: number, nPeaks: number): number {
  const r = (q * n) / nPeaks;
  if (Math.abs(fit.gamma) < 1e-12) return t - fit.sigma * Math.log(r);
  return t + (fit.sigma / fit.gamma) * (Math.pow(r, -fit.gamma) - 1);
}
