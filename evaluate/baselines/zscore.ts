/**
 * Per-channel robust z-score baseline: median and MAD of each channel over the training rows, row score = mean of
 * z^2 over channels, limit = the `quantile` of the training rows' scores (default 99.9%).
 */
import { rowsOf, type FittedBaseline, type Rows } from './baseline.ts';
import { column, meanStd, quantile, safeScale } from './stats.ts';

/** Options of the z-score baseline. */
export interface ZScoreOptions {
  /** Quantile of the training scores used as the limit. */
  quantile: number;
}

/** Defaults: the limit at the 99.9% quantile of the training scores. */
export const ZSCORE_DEFAULTS: ZScoreOptions = { quantile: 0.999 };

/** MAD of normal data times this estimates the standard deviation. */
const MAD_TO_SIGMA = 1.4826;

/** Mean z^2 per row, with the given centres and scales. */
function meanZ2(rows: Rows, centre: Float64Array, scale: Float64Array): Float64Array {
  const C = rows.channels;
  const n = rows.data.length / C;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += ((rows.data[r * C + c] - centre[c]) / scale[c]) ** 2;
    out[r] = s / C;
  }
  return out;
}

/** Fit the z-score baseline on normal rows. */
export function fitZScore(train: Rows, options: Partial<ZScoreOptions> = {}): FittedBaseline & { centre: Float64Array; scale: Float64Array; limit: number } {
  const o = { ...ZSCORE_DEFAULTS, ...options };
  const C = train.channels;
  if (rowsOf(train, C, 'zscore') < 2) throw new Error('zscore: need at least 2 training rows');
  const centre = new Float64Array(C);
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const v = column(train, c);
    const med = quantile(v, 0.5);
    const mad = quantile(v.map((x) => Math.abs(x - med)), 0.5);
    centre[c] = med;
    scale[c] = safeScale(MAD_TO_SIGMA * mad, meanStd(v).std, med);
  }
  const limit = quantile(meanZ2(train, centre, scale), o.quantile);
  const safeLimit = limit > 0 ? limit : Number.MIN_VALUE;
  return {
    name: 'zscore',
    description: `per-channel robust z-score (median, 1.4826 MAD of the training rows); row score = mean z^2 over channels; limit = ${(100 * o.quantile).toPrecision(4)}% quantile of the training scores (${limit.toPrecision(4)})`,
    centre,
    scale,
    limit,
    score(rows: Rows): Float64Array {
      rowsOf(rows, C, 'zscore');
      return meanZ2(rows, centre, scale).map((s) => s / safeLimit);
    },
  };
}
