/**
 * The way back to the trained level. A sensor's tracked state (residual means, level walk, input offsets: level-drift.ts,
 * input-offsets.ts) learns from windows under the gate only, so a slow fault that stays under it for hours (a
 * condenser fouling, a refrigerant leak) is learnt as if it were normal drift. When the fault ends, the machine is
 * back where training saw it, but the state still expects the fault: every window scores over the gate, nothing is
 * learnt any more, and the alert stays open for days (bench/results/quality/VARIANTS.md "The way back to the trained
 * level": a chiller's alert open 2 days after a 12 h fouling, 9 days after `vigil adapt`).
 *
 * So a window over the gate against the learnt state is also measured against the trained one: its span residual
 * as it would be with the card's means and without the learnt input offsets, `r + applied - mean` (the same
 * first-order view of the model the offsets learn by: a shift of the input shows in the residual, the reconstruction
 * does not follow it), on trending channels with their offset kept (the climb goes on). Where that puts the window
 * under the gate, and scores it at least RETURN_MARGIN gates lower than the learnt state does, the learnt state is
 * what is wrong: it moves RETURN_STEP of the way back to the trained level. One window moves it an eighth; a machine
 * that is back moves it all the way within a few blocks of windows (its windows keep scoring with the old offsets
 * until their block, input-blocks.ts), and a window that only happens to fit the trained level among ones that do
 * not moves it little. The margin leaves a band: a state part of the way back, over the gate by less than the trained
 * level's own statistic (a machine back at its trained level on one channel, at a new one on another), neither
 * learns nor steps back until a window's noise takes it out of the band, under the gate (learning again) or a margin
 * over the trained level (stepping again); it is under the bar (no alert). `tracking.back: false` turns it off.
 */
import type { ResidualModel } from './mahalanobis.ts';
import { quadraticForm } from './spd.ts';

/**
 * How much better (in gates, `tracking.below`) the trained level must explain a window than the learnt state does for
 * the state to step back: 1. A window that only brushes the gate against a state that is right does not fit the
 * trained level a whole gate better (stepping back on every window over the gate that the trained level put under
 * it made pumps and plant worse, VARIANTS.md); a window at the alert level (2 gates: the static bar the gate is half
 * of, train/score-exported.ts) that it puts under the gate always does, and so do the windows after it while the state
 * is on its way back, between the gate and the bar, where nothing else would move it.
 */
export const RETURN_MARGIN = 1;

/**
 * How far the learnt state moves back per window that fits the trained level. All the way (1) at once cost a plant
 * fault whose score depended on the state learnt before it (VARIANTS.md); an eighth keeps the chiller's fix.
 */
export const RETURN_STEP = 1 / 8;

/**
 * Whether channel c's input offset follows a climb the card expects (`tracking.trend`, train/trend.ts): the climb goes
 * on, so what the trained level would see, and where the channel is against training, keep that offset.
 */
export function followsClimb(trend: readonly number[] | undefined, c: number): boolean {
  return trend !== undefined && trend[c] > 0;
}

/**
 * Whether window i (span residuals `r`, N x C; scored `total` against its sensor's learnt state; shifted by
 * `applied`, N x C, absent when inputs are not shifted) is normal against the trained level, and scores a margin
 * lower there than against the learnt state. `d0` and `y` are scratch of C values.
 */
export function backToTrained(r: Float64Array, i: number, C: number, total: number, model: ResidualModel, applied: Float64Array | undefined, d0: Float64Array, y: Float64Array): boolean {
  const t = model.tracking;
  // The trained level's statistic is never negative: a window under the margin cannot be explained a margin better.
  if (!t || t.back === false || !(total >= RETURN_MARGIN * t.below)) return false;
  const trend = t.trend;
  for (let c = 0; c < C; c++) d0[c] = r[i * C + c] - model.mean[c] + (applied && !followsClimb(trend, c) ? applied[i * C + c] : 0);
  const trained = quadraticForm(model.precision, d0, C, y) / C;
  return trained < t.below && total - trained >= RETURN_MARGIN * t.below;
}

/** A step back to the card's residual means (the first C values of a tracked state). */
export function returnMeans(state: Float64Array, model: ResidualModel): void {
  const mean = model.mean;
  for (let c = 0; c < mean.length; c++) state[c] += RETURN_STEP * (mean[c] - state[c]);
}

/** A step back to no input offset (at `at` in a tracked state), but on trending channels, whose offset follows the climb. */
export function returnOffsets(state: Float64Array, at: number, C: number, trend: readonly number[] | undefined): void {
  for (let c = 0; c < C; c++) if (!followsClimb(trend, c)) state[at + c] -= RETURN_STEP * state[at + c];
}
