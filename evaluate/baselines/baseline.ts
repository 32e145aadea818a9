/**
 * The contract of a classical baseline detector: fitted on normal training rows, it scores each test row on its
 * own (no window) and flags the rows whose score exceeds its limit. Scores are normalised so the limit is 1, so
 * scores of different baselines share one axis and a plot's threshold line sits at 1.
 */

/** Row-major rows x channels values, channels in the order the baseline was fitted on. */
export interface Rows {
  data: ArrayLike<number>;
  channels: number;
}

/** A fitted baseline. */
export interface FittedBaseline {
  /** Short name for tables ('zscore', 'pca'). */
  name: string;
  /** One line: how the score and its limit were made (for reports). */
  description: string;
  /** Score per row, normalised so that a row is flagged when its score is > 1. */
  score(rows: Rows): Float64Array;
}

/** 1 where the normalised score exceeds the limit (1). */
export function flagsOf(scores: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(scores as ArrayLike<number>, (s) => (s > 1 ? 1 : 0));
}

/** Row count of `rows`, checking that the data is a whole number of rows. */
export function rowsOf(rows: Rows, fittedChannels: number, who: string): number {
  if (rows.channels !== fittedChannels) throw new Error(`${who}: data has ${rows.channels} channels; the baseline was fitted on ${fittedChannels}`);
  if (rows.data.length % rows.channels !== 0) throw new Error(`${who}: ${rows.data.length} values is not a whole number of rows of ${rows.channels} channels`);
  return rows.data.length / rows.channels;
}
