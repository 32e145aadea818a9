/**
 * Judging one method's per-row verdict on a labelled run, with the one metrics module
 * (evaluate/labels/metrics.ts). A windowed detector (vigil: a score per window ending at row t, weighing
 * its last `span` rows) is judged with `pointTruth` of fixtures/synthetic-set.ts: a fault counts as anomalous
 * until `span - 1` rows after it ends, the rest of the window after it counts neither way, and an alert up to
 * `window - 1` rows after the end still detects it. A row-wise baseline is judged with span = window = 1, i.e.
 * the labels as they are. Every method is judged on the same rows: from `judgeFrom` and from the first row where
 * vigil's first window is full.
 */
import { evaluateAlerts, type LabelMetrics } from '../../evaluate/labels/metrics.ts';
import type { LabelledEvent } from '../../evaluate/labels/truth.ts';
import { pointTruth } from '@vigil/fixtures/synthetic-set.ts';
import type { LabelledRun } from './labelled-run.ts';

/** How a detector's verdict at row t relates to the rows before it. */
export interface Geometry {
  /** Trailing rows weighed by the score. */
  span: number;
  /** Rows of context per verdict. */
  window: number;
}

/** A row-wise detector. */
export const ROW_WISE: Geometry = { span: 1, window: 1 };

/** Metrics of `alert` (one 0/1 per test row) on `run`; rows before `from` are not judged. */
export function judgeRun(run: LabelledRun, alert: Uint8Array, g: Geometry, from: number): LabelMetrics {
  const ts = run.test.timestamps;
  const rows = ts.length;
  if (alert.length !== rows) throw new Error(`${run.id}: ${alert.length} verdicts for ${rows} rows`);
  const start = Math.max(from, run.judgeFrom);
  const events = run.events.filter((e) => e.startRow >= start);
  const truth = pointTruth(run.events, rows, g.span, g.window);
  const label = Uint8Array.from(truth, (t) => (t > 0 ? 1 : 0));
  const ignore = Uint8Array.from(truth, (t, r) => (t < 0 || r < start ? 1 : 0));
  const step = rows > 1 ? (ts[rows - 1] - ts[0]) / (rows - 1) : 0;
  const asMs: LabelledEvent[] = events.map((e) => ({ start: ts[e.startRow], end: ts[Math.min(rows - 1, e.endRow)], type: e.type }));
  return evaluateAlerts(ts, alert, label, asMs, (g.window - 1) * step, ignore);
}
