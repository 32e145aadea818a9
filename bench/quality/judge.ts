/**
 * Judging one method's per-row verdict on a labelled run, with the one metrics module
 * (evaluate/labels/metrics.ts). Every method on a set is judged alike, on the labels as they are (as the held-out
 * benchmarks of issue 13 judge: point-wise over the rows after training), on the same rows and with the same
 * tolerance: rows from `from` on (the first row where vigil's first window is full, and after training), and an
 * alert that opens up to `toleranceRows` rows after a fault ends still detects it (vigil's window still holds the
 * fault's rows then) instead of counting as a false alert. Point-wise, those rows are normal rows for everyone.
 */
import { evaluateAlerts, type LabelMetrics } from '../../evaluate/labels/metrics.ts';
import type { LabelledEvent } from '../../evaluate/labels/truth.ts';
import type { LabelledRun } from './labelled-run.ts';

/** The rows judged and the detection tolerance: one per set, the same for every method. */
export interface Judging {
  /** First row judged (later when the run's own `judgeFrom` is later). */
  from: number;
  /** Rows after a fault's end in which an alert that opens still detects it. */
  toleranceRows: number;
}

/** The judging of a set whose vigil model has `window` rows per verdict. */
export function judgingFor(window: number): Judging {
  return { from: window - 1, toleranceRows: window - 1 };
}

/** Metrics of `alert` (one 0/1 per test row) on `run`. */
export function judgeRun(run: LabelledRun, alert: Uint8Array, j: Judging): LabelMetrics {
  const ts = run.test.timestamps;
  const rows = ts.length;
  if (alert.length !== rows) throw new Error(`${run.id}: ${alert.length} verdicts for ${rows} rows`);
  const start = Math.max(j.from, run.judgeFrom);
  const events = run.events.filter((e) => e.startRow >= start);
  const label = new Uint8Array(rows);
  for (const e of run.events) label.fill(1, e.startRow, Math.min(rows, e.endRow + 1));
  const ignore = Uint8Array.from(label, (_, r) => (r < start ? 1 : 0));
  const step = rows > 1 ? (ts[rows - 1] - ts[0]) / (rows - 1) : 0;
  const asMs = (list: LabelledRun['events']): LabelledEvent[] => list.map((e) => ({ start: ts[e.startRow], end: ts[Math.min(rows - 1, e.endRow)], type: e.type }));
  // A fault that began before the judged rows is not judged, but an alert opening in its tolerance is no false alert.
  const unjudged = asMs(run.events.filter((e) => e.startRow < start));
  // (An alert open before the judged rows opens nothing in them: the rows before stay in `alert`, only ignored.)
  return evaluateAlerts(ts, alert, label, asMs(events), j.toleranceRows * step, ignore, { unjudged });
}
