/**
 * Labelled-data metrics for a stream of alerts: point-wise confusion counts and rates, and per event the
 * detection delay (first alert from the event's start up to its end plus a tolerance). Metrics of several runs
 * pool into one (`poolMetrics`): counts add up, events are listed together, rates are recomputed.
 */
import type { LabelledEvent } from './truth.ts';

/** Detection outcome of one labelled event. */
export interface EventDetection extends LabelledEvent {
  detected: boolean;
  /** ms from the event start to the first alert inside [start, end + tolerance]; null when missed. */
  delayMs: number | null;
  /** Rows from the event's first row to the first alert; null when missed. */
  delayRows: number | null;
}

/** Every metric `vigil evaluate labels` reports. */
export interface LabelMetrics {
  rows: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** FP / (FP + TN): share of normal rows that alerted. */
  falseAlarmRate: number;
  /** FN / (FN + TP): share of labelled rows that did not alert. */
  missRate: number;
  events: EventDetection[];
  eventsDetected: number;
  /** Detected events / all events. */
  eventRecall: number;
  meanDelayMs: number | null;
  medianDelayMs: number | null;
  /** Median over detected events of the rows from the event's first row to its first alert. */
  medianDelayRows: number | null;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function median(sorted: number[]): number | null {
  const mid = sorted.length >> 1;
  return sorted.length ? (sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) : null;
}

/** Rates and event summaries from confusion counts and per-event detections. */
function summarise(c: Pick<LabelMetrics, 'rows' | 'tp' | 'fp' | 'tn' | 'fn'>, detections: EventDetection[]): LabelMetrics {
  const { tp, fp, tn, fn } = c;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const delays = detections.flatMap((d) => (d.delayMs === null ? [] : [d.delayMs])).sort((a, b) => a - b);
  const delayRows = detections.flatMap((d) => (d.delayRows === null ? [] : [d.delayRows])).sort((a, b) => a - b);
  return {
    rows: c.rows,
    tp,
    fp,
    tn,
    fn,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    falseAlarmRate: ratio(fp, fp + tn),
    missRate: ratio(fn, fn + tp),
    events: detections,
    eventsDetected: delays.length,
    eventRecall: ratio(delays.length, detections.length),
    meanDelayMs: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
    medianDelayMs: median(delays),
    medianDelayRows: median(delayRows),
  };
}

/**
 * Compute point-wise and event metrics; `toleranceMs` lets an alert just after an event still count for it.
 * Rows where `ignore` is 1 count neither way point-wise (e.g. a windowed detector's rows whose window still holds
 * an event's last rows as context); an alert there can still detect the event it follows.
 */
export function evaluateAlerts(
  timestamps: Float64Array,
  alert: Uint8Array,
  label: Uint8Array,
  events: LabelledEvent[],
  toleranceMs = 0,
  ignore?: Uint8Array,
): LabelMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let rows = 0;
  for (let i = 0; i < alert.length; i++) {
    if (ignore?.[i]) continue;
    rows++;
    if (label[i]) alert[i] ? tp++ : fn++;
    else alert[i] ? fp++ : tn++;
  }
  const detections = events.map((e): EventDetection => {
    let first = -1;
    let firstIn = -1;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i];
      if (t < e.start || t > e.end + toleranceMs) continue;
      if (firstIn < 0) firstIn = i;
      if (alert[i]) {
        first = i;
        break;
      }
    }
    return first < 0
      ? { ...e, detected: false, delayMs: null, delayRows: null }
      : { ...e, detected: true, delayMs: timestamps[first] - e.start, delayRows: first - firstIn };
  });
  return summarise({ rows, tp, fp, tn, fn }, detections);
}

/** Pool the metrics of several runs: confusion counts summed, events concatenated, rates and delays recomputed. */
export function poolMetrics(parts: LabelMetrics[]): LabelMetrics {
  const sum = (k: 'rows' | 'tp' | 'fp' | 'tn' | 'fn') => parts.reduce((a, m) => a + m[k], 0);
  return summarise({ rows: sum('rows'), tp: sum('tp'), fp: sum('fp'), tn: sum('tn'), fn: sum('fn') }, parts.flatMap((m) => m.events));
}
