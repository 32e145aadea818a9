/**
 * Labelled-data metrics for a stream of alerts: point-wise confusion counts and rates, and per event the
 * detection delay (first alert from the event's start up to its end plus a tolerance).
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
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Compute point-wise and event metrics; `toleranceMs` lets an alert just after an event still count for it. */
export function evaluateAlerts(
  timestamps: Float64Array,
  alert: Uint8Array,
  label: Uint8Array,
  events: LabelledEvent[],
  toleranceMs = 0,
): LabelMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < alert.length; i++) {
    if (label[i]) alert[i] ? tp++ : fn++;
    else alert[i] ? fp++ : tn++;
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
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
  const delays = detections.flatMap((d) => (d.delayMs === null ? [] : [d.delayMs])).sort((a, b) => a - b);
  const mid = delays.length >> 1;
  return {
    rows: alert.length,
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
    eventRecall: ratio(delays.length, events.length),
    meanDelayMs: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
    medianDelayMs: delays.length ? (delays.length % 2 ? delays[mid] : (delays[mid - 1] + delays[mid]) / 2) : null,
  };
}
