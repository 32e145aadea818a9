/**
 * Counters the ops layer keeps itself, outside the pipeline's operators (runtime/stream/counters.ts has theirs): a
 * plain object the ops parts increment and set; runtime/ops/metrics.ts reads it at scrape time, /health and tests
 * read it as it is.
 */

/** Counters the ops layer keeps itself (outside the operators). */
export interface EdgeCounters {
  messages: number;
  decoded: number;
  rejected: Map<string, number>;
  /** What codecs saw of the devices' sessions, by event (`seq_gap`, `rebirth_requested`, `rebirth_not_sent`). */
  codecEvents: Map<string, number>;
  /** Invalid-reading signals published, by reason (runtime/alerts/invalid-signals.ts). */
  invalidSignals: Map<string, number>;
  /** Silence signals published (a sensor gone quiet, runtime/alerts/silent-sensors.ts), and sensors silent now (gauge). */
  silenceSignals: number;
  sensorsSilent: number;
  /** Silences ended unresolved, `evicted`: the sensor forgotten for room, more silent at once than the watch keeps. */
  silencesEvicted: number;
  /** Sensors the silent-sensor watch holds (heard lately, or silent and remembered). */
  sensorsWatched: number;
  /** The whole feed silent: every sensor whose silence can be judged is silent, and none at all heard lately. */
  feedSilent: boolean;
  /** Alerts open now, restored ones included (set before each scrape). */
  alertsOpen: number;
  /** Sensors under maintenance now, their alerts muted (runtime/alerts/maintenance.ts; set before each scrape). */
  sensorsInMaintenance: number;
  /** Whether the broker connection is up (1) or not (0), set before each scrape. */
  brokerConnected: number;
  /** Topic filters the broker refused to subscribe (nothing on them reaches vigil). */
  subscriptionsRefused: number;
  /** Alert-topic messages the broker refused (an MQTT 5 PUBACK with a failure reason code, e.g. not authorised by an ACL). */
  alertsRefused: number;
  alertsPublished: number;
  alertsQueued: number;
  alertsDropped: number;
  deadLetterDropped: number;
  webhookFailures: number;
  reloads: number;
  reloadFailures: number;
  /** Commands on a sensor's level an operator sent, and the re-anchorings completed since (runtime/ops/re-anchors.ts). */
  reAnchorsRequested: number;
  reAnchored: number;
  /** The last hot reload refused, until one succeeds (null: none): what /health reports. */
  reloadRefused: { reason: string; at: number } | null;
  statePersists: number;
  statePersistFailures: number;
  /** Gauge: the last state save failed (a read-only or full state folder): the error, until a save succeeds (null: none). */
  stateSaveError: string | null;
  /** QoS 1 intake pauses (back-pressure), time spent paused, and whether it is paused now (gauge). */
  intakePauses: number;
  intakePausedMs: number;
  intakePaused: number;
  /** Reconnects on which the broker no longer had our persistent session (what was published meanwhile is lost). */
  sessionsLost: number;
  /** When the last one happened (epoch ms; 0: never): /health reads degraded for health.dropWindowMs after it. */
  sessionLostAt: number;
  /** HTTP requests the gate refused, by reason (runtime/ops/http-refusals.ts). */
  httpRefused: Map<string, number>;
}

/** Fresh edge counters. */
export function createEdgeCounters(): EdgeCounters {
  return {
    messages: 0,
    decoded: 0,
    rejected: new Map(),
    codecEvents: new Map(),
    invalidSignals: new Map(),
    silenceSignals: 0,
    sensorsSilent: 0,
    silencesEvicted: 0,
    sensorsWatched: 0,
    feedSilent: false,
    brokerConnected: 0,
    alertsOpen: 0,
    sensorsInMaintenance: 0,
    subscriptionsRefused: 0,
    alertsRefused: 0,
    alertsPublished: 0,
    alertsQueued: 0,
    alertsDropped: 0,
    deadLetterDropped: 0,
    webhookFailures: 0,
    reloads: 0,
    reloadFailures: 0,
    reAnchorsRequested: 0,
    reAnchored: 0,
    reloadRefused: null,
    statePersists: 0,
    statePersistFailures: 0,
    stateSaveError: null,
    intakePauses: 0,
    intakePausedMs: 0,
    intakePaused: 0,
    sessionsLost: 0,
    sessionLostAt: 0,
    httpRefused: new Map(),
  };
}

/** Count a rejection by reason. */
export function countRejected(edge: EdgeCounters, reason: string): void {
  edge.rejected.set(reason, (edge.rejected.get(reason) ?? 0) + 1);
}

/** Count a published invalid-reading signal by reason. */
export function countInvalidSignal(edge: EdgeCounters, reason: string): void {
  edge.invalidSignals.set(reason, (edge.invalidSignals.get(reason) ?? 0) + 1);
}
