/**
 * The threshold contract: a tiny verb API, one implementation per file, one instance per sensor.
 * `isAnomaly` decides at the current level; `update` learns from a score (adaptive kinds may refuse to learn
 * from scores they flagged, so an incident does not raise the bar it is measured against).
 */

/** Serialised state of any threshold: enough to rebuild it exactly with `restoreThreshold`. */
export interface ThresholdState {
  kind: string;
  config: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** A threshold over anomaly scores. */
export interface Threshold {
  /** Kind name as used in config, e.g. `static`, `spot`. */
  readonly kind: string;
  /** The current threshold level. */
  current(): number;
  /** Whether `score` is anomalous at the current level (no state change). */
  isAnomaly(score: number): boolean;
  /** Learn from one score; `flagged` says whether it was judged anomalous. */
  update(score: number, flagged: boolean): void;
  /** Serialise config and state. */
  toJSON(): ThresholdState;
  /**
   * Told every decision, also of scores that will not be learnt (the learning gate holds scores back):
   * for kinds whose bar depends on whether an excursion is open (telemanom). Learns nothing.
   */
  decided?(flagged: boolean): void;
}

/** An adaptive threshold: its learnt state can be put back from `toJSON().state` (see `restoreThreshold`). */
export interface RestorableThreshold extends Threshold {
  /** Replace the learnt state; throws a message naming the bad field when `state` is not valid. */
  restore(state: Record<string, unknown>): void;
}

/** One decision: the level used and the verdict. */
export interface Decision {
  anomaly: boolean;
  threshold: number;
}

/** Decide on a score, then learn from it: the order every caller (offline and live) must use. */
export function decide(t: Threshold, score: number): Decision {
  const threshold = t.current();
  const anomaly = t.isAnomaly(score);
  t.update(score, anomaly);
  return { anomaly, threshold };
}
