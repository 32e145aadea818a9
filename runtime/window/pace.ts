/**
 * A sensor's pace: the 20th percentile of its steps between readings (each counted as at least the model's interval), tracked by a multiplicative stochastic quantile
 * update (up by RATE x 0.2 when a step is at or above it, down by RATE x 0.8 when below), so a lost reading (one long
 * step) hardly moves it, a sensor that reports at another pace for good is followed within about a hundred
 * readings, and a few short steps (a pair of readings close together) do not drag it down; and the share of its
 * steps that are IRREGULAR_RATIO paces or longer, which says whether it reports regularly at all.
 */

/** Steps before a sensor's pace is judged (its pace settled enough to count gaps against). */
export const PACE_STEPS = 16;
/** A step this many paces long or more is a long one. */
export const IRREGULAR_RATIO = 3;
/**
 * A sensor with more than this share of long steps reports irregularly (by exception: a value when it changes), and
 * its steps are no sign of loss. A regular sensor needs two readings in a row lost for one long step: 20 % of its
 * steps means about 45 % of its readings lost.
 */
export const IRREGULAR_SHARE = 0.2;
const RATE = 0.05;

/** A sensor's pace after a step of `step` ms (NaN: the first step). */
export function nextPace(pace: number, step: number): number {
  if (Number.isNaN(pace)) return step;
  return step < pace ? pace * (1 - RATE * 0.8) : pace * (1 + RATE * 0.2);
}

/**
 * The 80th percentile of a sensor's steps, unclamped, by the same kind of update: a sensor whose steps are mostly
 * shorter than the model's interval reports faster than the model was trained at (a flood, a publisher set to the
 * wrong rate), so each window spans a fraction of the time the model knows. Pairs, per-channel messages a few ms apart
 * and bursts leave long steps often enough to keep it up; only steps short most of the time bring it down.
 */
export function nextFastPace(fast: number, step: number, modelMs: number): number {
  // Started at, and kept at most at, the model's interval: only a faster pace is of interest, and starting from a
  // first short step it would take hundreds of steps to climb back (pairs 1 ms apart read as a flood).
  if (Number.isNaN(fast)) fast = modelMs;
  return Math.min(modelMs, step >= fast ? fast * (1 + RATE * 0.8) : fast * (1 - RATE * 0.2));
}

/** The share of long steps after the `n`th step (`long`: whether it was one): a plain share over the first PACE_STEPS, then a moving one. */
export function nextLongShare(share: number, n: number, long: boolean): number {
  return share + ((long ? 1 : 0) - share) / Math.min(n, 2 * PACE_STEPS);
}
