/**
 * NAB v1 scoring as a threshold sweep (the semantics of numenta/NAB `nab/sweeper.py`):
 * every row gets the score it would earn if it were a detection; a corpus threshold then turns rows into
 * detections. Inside a window only the best (earliest) detection counts; outside, each detection costs the
 * FP weight scaled by its distance past the previous window (full cost before any window).
 */
import type { CostMatrix, NabFile } from './corpus.ts';

/** NAB's share of each file that detectors may learn from and that is never scored. */
export const PROBATIONARY_PERCENT = 0.15;

/** Rows in the probationary period of a file of `rows` rows: floor(15%), capped at 15% of 5000 rows. */
export function probationaryLength(rows: number, percent = PROBATIONARY_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

/** 2*sigmoid(-5x) - 1: ~1 at the left edge of a window (x=-1), 0 at its right edge, -1 from x >= 3 on. */
export function scaledSigmoid(x: number): number {
  if (x >= 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Score that a detection at the very start of a window earns before the tp weight; normalises TPs to 1. */
const MAX_TP = scaledSigmoid(-1);

/** One scorable row: its anomaly score, what it earns if detected, and its window (-1 outside any). */
export interface SweepRow {
  anomalyScore: number;
  sweepScore: number;
  /** Corpus-wide window id, or -1 when the row is outside every window. */
  window: number;
}

/** Per-row sweep scores of one file (probationary rows dropped), windows numbered from `windowBase`. */
export function sweepRows(file: NabFile, anomalyScores: ArrayLike<number>, cost: CostMatrix, windowBase = 0): SweepRow[] {
  const n = file.timestamps.length;
  if (anomalyScores.length !== n) {
    throw new Error(`${file.path}: ${anomalyScores.length} anomaly scores for ${n} data rows; expected one score per row`);
  }
  const probation = probationaryLength(n);
  const out: SweepRow[] = [];
  let next = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const wins = file.windows;
    let inWindow = -1;
    // Advance past windows that ended before this row; the last one is the "previous window" for FPs.
    while (next < wins.length && wins[next][1] < i) {
      prevRight = wins[next][1];
      prevWidth = wins[next][1] - wins[next][0] + 1;
      next++;
    }
    if (next < wins.length && wins[next][0] <= i) inWindow = next;
    let sweep: number;
    if (inWindow >= 0) {
      const [s, e] = wins[inWindow];
      // -(right - i + 1) / width: -1 at the first row of the window, just below 0 at its last.
      sweep = (scaledSigmoid(-(e - i + 1) / (e - s + 1)) * cost.tpWeight) / MAX_TP;
    } else {
      const pos = prevRight < 0 ? 3 : prevWidth > 1 ? Math.abs(i - prevRight) / (prevWidth - 1) : 3;
      sweep = scaledSigmoid(pos) * cost.fpWeight;
    }
    if (i < probation) continue;
    out.push({ anomalyScore: anomalyScores[i], sweepScore: sweep, window: inWindow >= 0 ? windowBase + inWindow : -1 });
  }
  return out;
}

/** Raw score and counts when every row with anomaly score >= `threshold` is a detection. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Windows with at least one detection. */
  windowsHit: number;
}

/**
 * Score at every distinct threshold, highest first. `windows` lists the ids of all scorable windows
 * (each starts at -fnWeight, i.e. missed). The entry for threshold t counts rows with score >= t.
 */
export function sweepThresholds(rows: SweepRow[], windows: number[], cost: CostMatrix): ThresholdScore[] {
  const sorted = rows.slice().sort((a, b) => b.anomalyScore - a.anomalyScore);
  const best = new Map<number, number>(windows.map((w) => [w, -cost.fnWeight]));
  let total = -cost.fnWeight * windows.length;
  let tn = rows.filter((r) => r.window < 0).length;
  let fn = rows.length - tn;
  let tp = 0;
  let fp = 0;
  let cur = Number.POSITIVE_INFINITY;
  const hit = new Set<number>();
  const out: ThresholdScore[] = [];
  for (const r of sorted) {
    if (r.anomalyScore !== cur) {
      out.push({ threshold: cur, score: total, tp, fp, tn, fn, windowsHit: hit.size });
      cur = r.anomalyScore;
    }
    if (r.window < 0) {
      fp++;
      tn--;
      total += r.sweepScore;
    } else {
      tp++;
      fn--;
      hit.add(r.window);
      const old = best.get(r.window);
      if (old === undefined) throw new Error(`internal: window ${r.window} missing from the window list`);
      if (r.sweepScore > old) {
        best.set(r.window, r.sweepScore);
        total += r.sweepScore - old;
      }
    }
  }
  out.push({ threshold: cur, score: total, tp, fp, tn, fn, windowsHit: hit.size });
  return out;
}

/** Score of `rows` at one threshold (detections: anomaly score >= threshold). */
export function scoreAtThreshold(rows: SweepRow[], windows: number[], cost: CostMatrix, threshold: number): ThresholdScore {
  const best = new Map<number, number>(windows.map((w) => [w, -cost.fnWeight]));
  const hitWindows = new Set<number>();
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const r of rows) {
    const hit = r.anomalyScore >= threshold;
    if (r.window < 0) {
      if (hit) {
        fp++;
        fpSum += r.sweepScore;
      } else tn++;
    } else if (hit) {
      tp++;
      hitWindows.add(r.window);
      best.set(r.window, Math.max(best.get(r.window)!, r.sweepScore));
    } else fn++;
  }
  let score = fpSum;
  for (const v of best.values()) score += v;
  return { threshold, score, tp, fp, tn, fn, windowsHit: hitWindows.size };
}

/** Ids of the windows of a file that have at least one scorable (post-probation) row. */
export function scorableWindows(file: NabFile, windowBase = 0): number[] {
  const probation = probationaryLength(file.timestamps.length);
  return file.windows.flatMap(([, e], k) => (e >= probation ? [windowBase + k] : []));
}
