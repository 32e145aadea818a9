/**
 * Level drift at training (`vigil train --track-drift`): how far each channel's residual level wandered between the
 * fitted and the held-out windows, as a random walk's step per row (`ResidualTracking.drift`, runtime/scoring/level-drift.ts).
 */
import { residualVariance, type ResidualModel } from '@vigil/runtime/scoring/mahalanobis.ts';

/** Standard errors a residual mean must move by between training and held-out windows to count as drift. */
const SIGNIFICANT = 3;

/**
 * Each channel's level drift per row (a variance, `ResidualTracking.drift`), from the residual mean of the held-out
 * windows against the fitted ones': for a random walk of step variance q per row, the difference of the means of
 * two adjacent stretches of n1 and n2 rows has variance q (n1 + n2) / 3, plus the two means' own sampling noise
 * (overlapping windows: about one independent residual per window length, at most one per window). A move within
 * SIGNIFICANT standard errors of that noise is no evidence of drift: 0. One difference per channel is a rough
 * estimate (one degree of freedom); it decides which channels wander and about how fast, not more.
 */
export function levelDrift(model: ResidualModel, held: Float64Array, fittedCount: number, window: number, stride = 1): number[] {
  const c = model.mean.length;
  const n = held.length / c;
  if (n < 1 || fittedCount < 1) throw new Error(`levelDrift: need held-out and fitted windows, got ${n} and ${fittedCount}`);
  const variance = residualVariance(model);
  const heldMean = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) heldMean[k] += held[i * c + k] / n;
  const rows = (windows: number) => windows * stride;
  const independent = (windows: number) => Math.min(windows, Math.max(1, rows(windows) / window));
  return Array.from(heldMean, (m, k) => {
    const noise = variance[k] * (1 / independent(n) + 1 / independent(fittedCount));
    const moved = (m - model.mean[k]) ** 2;
    return moved > SIGNIFICANT ** 2 * noise ? (moved - noise) / ((rows(n) + rows(fittedCount)) / 3) : 0;
  });
}
