/**
 * The scored side of a labelled evaluation: timestamps, anomaly scores and the alert decision per row.
 * Alerts come from `--threshold` (score > t), else an alert column, else a per-row `threshold` column.
 */
import { LABEL_COLUMNS as CSV_LABEL_COLUMNS } from '@vigil/runtime/data/csv.ts';
import { labelMarks } from '@vigil/runtime/data/labels.ts';
import { boolColumn, findColumn, numberColumn, requireColumn, SENSOR_COLUMNS, TIMESTAMP_COLUMNS, type Table } from './table.ts';
import { timestampCell } from './truth.ts';

/** Columns looked for, in order, when the caller names none. */
export const SCORE_COLUMNS = ['anomaly_score', 'score'];
/**
 * Columns holding a detector's 0/1 decision. Never a name every command reads as ground truth (`anomaly`,
 * `is_anomaly`: a review scored a SKAB file against itself, its labels taken for the verdict, F1 1.0); such a column
 * is the verdict only when named with --alert-column.
 */
export const ALERT_COLUMNS = ['alert', 'flagged', 'alarm'];
/**
 * Columns holding a per-row label in the scores file itself (`vigil score` writes its input's as `label`; a SKAB file
 * has `anomaly`): the ground-truth names every command sets aside (runtime/data/csv.ts, `changepoint` last, as it
 * marks onsets only) and two more. A cell marks its row by the rule every command reads labels with
 * (runtime/data/labels.ts): a number other than 0, or a word other than `normal`, `ok`, `false`, ... (`bearing`, `1`,
 * `true` mark; `0`, `normal`, empty do not).
 */
export const LABEL_COLUMNS = [...CSV_LABEL_COLUMNS.filter((c) => c !== 'changepoint'), 'is_label', 'ground_truth', 'changepoint'];

/** Options choosing columns and the decision rule. */
export interface ScoresOptions {
  scoreColumn?: string;
  alertColumn?: string;
  threshold?: number;
  /** Keep only rows whose `sensor` column (if any) equals this. */
  sensor?: string;
}

/** Scored rows ready to compare with labels. */
export interface ScoredRows {
  timestamps: Float64Array;
  scores: Float64Array;
  alert: Uint8Array;
  /** How alerts were decided, for the report. */
  rule: string;
  /** Per-row label when the scores file carries one. */
  label?: Uint8Array;
  /** The alert was open on the row before the first one kept (`rowsFrom`). */
  openBefore?: boolean;
}

function filterSensor(t: Table, sensor: string | undefined): Table {
  // A scores file without a sensor column holds one sensor: the filter then only applies to the labels.
  const col = sensor === undefined ? -1 : findColumn(t, SENSOR_COLUMNS);
  if (col < 0) return t;
  const keep = t.rows.map((r, k) => [r, t.lines[k]] as const).filter(([r]) => r[col] === sensor);
  if (keep.length === 0) throw new Error(`${t.file}: no rows for sensor '${sensor}'`);
  return { ...t, rows: keep.map(([r]) => r), lines: keep.map(([, l]) => l) };
}

/** Only the rows at or after `from` (epoch ms): `--from`, e.g. the rows after a model's training stretch. */
export function rowsFrom(s: ScoredRows, from: number, file: string): ScoredRows {
  const keep: number[] = [];
  s.timestamps.forEach((t, i) => t >= from && keep.push(i));
  if (keep.length === 0) throw new Error(`${file}: no scored rows at or after ${new Date(from).toISOString()} (--from); its last is ${new Date(s.timestamps[s.timestamps.length - 1]).toISOString()}`);
  const f64 = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const u8 = (a: Uint8Array) => Uint8Array.from(keep, (i) => a[i]);
  return {
    ...s,
    timestamps: f64(s.timestamps),
    scores: f64(s.scores),
    alert: u8(s.alert),
    ...(s.label ? { label: u8(s.label) } : {}),
    // Open on the last row before `from`: the first row kept continues that alert, it does not open one (a review).
    openBefore: keep[0] > 0 && s.alert[keep[0] - 1] === 1,
    // A --from before the first row leaves nothing out (a probe's offset moved it an hour early, and the training
    // rows at the top of the file were judged with the rest): the rule says so where the figures are printed.
    rule: `${s.rule}, rows from ${new Date(from).toISOString()}${from < s.timestamps[0] ? ` (before the first scored row, ${new Date(s.timestamps[0]).toISOString()}: every row judged, none left out)` : ''}`,
  };
}

/** Read scores and decide alerts per row. */
export function scoredRowsFromTable(table: Table, opts: ScoresOptions = {}): ScoredRows {
  const t = filterSensor(table, opts.sensor);
  const tsCol = requireColumn(t, TIMESTAMP_COLUMNS, 'timestamp');
  const timestamps = Float64Array.from(t.rows, (_, k) => timestampCell(t, k, tsCol));
  const scoreCol = requireColumn(t, opts.scoreColumn ? [opts.scoreColumn] : SCORE_COLUMNS, 'score');
  const scores = numberColumn(t, scoreCol);
  const labelCol = findColumn(t, LABEL_COLUMNS);
  const label = labelCol >= 0 ? Uint8Array.from(t.rows, (r) => (labelMarks(r[labelCol]) ? 1 : 0)) : undefined;
  if (opts.threshold !== undefined) {
    const th = opts.threshold;
    // Above the bar, as the runtime decides (`anomaly: score > threshold`) and as a per-row threshold column is read.
    return { timestamps, scores, alert: Uint8Array.from(scores, (s) => (s > th ? 1 : 0)), rule: `${t.header[scoreCol]} > ${th}`, label };
  }
  const alertCol = findColumn(t, opts.alertColumn ? [opts.alertColumn] : ALERT_COLUMNS);
  if (alertCol >= 0) return { timestamps, scores, alert: boolColumn(t, alertCol), rule: `column '${t.header[alertCol]}'`, label };
  const thCol = findColumn(t, ['threshold']);
  if (thCol >= 0) {
    const th = numberColumn(t, thCol);
    return { timestamps, scores, alert: Uint8Array.from(scores, (s, i) => (s > th[i] ? 1 : 0)), rule: `${t.header[scoreCol]} > per-row threshold`, label };
  }
  throw new Error(`${t.file}: cannot tell which rows alerted; pass --threshold, or provide a column ${ALERT_COLUMNS.join('/')} or 'threshold', or name your verdict column with --alert-column (a ground-truth name such as 'anomaly' is never taken for one unasked)`);
}
