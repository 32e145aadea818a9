/**
 * The labelled synthetic benchmark shared by the quality test (test/quality/synthetic-f1.test.ts) and the
 * architecture comparison (bench/compare.ts): simulated pumps from `generateSynthetic` with spikes, level
 * shifts, drifts, stuck sensors, noise bursts and broken current/flow correlation injected after a clean
 * stretch that is used for training, plus the point-wise labelling rule and pooled metrics.
 */
import { sliceRows, type Series } from '@vigil/runtime';
import { generateSynthetic, type AnomalyLabel, type AnomalyType } from '../../simulators/index.ts';
import { confusionRates, countConfusion, firstFlag, type Confusion } from '../../runtime/evaluate/labels/metrics.ts';

/** The six fault kinds the quality bound is about (dropout is left out: a zero reading is trivially caught). */
export const FAULT_KINDS: AnomalyType[] = ['spike', 'level_shift', 'drift', 'variance_burst', 'stuck', 'broken_correlation'];

/** Shape of the benchmark. */
export interface SyntheticSetOptions {
  sensors: number;
  rows: number;
  /** Fault-free rows at the start of each pump; all of them train the model. */
  trainRows: number;
  seed: number;
  /** Probability per row that a fault starts (after the clean rows and the gap). */
  anomalyRate: number;
  minGap: number;
  /** Compressed demand cycle and mode dwell, so the training rows see every regime more than once. */
  dayPeriodS: number;
  modeDwellS: number;
}

/** Defaults: three pumps x 6,000 rows at 1 Hz (every fault kind occurs), 1,500 clean training rows each. */
export const SYNTHETIC_SET: SyntheticSetOptions = {
  sensors: 3, rows: 6000, trainRows: 1500, seed: 5, anomalyRate: 1 / 400, minGap: 150, dayPeriodS: 600, modeDwellS: 150,
};

/** One pump of the benchmark. */
export interface SyntheticPump {
  id: string;
  series: Series;
  train: Series;
  labels: AnomalyLabel[];
}

/** Generate the benchmark (deterministic for the options). */
export function syntheticSet(o: SyntheticSetOptions = SYNTHETIC_SET): SyntheticPump[] {
  const d = generateSynthetic({
    rows: o.rows, sensors: o.sensors, seed: o.seed, types: FAULT_KINDS, anomalyRate: o.anomalyRate, cleanRows: o.trainRows,
    minGap: o.minGap, dayPeriodS: o.dayPeriodS, modeDwellS: o.modeDwellS,
  });
  return d.sensors.map((s) => ({ id: s.id, series: s.series, train: sliceRows(s.series, 0, o.trainRows), labels: s.labels }));
}

/** A labelled interval, rows inclusive (an injected fault, or a NAB window). */
export type Interval = Pick<AnomalyLabel, 'startRow' | 'endRow'>;

/**
 * Point-wise truth for a causal detector whose score at row t comes from the window ending at t and weighs its
 * last `span` rows: 1 on [start, end + span - 1] (every row whose scored rows overlap the fault), -1 (not
 * counted either way) on the rest of the window length after the fault, [end + span, end + window - 1], where
 * the window still holds faulty rows as context, and 0 elsewhere.
 */
export function pointTruth(labels: Interval[], rows: number, span: number, window: number): Int8Array {
  const t = new Int8Array(rows);
  for (const l of labels) {
    for (let r = l.endRow + span; r < Math.min(rows, l.endRow + window); r++) if (t[r] === 0) t[r] = -1;
  }
  for (const l of labels) t.fill(1, l.startRow, Math.min(rows, l.endRow + span));
  return t;
}

/** Confusion counts and event detection, pooled over pumps. */
export interface PooledCounts extends Confusion {
  events: number;
  detected: number;
  /** Rows from fault start to the first flag (detected faults only). */
  delays: number[];
}

/** An empty tally. */
export function emptyCounts(): PooledCounts {
  return { tp: 0, fp: 0, fn: 0, tn: 0, events: 0, detected: 0, delays: [] };
}

/** Add one pump's flags (per row, 0/1) from row `from` on; rows whose truth is -1 count neither way. */
export function tally(c: PooledCounts, flags: ArrayLike<number>, truth: Int8Array, labels: Interval[], window: number, from: number): void {
  countConfusion(flags, truth, from, undefined, c);
  for (const l of labels) {
    if (l.startRow < from) continue;
    c.events++;
    const r = firstFlag(flags, l.startRow, Math.min(truth.length, l.endRow + window));
    if (r >= 0) {
      c.detected++;
      c.delays.push(r - l.startRow);
    }
  }
}

/**
 * Metrics from pooled counts. The median delay here is the upper median (the sorted middle, or the later of the
 * two middles) that the committed bench results were made with; `vigil evaluate labels` averages the two middles.
 */
export function metricsOf(c: PooledCounts) {
  const sorted = [...c.delays].sort((a, b) => a - b);
  return {
    ...confusionRates(c),
    eventRecall: c.events ? c.detected / c.events : 0,
    medianDelayRows: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
    meanDelayRows: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null,
  };
}
