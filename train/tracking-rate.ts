/**
 * How fast a card's trackers (residual means, input offsets: runtime/scoring/mahalanobis.ts, input-offsets.ts) follow,
 * given how long the training run was. At the default 0.003 per window, a sensor at 1 Hz forgets in about 5 minutes:
 * a fault that creeps in slower than that (a bearing heating at 14 °C/h) is followed window by window and never
 * alerts, and a day-long run's own daily cycle is followed and mis-followed into alerts (a booster station probe,
 * bench/results/quality/VARIANTS.md "A channel far outside its training envelope is no drift"). A long training run
 * saw the machine's slow normal changes itself; the trackers then only need to follow what it did not see, and may
 * remember for a share of the run: at most RATE_ROWS / rows per window. A short run (up to RATE_ROWS / rate rows:
 * 3,000 at 0.003, the 10 Hz pumps' 5 minutes) keeps the rate asked for: there the trackers must follow operating
 * points the run never reached (4.5 instead of 9 cost those pumps F1 0.706 -> 0.610, VARIANTS.md "A slow clog").
 */

/** The trackers' memory, in windows, is at least the training rows over this (a ninth of the run, at one window a row). */
export const RATE_ROWS = 9;

/** The tracking rate for a card trained on `rows` rows when `rate` was asked for: the smaller of it and RATE_ROWS / rows. */
export function trackingRate(rate: number, rows: number): number {
  return rows > 0 ? Math.min(rate, RATE_ROWS / rows) : rate;
}
