/**
 * Counters of everything the pipeline drops, resets, evicts or produces. A plain object the caller owns and
 * passes to each operator, so the metrics layer can bind it to prom-client (or a test can read it) without
 * the operators knowing about either.
 */

/** Pipeline counters; all monotonic except the gauges marked as such. */
export interface PipelineCounters {
  /** Readings seen by `windowBySensor`. */
  readings: number;
  /** Readings `reorderBySensor` put back before a newer one of their sensor that had arrived first (saved from `out_of_order`). */
  reordered: number;
  /** Gauge: readings `reorderBySensor` holds now. */
  reorderHeld: number;
  /**
   * Readings that repeat one the sensor already had accepted (same timestamp and values, within
   * `window.duplicateHorizon`): a QoS 1 redelivery, ignored; judged once already, so not a drop.
   */
  duplicates: number;
  /** Gauge: readings the window stage can remember to recognise duplicates (ring slots over all sensors, 16 B each). */
  duplicateMemoryReadings: number;
  /** Readings forgotten before they left window.duplicateHorizonMs because a memory bound was reached. */
  duplicateMemoryShed: number;
  /** Readings dropped because their timestamp equals the sensor's last one but their values differ. */
  timestampConflicts: number;
  /** Readings dropped because their timestamp is older than the sensor's last one. */
  outOfOrder: number;
  /** Readings dropped because they carry none of the model's channels (or a non-finite timestamp). */
  unusable: number;
  /** Readings dropped because their admission pool takes no sensors (`maxSensors: 0`). */
  sensorLimit: number;
  /** Least recently seen sensors evicted to make room for a new one in a full pool. */
  evictedFull: number;
  /** Channel values forward-filled from an earlier reading. */
  filled: number;
  /** Window buffers reset because of a gap in the data longer than the limit. */
  gapResets: number;
  /**
   * Sensors started afresh because a reading stamped well ahead of its arrival was followed by one near its own
   * (sensor-clocks.ts `clockStepped`): the first one's clock was wrong, and every later reading would have been
   * refused as out of order until real time passed it.
   */
  clockSteps: number;
  /** Sensor clocks that jumped ahead and stayed there (a clock set forward: confirmed by a window, or a live step; sensor-clocks.ts). */
  clockJumps: number;
  /** Steps in a sensor's timestamps that skip readings at its usual interval (`window.readingIntervalMs`). */
  readingGaps: number;
  /**
   * Readings those gaps skipped (each gap: its length in intervals, less one): lost upstream, or come too late; one
   * that comes after its gap was counted is dropped without a second count (data-gaps.ts `lateIntoGap`).
   */
  readingsMissing: number;
  /**
   * Of `readingsMissing`, readings that did reach vigil, after their gap was counted (out of order past what the
   * reorder stage held: a restart's first disorder, an early release): received, too late to score, not counted
   * again. The rest of the missing never came (a broker's queue limit, a gateway's outage).
   */
  readingsLate: number;
  /** Sensors evicted after being idle longer than the timeout. */
  evictedIdle: number;
  /** Gauge: sensors with a window buffer. */
  activeSensors: number;
  /** Windows emitted (complete or not). */
  windows: number;
  /** Windows emitted with a channel held past its max age. */
  incompleteWindows: number;
  /** Incomplete windows not emitted because `skipIncomplete` is set. */
  skippedIncomplete: number;
  /** Batches sent to inference. */
  batches: number;
  /** Windows scored. */
  scored: number;
  /** Windows shed because waiting windows would pass `maxPendingBytes` (the oldest of the longest backlog first). */
  droppedQueueFull: number;
  /** Windows dropped because the batch that carried them failed in inference. */
  droppedInferenceError: number;
  /**
   * Windows cut but never scored because the inference stage was torn down with them waiting: a stop whose drain
   * limit ran out (`batch.stopDrainMs`), or the pipeline restarted after a failure.
   */
  droppedAbandoned: number;
  /** Batches whose inference call failed. */
  inferenceErrors: number;
  /** Gauge: windows waiting for inference. */
  pending: number;
  /** Gauge: bytes the waiting windows cost against `maxPendingBytes`. */
  pendingBytes: number;
  /** Windows re-scaled because the model was swapped while they waited. */
  rescaled: number;
  /** Verdicts that were anomalous. */
  anomalies: number;
  /** Alerts opened and closed. */
  alertsOpened: number;
  alertsClosed: number;
  /** Open alerts that reached the critical multiple of their threshold after opening below it. */
  alertsEscalated: number;
  /** Alert openings suppressed by the cooldown after a close. */
  alertsSuppressed: number;
  /** Verdicts ignored by the alert stage because they repeat or precede one already seen for the sensor. */
  alertDuplicates: number;
  /** Windows of sensors under maintenance (runtime/alerts/maintenance.ts): judged, opening no alert. */
  windowsMuted: number;
}

/**
 * Every reason a reading or window is dropped, with its counter: `vigil_dropped_total{reason}`, the log and /health.
 * Duplicates are not here: a repeat of a reading already judged loses nothing (`vigil_readings_duplicate_total`).
 */
export const DROP_REASONS = [
  ['timestamp_conflict', 'timestampConflicts'],
  ['out_of_order', 'outOfOrder'],
  ['unusable', 'unusable'],
  ['sensor_limit', 'sensorLimit'],
  ['skipped_incomplete', 'skippedIncomplete'],
  ['queue_full', 'droppedQueueFull'],
  ['inference_error', 'droppedInferenceError'],
  ['abandoned', 'droppedAbandoned'],
] as const satisfies readonly (readonly [string, keyof PipelineCounters])[];

/** Readings and windows dropped so far, by reason (non-zero ones). */
export function droppedByReason(c: PipelineCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, key] of DROP_REASONS) if (c[key] > 0) out[reason] = c[key];
  return out;
}

/** Fresh counters, all zero. */
export function createCounters(): PipelineCounters {
  return {
    readings: 0,
    reordered: 0,
    reorderHeld: 0,
    duplicates: 0,
    duplicateMemoryReadings: 0,
    duplicateMemoryShed: 0,
    timestampConflicts: 0,
    outOfOrder: 0,
    unusable: 0,
    sensorLimit: 0,
    evictedFull: 0,
    filled: 0,
    gapResets: 0,
    clockSteps: 0,
    clockJumps: 0,
    readingGaps: 0,
    readingsMissing: 0,
    readingsLate: 0,
    evictedIdle: 0,
    activeSensors: 0,
    windows: 0,
    incompleteWindows: 0,
    skippedIncomplete: 0,
    batches: 0,
    scored: 0,
    droppedQueueFull: 0,
    droppedInferenceError: 0,
    droppedAbandoned: 0,
    inferenceErrors: 0,
    pending: 0,
    pendingBytes: 0,
    rescaled: 0,
    anomalies: 0,
    alertsOpened: 0,
    alertsClosed: 0,
    alertsEscalated: 0,
    alertsSuppressed: 0,
    alertDuplicates: 0,
    windowsMuted: 0,
  };
}
