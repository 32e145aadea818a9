/**
 * The one metrics module of evaluate, tests and bench: point-wise confusion counts (`countConfusion`) and their
 * rates (`confusionRates`: precision, recall, F1, FAR, MAR), the first flag of an event (`firstFlag`), and for a
 * stream of alerts per event the detection delay (first alert from the event's start up to its end plus a
 * tolerance), and the false alerts an operator gets (alerts that open on normal data). Metrics of several runs
 * pool into one (`poolMetrics`): counts add up, events are listed together, rates are recomputed. Imports nothing
 * but a type, so bench and tests take it without the runtime around it.
 */
import type { LabelledEvent } from './truth.ts';

/** Detection outcome of one labelled event. */
export interface EventDetection extends LabelledEvent {
  detected: boolean;
  /**
   * ms from the event start (or the first scored row, for an event that began before it) to the first alert that
   * opens inside [start, end + tolerance]; null when missed. An alert already open when the event began does not
   * detect it: nobody is notified of it.
   */
  delayMs: number | null;
  /** Rows from the event's first scored row to that alert; null when missed. */
  delayRows: number | null;
  /** No scored row lies in it (labels in another time zone, or of another file): missed, and said so. */
  outside?: boolean;
}

/** Every metric `vigil evaluate labels` reports. */
export interface LabelMetrics extends Confusion, ConfusionRates {
  /** Rows counted point-wise (ignored rows left out). */
  rows: number;
  events: EventDetection[];
  eventsDetected: number;
  /** Detected events / all events. */
  eventRecall: number;
  meanDelayMs: number | null;
  medianDelayMs: number | null;
  /** Median over detected events of the rows from the event's first row to the first alert opening in it. */
  medianDelayRows: number | null;
  /**
   * Alerts an operator gets for nothing: runs of alerted rows that open on a normal row, not within an event or its
   * tolerance after it, however long each lasts (`countFalseAlerts`).
   */
  falseAlerts: number;
  /** Data time of the normal rows counted (FP + TN rows x the median step), ms: false alerts per day divide by it. */
  normalMs: number;
  /** Data time of the first and last scored rows (absent when pooled over runs). */
  scored?: { from: number; to: number };
}

/** Point-wise confusion counts. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Rates of confusion counts; each is 0 where its denominator is 0. */
export interface ConfusionRates {
  precision: number;
  recall: number;
  f1: number;
  /** FP / (FP + TN): share of normal rows flagged (FAR). */
  falseAlarmRate: number;
  /** FN / (FN + TP): share of labelled rows not flagged (MAR). */
  missRate: number;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Precision, recall, F1, false-alarm and miss rates of confusion counts. */
export function confusionRates(c: Confusion): ConfusionRates {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return {
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    falseAlarmRate: ratio(c.fp, c.fp + c.tn),
    missRate: ratio(c.fn, c.fn + c.tp),
  };
}

/**
 * F1 straight from counts, 2TP / (2TP + FP + FN): the same value as `confusionRates(c).f1` up to rounding, and
 * exactly equal for equal ratios, so a search for the best threshold keeps the first of equally good ones.
 */
export function f1OfCounts(c: Pick<Confusion, 'tp' | 'fp' | 'fn'>): number {
  return c.tp ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : 0;
}

/**
 * Count flags against labels over rows `from` up to the labels' end, adding to `into` when given. A row counts
 * neither way when its label is below 0 or `ignore` marks it (e.g. rows whose window still holds a fault's rows).
 */
export function countConfusion(
  flags: ArrayLike<number | boolean>,
  labels: ArrayLike<number>,
  from = 0,
  ignore?: ArrayLike<number>,
  into: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 },
): Confusion {
  const c = into;
  for (let i = from; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || ignore?.[i]) continue;
    if (l) flags[i] ? c.tp++ : c.fn++;
    else flags[i] ? c.fp++ : c.tn++;
  }
  return c;
}

/** Index of the first flagged row in [from, to), or -1: the row that detects an event spanning those rows. */
export function firstFlag(flags: ArrayLike<number | boolean>, from: number, to: number): number {
  for (let i = Math.max(0, from); i < to; i++) if (flags[i]) return i;
  return -1;
}

function median(sorted: number[]): number | null {
  const mid = sorted.length >> 1;
  return sorted.length ? (sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) : null;
}

/** Whether row `i` opens an alert: alerted, and the row before it not (the first row opens one when alerted). */
export function opensAt(alert: ArrayLike<number>, i: number): boolean {
  return Boolean(alert[i]) && (i === 0 || !alert[i - 1]);
}

/**
 * Alerts that went to an operator for nothing: runs of alerted rows that open on a normal row (not labelled, not
 * ignored). A run is judged where it opens, as an operator is notified: one that opens on normal data and runs on
 * into an event is still a false alert, and does not detect that event (`evaluateAlerts`).
 */
export function countFalseAlerts(alert: ArrayLike<number>, label: ArrayLike<number>, ignore?: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < alert.length; i++) if (opensAt(alert, i) && !label[i] && !ignore?.[i]) count++;
  return count;
}

/** Per day of normal data: the rate an operator sees of `falseAlerts`. */
export function falseAlertsPerDay(m: Pick<LabelMetrics, 'falseAlerts' | 'normalMs'>): number {
  return m.normalMs > 0 ? (m.falseAlerts * 86_400_000) / m.normalMs : 0;
}

/** Rates and event summaries from confusion counts and per-event detections. */
function summarise(c: Pick<LabelMetrics, 'rows' | 'tp' | 'fp' | 'tn' | 'fn' | 'falseAlerts' | 'normalMs'>, detections: EventDetection[]): LabelMetrics {
  const { tp, fp, tn, fn } = c;
  const delays = detections.flatMap((d) => (d.delayMs === null ? [] : [d.delayMs])).sort((a, b) => a - b);
  const delayRows = detections.flatMap((d) => (d.delayRows === null ? [] : [d.delayRows])).sort((a, b) => a - b);
  return {
    rows: c.rows,
    tp,
    fp,
    tn,
    fn,
    ...confusionRates(c),
    events: detections,
    eventsDetected: delays.length,
    eventRecall: ratio(delays.length, detections.length),
    meanDelayMs: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
    medianDelayMs: median(delays),
    medianDelayRows: median(delayRows),
    falseAlerts: c.falseAlerts,
    normalMs: c.normalMs,
  };
}

/** What else `evaluateAlerts` judges by. */
export interface AlertJudging {
  /** The alert was already open on the row before the first (rows cut off by --from): the first row opens nothing. */
  openBefore?: boolean;
  /** Events not judged (over before the judged rows) whose tolerance still excuses an alert opening after them. */
  unjudged?: LabelledEvent[];
}

/**
 * Compute point-wise and event metrics. An event is detected by the first alert that opens inside it or within
 * `toleranceMs` after it (each opening detects one event: the one it opens in, else the latest whose tolerance covers
 * it); an alert that opens on a normal row outside every event's tolerance is a false alert. Rows where `ignore` is
 * 1 count neither way point-wise, and an alert opening there neither detects nor is false.
 */
export function evaluateAlerts(
  timestamps: Float64Array,
  alert: Uint8Array,
  label: Uint8Array,
  events: LabelledEvent[],
  toleranceMs = 0,
  ignore?: Uint8Array,
  o: AlertJudging = {},
): LabelMetrics {
  const c = countConfusion(alert, label.subarray(0, alert.length), 0, ignore);
  const rows = c.tp + c.fp + c.tn + c.fn;
  const steps = Array.from(timestamps.subarray(1), (t, i) => t - timestamps[i]).sort((a, b) => a - b);
  const normalMs = (c.fp + c.tn) * (median(steps) ?? 0);
  // An alert opening within `toleranceMs` after an event detects it (below): it is not also a false alert (a probe:
  // one alert counted both ways under --tolerance 10m); nor after an event over before the judged rows.
  const near = Uint8Array.from(ignore ?? new Uint8Array(alert.length));
  if (o.openBefore && alert.length) near[0] = 1;
  for (const e of [...events, ...(o.unjudged ?? [])]) for (let i = 0; i < timestamps.length; i++) if (timestamps[i] >= e.start && timestamps[i] <= e.end + toleranceMs) near[i] = 1;
  const falseAlerts = countFalseAlerts(alert, label, near);
  // Each opening detects at most one event: the one it opens in, else the latest that ended within the tolerance
  // before it (a review: one alert in the tolerance of one event and inside the next was credited to both).
  const ownerOf = (t: number): number => {
    let after = -1;
    for (let k = 0; k < events.length; k++) {
      const e = events[k];
      if (t >= e.start && t <= e.end) return k;
      if (t > e.end && t <= e.end + toleranceMs && (after < 0 || e.end > events[after].end)) after = k;
    }
    return after;
  };
  const first = new Int32Array(events.length).fill(-1);
  for (let i = o.openBefore ? 1 : 0; i < alert.length; i++) {
    if (!opensAt(alert, i) || ignore?.[i]) continue;
    const k = ownerOf(timestamps[i]);
    if (k >= 0 && first[k] < 0) first[k] = i;
  }
  const detections = events.map((e, k): EventDetection => {
    let firstIn = -1;
    for (let i = 0; i < timestamps.length && firstIn < 0; i++) if (timestamps[i] >= e.start && timestamps[i] <= e.end + toleranceMs) firstIn = i;
    const at = first[k];
    return at < 0
      ? { ...e, detected: false, delayMs: null, delayRows: null, ...(firstIn < 0 && { outside: true }) }
      : { ...e, detected: true, delayMs: timestamps[at] - Math.max(e.start, timestamps[0]), delayRows: at - firstIn };
  });
  return { ...summarise({ rows, ...c, falseAlerts, normalMs }, detections), ...(timestamps.length && { scored: { from: timestamps[0], to: timestamps[timestamps.length - 1] } }) };
}

/** Pool the metrics of several runs: confusion counts summed, events concatenated, rates and delays recomputed. */
export function poolMetrics(parts: LabelMetrics[]): LabelMetrics {
  const sum = (k: 'rows' | 'tp' | 'fp' | 'tn' | 'fn' | 'falseAlerts' | 'normalMs') => parts.reduce((a, m) => a + m[k], 0);
  return summarise({ rows: sum('rows'), tp: sum('tp'), fp: sum('fp'), tn: sum('tn'), fn: sum('fn'), falseAlerts: sum('falseAlerts'), normalMs: sum('normalMs') }, parts.flatMap((m) => m.events));
}
