/**
 * Residual memory (`scoring.residual.memory`): a multivariate EWMA of each sensor's span residual (MEWMA, Lowry et
 * al. 1992), scored with the same precision as the window's own residual. A small shift that persists (a cooling
 * water inlet a few kelvin warmer, a valve that no longer closes fully) hides in the noise of every single window but
 * not in their average: the memory's statistic `e' P e / C`, mapped onto the bar by `scale`, is a second score of
 * the window, and the window scores the larger of the two (a window is anomalous when either statistic passes its
 * own calibrated limit, as PCA monitoring flags T² or Q).
 *
 * The memory suits a continuous process that holds one steady state (a chemical plant between grade changes), and
 * only that: where residual levels wander or differ between operating points, every level the tracker has not yet
 * followed adds up in it, so it is off unless asked for (`vigil train --memory on`; a test on the training data's
 * held-out rows could not tell the two kinds of process apart reliably, bench/results/quality/VARIANTS.md).
 * It does not learn: the tracked levels (mahalanobis.ts) still move only on windows whose own score is clearly
 * normal (or back towards the trained level, trained-level.ts), so the memory only adds alerts where it sees a
 * persistent shift.
 */
import type { ResidualModel } from './mahalanobis.ts';
import { quadraticForm } from './spd.ts';

/** EWMA weight of the newest window: about the last 1 / λ windows count (0.1: the textbook choice for small shifts). */
export const MEMORY_LAMBDA = 0.1;

/**
 * Windows a residual must persist for to pass the memory's limit alone: `clip` is the memory's limit divided by
 * (1 - (1 - λ)^4)², 8.4 times it at λ 0.1, so one window, however far off, moves the memory's statistic by at most
 * λ² x 8.4 = 1 / 12 of its limit.
 */
export const MEMORY_PERSISTENCE = 4;

/** `clip` for a memory whose own (unscaled) limit is `limit`. */
export function memoryClip(limit: number, lambda = MEMORY_LAMBDA): number {
  return limit / (1 - (1 - lambda) ** MEMORY_PERSISTENCE) ** 2;
}

/** What the card stores. */
export interface ResidualMemory {
  /** EWMA weight of the newest window's residual, (0, 1]. */
  lambda: number;
  /** Multiplies the memory statistic so that its own limit (calibrated on held-out windows in order) lands on the bar. */
  scale: number;
  /**
   * A window whose own statistic (`d' P d / C`) passes this enters the memory shrunk to it: the lower of the bar and
   * what `MEMORY_PERSISTENCE` windows in a row need to pass the memory's limit, so one loud window (it alerts on its
   * own) cannot hold the memory up for the tens of windows after it, and only a residual that persists carries it.
   */
  clip: number;

  method: string;
}

/** Where a tracked state's memory starts (after C means, C uncertainties and C input offsets), or -1 without one. */
export function memoryAt(model: ResidualModel): number {
  return model.memory ? 3 * model.mean.length : -1;
}

/**
 * Move the memory `e` (C) a fraction `lambda` of the way to the residual deviation `d` (C), whose own statistic is
 * `own` (`d' P d / C`), shrunk to the statistic `clip` when above it. Returns the memory's statistic `e' P e / C`
 * (unscaled); `y` (C) is scratch that holds `P e` afterwards.
 */
export function remember(e: Float64Array, d: ArrayLike<number>, own: number, P: ArrayLike<number>, C: number, memory: Pick<ResidualMemory, 'lambda' | 'clip'>, y: Float64Array): number {
  // A window whose own statistic is not finite (an input beyond float32 after scaling, a model's NaN) stays out: one
  // such window would otherwise leave the memory non-finite for good.
  if (Number.isFinite(own)) {
    const lambda = memory.lambda * (own > memory.clip ? Math.sqrt(memory.clip / own) : 1);
    for (let c = 0; c < C; c++) e[c] += lambda * d[c] - memory.lambda * e[c];
  }
  return quadraticForm(P, e, C, y) / C;
}

/**
 * The unscaled memory statistic of consecutive span residuals (N x C, in time order) against the card's mean, the
 * memory starting at 0 (the calibration of `scale`, train/score-exported.ts).
 */
export function memoryStatistics(residuals: Float64Array, model: Pick<ResidualModel, 'mean' | 'precision'>, memory: Pick<ResidualMemory, 'lambda' | 'clip'>): Float32Array {
  const C = model.mean.length;
  const n = Math.floor(residuals.length / C);
  const e = new Float64Array(C);
  const d = new Float64Array(C);
  const y = new Float64Array(C);
  const q = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) d[c] = residuals[i * C + c] - model.mean[c];
    q[i] = remember(e, d, quadraticForm(model.precision, d, C, y) / C, model.precision, C, memory, y);
  }
  return q;
}

