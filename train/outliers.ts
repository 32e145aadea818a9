/**
 * Gross outliers in training data: a few cells far beyond everything else their channel holds, such as a historian's
 * sentinel (-9999, 1e30) or a unit error. An autoencoder fitted with them scales the channel by them (one 1e30 makes
 * its scale 1e28) and calibrates its bar on them (five -9999 cells lifted a bar from 4 to 1,792): the model comes out
 * blind, with no sign of it but a large threshold. So training refuses them by default, naming the channel and the
 * first such row, and `--outliers ffill` carries the last good value over them (as `--fill ffill` does for a missing
 * cell) or `--outliers keep` trains on them as they are.
 *
 * The rule, per channel, on its sorted values: the bulk's spread is the 1st-99th percentile range (at least 1 % of
 * the median's size); a group of at most 1 % of the cells at either end, set apart from the rest by a step of more
 * than GROSS_GAP spreads, is gross when its values are also implausible for the channel: of the other sign than every
 * other value (-9999 in a vibration, a temperature of -9999 where all else is above 0), or ABSURD times the channel's
 * size or spread away (1e30). Real rare states stay, however far: a pump off (0 in a channel near 1), a valve closed,
 * inrush current at 6x, a relief at 8 bar over 5, a flow that idles near 0 with a little production (a review found
 * each refused by the gap alone); so does anything that makes up more than 1 % of the rows.
 */
import type { Series } from '@vigil/runtime';
import { formatShort } from '@vigil/runtime/util/format-number.ts';

/** What training does with gross outliers. */
export type OutlierPolicy = 'error' | 'ffill' | 'keep';
export const OUTLIER_POLICIES: readonly OutlierPolicy[] = ['error', 'ffill', 'keep'];

/** Steps between an end group and the rest larger than this many bulk spreads mark the group gross. */
export const GROSS_GAP = 50;
/** An end group this many times the channel's size (its median, or its spread) from the median is absurd whatever its sign. */
export const ABSURD = 1e6;
/** The largest share of a channel's cells an end group may hold. */
const MAX_SHARE = 0.01;

/** A channel's gross outliers: the limits its good values lie in, and how many cells fall outside. */
export interface GrossOutliers {
  channel: number;
  /** Cells below `low` or above `high` are gross. */
  low: number;
  high: number;
  count: number;
  /** The bulk's 1st and 99th percentiles, for the message. */
  p01: number;
  p99: number;
}

/** Whether a cell lies outside a channel's good values. */
const isGross = (g: GrossOutliers, x: number): boolean => x < g.low || x > g.high;

/** The gross outliers of each channel that has any. */
export function grossOutliers(s: Series): GrossOutliers[] {
  const C = s.channels.length;
  const n = s.timestamps.length;
  const out: GrossOutliers[] = [];
  const k = Math.floor(MAX_SHARE * n);
  if (k < 1) return out;
  const v = new Float64Array(n);
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < n; r++) v[r] = s.data[r * C + c];
    v.sort();
    const p01 = v[k];
    const p99 = v[n - 1 - k];
    const median = v[n >> 1];
    const spread = Math.max(p99 - p01, 0.01 * Math.abs(median));
    if (!(spread > 0)) continue;
    // The widest step within the lowest (highest) k + 1 values: v[lo - 1] | v[lo] and v[hi] | v[hi + 1] (0 and n - 1:
    // none), everything beyond it the gross group.
    let lo = 0;
    let hi = n - 1;
    for (let i = 1, widest = GROSS_GAP * spread; i <= k; i++) if (v[i] - v[i - 1] > widest) [widest, lo] = [v[i] - v[i - 1], i];
    for (let i = n - 1, widest = GROSS_GAP * spread; i >= n - k; i--) if (v[i] - v[i - 1] > widest) [widest, hi] = [v[i] - v[i - 1], i - 1];
    // Set apart by the gap is not enough: the group must also be implausible for the channel (its innermost value,
    // the one nearest the rest, stands for it: the others lie further out).
    const size = Math.max(Math.abs(median), spread);
    const absurd = (x: number) => Math.abs(x - median) >= ABSURD * size;
    if (lo > 0 && !(absurd(v[lo - 1]) || (v[lo - 1] < 0 && p01 > 0))) lo = 0;
    if (hi < n - 1 && !(absurd(v[hi + 1]) || (v[hi + 1] > 0 && p99 < 0))) hi = n - 1;
    if (lo === 0 && hi === n - 1) continue;
    out.push({ channel: c, low: lo > 0 ? v[lo] : -Infinity, high: hi < n - 1 ? v[hi] : Infinity, count: lo + (n - 1 - hi), p01, p99 });
  }
  return out;
}

/**
 * Apply the policy: `error` throws naming every channel with gross outliers and its first row; `ffill` replaces each
 * with the channel's last good value (the next good one for leading cells) and says so; `keep` says so and trains
 * on them.
 */
export function handleOutliers(s: Series, policy: OutlierPolicy, file: string, onNote?: (note: string) => void): Series {
  const found = grossOutliers(s);
  if (!found.length) return s;
  const C = s.channels.length;
  const n = s.timestamps.length;
  const at = (r: number) => s.rawTimestamps?.[r] ?? new Date(s.timestamps[r]).toISOString();
  const describe = (g: GrossOutliers) => {
    const first = Array.from({ length: n }, (_, r) => r).find((r) => isGross(g, s.data[r * C + g.channel]))!;
    return `'${s.channels[g.channel]}': ${g.count} cell(s) far outside the rest (first at ${at(first)}: ${formatShort(s.data[first * C + g.channel])}; ` +
      `its other values lie in ${formatShort(g.p01)}..${formatShort(g.p99)} between the 1st and 99th percentiles)`;
  };
  const what = found.map(describe).join('; ');
  if (policy === 'error') {
    throw new Error(`${file}: gross outliers in the training data, ${what}. A historian's sentinel (-9999, 1e30) or a unit error would make ` +
      `the model scale the channel and set its threshold by them, and miss real faults: pass --outliers ffill to carry the last good value ` +
      `over them (as --fill ffill does for a missing cell), remove those rows, or --outliers keep if they are real readings`);
  }
  if (policy === 'keep') {
    onNote?.(`${file}: gross outliers kept (--outliers keep): ${what}`);
    return s;
  }
  const data = Float32Array.from(s.data);
  const filledRows = s.filledRows ? Uint8Array.from(s.filledRows) : new Uint8Array(n);
  for (const g of found) {
    const c = g.channel;
    let last = NaN;
    for (let r = 0; r < n && Number.isNaN(last); r++) if (!isGross(g, data[r * C + c])) last = data[r * C + c];
    for (let r = 0; r < n; r++) {
      if (!isGross(g, data[r * C + c])) last = data[r * C + c];
      else {
        data[r * C + c] = last;
        filledRows[r] = 1;
      }
    }
  }
  onNote?.(`${file}: gross outliers replaced by the channel's last good value (--outliers ffill): ${what}`);
  return { ...s, data, filledRows };
}
