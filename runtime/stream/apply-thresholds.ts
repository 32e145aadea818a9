/**
 * ScoredWindow -> Verdict: each sensor's threshold decides on the score, then learns from it, in that order
 * (`decide()`), exactly as offline scoring does. Optional EWMA smoothing of the score before the decision.
 * Incomplete windows (a channel held past its max age) are judged but not learned from. Each scored window
 * object is completed in place into its Verdict.
 */
import { map, type OperatorFunction } from 'rxjs';
import { decide } from '../thresholds/threshold.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { ThresholdBank, type ScoreSmoother, type ThresholdFactory } from './threshold-bank.ts';
import type { ScoredWindow, Verdict } from './types.ts';

/** Options of `applyThresholds`. */
export interface ApplyThresholdsOptions {
  /** Smoothing before the decision: an EWMA weight in (0, 1], or a factory of per-sensor smoothers (told the sensor); omit for none. */
  smoothing?: number | ((sensor: string) => ScoreSmoother);
  counters?: PipelineCounters;
}

/** Judge every scored window against its sensor's threshold. Pass a bank to read or persist states. */
export function applyThresholds(thresholds: ThresholdBank | ThresholdFactory, opts: ApplyThresholdsOptions = {}): OperatorFunction<ScoredWindow, Verdict> {
  const bank = thresholds instanceof ThresholdBank ? thresholds : new ThresholdBank(thresholds);
  const makeSmoother = typeof opts.smoothing === 'number' ? ewma(opts.smoothing) : opts.smoothing;
  const counters = opts.counters ?? createCounters();
  return map((w: ScoredWindow): Verdict => {
    const e = bank.get(w.sensor);
    let score = w.score;
    if (makeSmoother) score = (e.smoother ??= makeSmoother(w.sensor)).smooth(score);
    let anomaly: boolean;
    let threshold: number;
    if (w.incomplete) {
      threshold = e.threshold.current();
      anomaly = e.threshold.isAnomaly(score);
    } else ({ anomaly, threshold } = decide(e.threshold, score));
    if (anomaly) counters.anomalies++;
    // The scored window becomes its verdict in place (hot path; nothing upstream keeps it).
    const v = w as Verdict;
    if (makeSmoother) v.rawScore = w.score;
    v.score = score;
    v.threshold = threshold;
    v.anomaly = anomaly;
    return v;
  });
}

/** Built-in EWMA smoother factory; the first score passes through unchanged. */
function ewma(alpha: number): () => ScoreSmoother {
  if (!(alpha > 0 && alpha <= 1)) throw new Error(`applyThresholds: smoothing must be in (0, 1], got ${alpha}`);
  return () => {
    let s = Number.NaN;
    return { smooth: (x) => (s = Number.isNaN(s) ? x : alpha * x + (1 - alpha) * s) };
  };
}
