/** Order statistics and per-channel summaries the baselines fit on training rows. */
import type { Rows } from './baseline.ts';

/** Linear-interpolated `q` quantile (type 7) of unsorted values; NaN for none. */
export { quantile } from '@vigil/runtime/util/quantile.ts';

/** Values of channel `c`. */
export function column(rows: Rows, c: number): Float64Array {
  const n = rows.data.length / rows.channels;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) out[r] = rows.data[r * rows.channels + c];
  return out;
}

/** Mean and population standard deviation. */
export function meanStd(v: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / Math.max(1, v.length);
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / Math.max(1, v.length - 1)) };
}

/**
 * A usable scale for a channel: `preferred` when positive, else the standard deviation, else a tiny fraction of
 * the level, so a channel that never moved in training makes any later change stand out instead of dividing by 0.
 */
export function safeScale(preferred: number, std: number, level: number): number {
  if (preferred > 0) return preferred;
  if (std > 0) return std;
  return 1e-9 * Math.max(1, Math.abs(level));
}
