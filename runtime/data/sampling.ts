/**
 * A series' sampling: its usual step (the median step between consecutive timestamps) and its gaps, steps longer
 * than GAP_FACTOR x the usual one. A window that spans a gap joins readings taken minutes or hours apart as if they
 * were consecutive rows; `vigil train` and `vigil score` say when a file has gaps (and `--gap-reset` restarts a
 * window after one when scoring).
 */
import { humanDuration, shortTimes } from '../util/format-time.ts';
import { quantile } from '../util/quantile.ts';

/** Median of the steps between consecutive timestamps, ms; null below two rows. */
export function medianStepMs(timestamps: ArrayLike<number>): number | null {
  const n = timestamps.length;
  if (n < 2) return null;
  const steps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) steps[i - 1] = timestamps[i] - timestamps[i - 1];
  return quantile(steps, 0.5);
}

/** A step this many times the usual one is a gap. */
export const GAP_FACTOR = 5;

/** The gaps of a series. */
export interface Gaps {
  count: number;
  /** What counted as a gap: steps over `factor` x `usualMs`. */
  factor: number;
  /** The usual step (ms): the median of the steps between distinct timestamps. */
  usualMs: number;
  /** The longest step (ms), and the timestamps on either side of it. */
  largestMs: number;
  largestFrom: number;
  largestTo: number;
  /** Gaps one usual step and an hour long, as local time without an offset across a spring-forward clock change (absent: none). */
  hourSkips?: number;
}

/** An hour, give or take a minute: the clock change of daylight-saving time. */
const HOUR_MS = { min: 59 * 60_000, max: 61 * 60_000 };

/**
 * Steps longer than `factor` x the usual one; undefined when there are none (or fewer than 3 rows, or no usual step).
 * Repeated timestamps (a file scored with --sort still holds them) do not count as steps: zeros would pull the usual
 * step down and make ordinary steps look like gaps.
 */
export function timestampGaps(timestamps: ArrayLike<number>, factor = GAP_FACTOR): Gaps | undefined {
  if (timestamps.length < 3) return undefined;
  const steps: number[] = [];
  for (let i = 1; i < timestamps.length; i++) if (timestamps[i] !== timestamps[i - 1]) steps.push(timestamps[i] - timestamps[i - 1]);
  // NaN for none (every timestamp the same): no usual step.
  const usual = quantile(steps, 0.5);
  if (!(usual > 0)) return undefined;
  let count = 0;
  let largest = -1;
  let hourSkips = 0;
  for (let i = 1; i < timestamps.length; i++) {
    const step = timestamps[i] - timestamps[i - 1];
    if (!(step > factor * usual)) continue;
    count++;
    if (step - usual >= HOUR_MS.min && step - usual <= HOUR_MS.max) hourSkips++;
    if (largest < 0 || step > timestamps[largest] - timestamps[largest - 1]) largest = i;
  }
  if (count === 0) return undefined;
  return { count, factor, usualMs: usual, largestMs: timestamps[largest] - timestamps[largest - 1], largestFrom: timestamps[largest - 1], largestTo: timestamps[largest], ...(hourSkips > 0 && { hourSkips }) };
}

/** A step as alert lines print durations, with sub-second sampling in ms. */
export const span = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : humanDuration(ms));

/** One line saying what the gaps of `file` are (`what`: what the windows then do). */
export function gapsNote(file: string, g: Gaps, what: string): string {
  // A probe: a spring-forward change in local time without an offset read as an hour of data lost, unexplained.
  const dst = g.hourSkips ? `; ${g.hourSkips === g.count ? (g.count === 1 ? 'it is' : 'each is') : `${g.hourSkips} of them are`} one usual step and an hour long: local time without an offset across a spring-forward clock change? (timestamps with their offset, or in UTC, have no such hole)` : '';
  return `${file}: ${g.count} gap(s) in the timestamps longer than ${g.factor}x the usual step of ${span(g.usualMs)} (the longest ${span(g.largestMs)}, ${shortTimes(g.largestFrom, g.largestTo).join(' to ')})${dst}; ${what}`;
}
