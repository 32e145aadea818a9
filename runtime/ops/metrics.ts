/**
 * Prometheus metrics on a registry owned by one runtime (several runtimes in one process, as in tests, do not
 * collide). Pipeline counters are read at scrape time from the plain counters object the operators increment,
 * so the hot path pays nothing for metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DROP_REASONS, type PipelineCounters } from '../stream/counters.ts';
import type { EdgeCounters } from './edge-counters.ts';

// The counters these metrics read, re-exported where the ops parts and tests have always imported them.
export { countInvalidSignal, countRejected, createEdgeCounters, type EdgeCounters } from './edge-counters.ts';

/** Metrics of one runtime. */
export interface RuntimeMetrics {
  registry: Registry;
  /** Record one inference batch. */
  observeBatch(size: number, inferMs: number): void;
  /** Record the time from a reading's arrival to its verdict. */
  observeLatency(ms: number): void;
  /** The provider and model in service; `weights`: the first 12 hex digits of its ONNX file's sha256, as in alerts. */
  setProvider(provider: string, model: string, version: string, weights: string): void;
  /** Text exposition for /metrics. */
  text(): Promise<string>;
}

/** Declare a counter whose value is read from `read()` at scrape time (monotonic sources only). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v > last) this.inc(v - last);
      last = v;
    },
  });
}

/** Declare a counter labelled by reason whose values are read from `counts` at scrape time. */
function byReason(registry: Registry, name: string, help: string, counts: Map<string, number>): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, v] of counts) {
        const d = v - (last.get(reason) ?? 0);
        if (d > 0) this.inc({ reason }, d);
        last.set(reason, v);
      }
    },
  });
}

/** Messages in, decoded and rejected. */
function intakeMetrics(registry: Registry, edge: EdgeCounters): void {
  const m = (name: string, help: string, read: () => number) => mirroredCounter(registry, name, help, read);
  m('vigil_messages_total', 'MQTT messages received', () => edge.messages);
  m('vigil_readings_decoded_total', 'Readings decoded from messages', () => edge.decoded);
  byReason(registry, 'vigil_rejected_total', 'Messages rejected, by reason (see the dead-letter topic/file for each)', edge.rejected);
  byReason(registry, 'vigil_codec_events_total', 'What codecs saw of the devices\' sessions, by reason: seq_gap (a Sparkplug node\'s messages lost before vigil), rebirth_requested (a Node Control/Rebirth NCMD published), rebirth_not_sent (one asked while the broker was away), historical_set_aside (an is_historical metric older than its sensor\'s last row, beside live ones)', edge.codecEvents);
  byReason(registry, 'vigil_http_refused_total', 'HTTP requests refused by /metrics or the dashboard, by reason: token_missing (no bearer token), token_wrong (a token that is not http.token), host (a Host not served: DNS rebinding check)', edge.httpRefused);
  byReason(registry, 'vigil_invalid_signals_total', 'Invalid-reading signals published on sensor alert topics, by reason (alerts.invalid: at most one per sensor per interval)', edge.invalidSignals);
}

/** What the pipeline cut, scored, dropped and alerted. */
function pipelineMetrics(registry: Registry, pipeline: PipelineCounters): void {
  const m = (name: string, help: string, read: () => number) => mirroredCounter(registry, name, help, read);
  m('vigil_windows_total', 'Windows cut from sensor streams', () => pipeline.windows);
  m('vigil_windows_incomplete_total', 'Windows with a channel held past its max age', () => pipeline.incompleteWindows);
  m('vigil_windows_scored_total', 'Windows scored by the model', () => pipeline.scored);
  m('vigil_anomalous_windows_total', 'Windows judged anomalous', () => pipeline.anomalies);
  m('vigil_batches_total', 'Inference batches', () => pipeline.batches);
  m('vigil_inference_errors_total', 'Inference batches that failed', () => pipeline.inferenceErrors);
  const droppedLast = new Map<string, number>();
  new Counter({
    name: 'vigil_dropped_total',
    help: 'Readings or windows dropped, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, key] of DROP_REASONS) {
        const v = pipeline[key];
        const d = v - (droppedLast.get(reason) ?? 0);
        if (d > 0) this.inc({ reason }, d);
        droppedLast.set(reason, v);
      }
    },
  });
  m('vigil_readings_duplicate_total', 'Readings that repeat one a sensor already had accepted (same timestamp and values, e.g. QoS 1 redelivery after a broker restart): ignored, not a drop', () => pipeline.duplicates);
  new Gauge({ name: 'vigil_duplicate_memory_readings', help: 'Readings the window stage can remember (16 B each) to recognise QoS 1 redeliveries as duplicates (window.duplicateHorizonMs)', registers: [registry], collect() { this.set(pipeline.duplicateMemoryReadings); } });
  m('vigil_duplicate_memory_shed_total', 'Readings forgotten before leaving window.duplicateHorizonMs because window.duplicateMaxPerSensor or duplicateMaxReadings was reached (a copy of one would count out_of_order)', () => pipeline.duplicateMemoryShed);
  m('vigil_readings_reordered_total', 'Readings put back before a newer one of their sensor that arrived first (window.reorderMs)', () => pipeline.reordered);
  new Gauge({ name: 'vigil_reorder_held_readings', help: 'Readings held to be released in timestamp order (window.reorderMs)', registers: [registry], collect() { this.set(pipeline.reorderHeld); } });
  m('vigil_gap_resets_total', 'Sensor windows reset after a gap in the data (window.gapResetMs)', () => pipeline.gapResets);
  m('vigil_clock_jumps_total', 'Sensor clocks that jumped ahead of their readings\' arrival and stayed there (set forward, or corrected forward), judged from the jump on with no reading counted missing over it', () => pipeline.clockJumps);
  m('vigil_clock_steps_total', 'Sensors started afresh because a reading stamped well ahead of its arrival was followed by one near its own (its clock was wrong)', () => pipeline.clockSteps);
  m('vigil_reading_gaps_total', "Steps in a sensor's timestamps of 1.75 or more of its usual interval (window.readingIntervalMs): readings lost upstream", () => pipeline.readingGaps);
  m('vigil_readings_missing_total', 'Readings those gaps skipped at the usual interval: sent (or due) but not received in time (one that comes later is not counted again)', () => pipeline.readingsMissing);
  m('vigil_readings_late_total', 'Of vigil_readings_missing_total, readings that came after their gap was counted (out of order past what the reorder stage held, e.g. a restart\'s first disorder): received, too late to score; the rest never came', () => pipeline.readingsLate);
  m('vigil_sensors_evicted_total', 'Sensors evicted after being idle', () => pipeline.evictedIdle);
  m('vigil_sensors_evicted_full_total', 'Least recently seen sensors evicted to admit a new one into a full pool', () => pipeline.evictedFull);
  m('vigil_alerts_opened_total', 'Alerts opened', () => pipeline.alertsOpened);
  m('vigil_alerts_closed_total', 'Alerts closed', () => pipeline.alertsClosed);
  m('vigil_windows_muted_total', 'Windows of sensors under maintenance (POST /sensors/NAME/maintenance): scored and judged, opening no alert', () => pipeline.windowsMuted);
  m('vigil_alerts_escalated_total', 'Open alerts that reached twice their threshold after opening below it (an escalate event)', () => pipeline.alertsEscalated);
}

/** Alerts delivered, reloads, state saves, intake back-pressure. */
function deliveryMetrics(registry: Registry, edge: EdgeCounters): void {
  const m = (name: string, help: string, read: () => number) => mirroredCounter(registry, name, help, read);
  m('vigil_alerts_published_total', 'Alert messages acknowledged by the broker', () => edge.alertsPublished);
  m('vigil_alerts_queued_total', 'Alerts that waited for the broker to come back', () => edge.alertsQueued);
  m('vigil_alerts_dropped_total', 'Alerts dropped because the offline queue was full', () => edge.alertsDropped);
  m('vigil_webhook_failures_total', 'Webhook deliveries that failed after all retries', () => edge.webhookFailures);
  m('vigil_silence_signals_total', 'Sensors signalled silent on their alert topic (no reading for alerts.silent.factor x their usual interval)', () => edge.silenceSignals);
  m('vigil_silences_evicted_total', 'Silences ended unresolved "evicted": a silent sensor no longer watched, to make room (more sensors silent at once than window.maxSensors)', () => edge.silencesEvicted);
  new Gauge({ name: 'vigil_subscriptions_refused', help: 'Topic filters the broker refused to subscribe (nothing on them reaches vigil)', registers: [registry], collect() { this.set(edge.subscriptionsRefused); } });
  m('vigil_alerts_refused_total', 'Alert-topic messages the broker refused (MQTT 5 failure reason code, e.g. an ACL), dropped', () => edge.alertsRefused);
  // vigil_alerts_opened/closed_total count this process's opens and closes; an alert resumed across a restart is open with no open counted.
  new Gauge({ name: 'vigil_broker_connected', help: 'Whether the broker connection is up now (1) or not (0): nothing is read and alerts wait while it is 0', registers: [registry], collect() { this.set(edge.brokerConnected); } });
  new Gauge({ name: 'vigil_sensors_in_maintenance', help: 'Sensors under maintenance now: their alerts muted until a time an operator set (POST /sensors/NAME/maintenance)', registers: [registry], collect() { this.set(edge.sensorsInMaintenance); } });
  new Gauge({ name: 'vigil_alerts_open', help: 'Alerts open now, those resumed from the state file included', registers: [registry], collect() { this.set(edge.alertsOpen); } });
  new Gauge({ name: 'vigil_sensors_silent', help: 'Sensors signalled silent and not heard from since', registers: [registry], collect() { this.set(edge.sensorsSilent); } });
  m('vigil_dead_letters_dropped_total', 'Dead letters not written to the file (backlog full, or a write failed: see the log)', () => edge.deadLetterDropped);
  m('vigil_model_reloads_total', 'Models hot-reloaded', () => edge.reloads);
  m('vigil_model_reload_failures_total', 'Hot reloads refused (the old model kept running)', () => edge.reloadFailures);
  m('vigil_reanchors_requested_total', 'Sensors an operator marked normal or sent back to training (POST /sensors/NAME/normal, /trained)', () => edge.reAnchorsRequested);
  m('vigil_reanchored_total', 'Sensors whose tracked level was set since (from their windows, or to the trained level)', () => edge.reAnchored);
  m('vigil_state_persists_total', 'Threshold state files written', () => edge.statePersists);
  m('vigil_state_persist_failures_total', 'Threshold state writes that failed', () => edge.statePersistFailures);
  m('vigil_intake_pauses_total', 'Times QoS 1 intake stopped reading the broker because the backlog passed batch.pauseIntakeAt', () => edge.intakePauses);
  m('vigil_intake_paused_seconds_total', 'Time QoS 1 intake spent paused (back-pressure)', () => edge.intakePausedMs / 1000);
  m('vigil_broker_sessions_lost_total', 'Reconnects on which the broker no longer had the persistent session (broker.clean false): readings published while vigil was away were not queued for it', () => edge.sessionsLost);
  new Gauge({ name: 'vigil_intake_paused', help: 'Whether QoS 1 intake is paused now (1) for back-pressure', registers: [registry], collect() { this.set(edge.intakePaused); } });
}

/** Sensors held and the backlog waiting for inference, now. */
function backlogMetrics(registry: Registry, pipeline: PipelineCounters): void {
  new Gauge({ name: 'vigil_active_sensors', help: 'Sensors with a window buffer', registers: [registry], collect() { this.set(pipeline.activeSensors); } });
  new Gauge({ name: 'vigil_pending_windows', help: 'Windows waiting for inference', registers: [registry], collect() { this.set(pipeline.pending); } });
  new Gauge({ name: 'vigil_pending_bytes', help: 'Memory of the windows waiting for inference, bounded by batch.maxPendingBytes', registers: [registry], collect() { this.set(pipeline.pendingBytes); } });
}

/** Create the registry and every metric. */
export function createMetrics(pipeline: PipelineCounters, edge: EdgeCounters, opts: { defaultMetrics?: boolean; beforeCollect?: () => void } = {}): RuntimeMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  intakeMetrics(registry, edge);
  pipelineMetrics(registry, pipeline);
  deliveryMetrics(registry, edge);
  backlogMetrics(registry, pipeline);

  const batchSize = new Histogram({
    name: 'vigil_batch_size',
    help: 'Windows per inference batch',
    // Up to batch.maxBatch's range: a backlog is scored in batches of thousands.
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    registers: [registry],
  });
  const inferSeconds = new Histogram({
    name: 'vigil_inference_seconds',
    help: 'Wall time of one inference call',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'vigil_verdict_latency_seconds',
    help: 'Time from a reading arriving to its window being judged, sampled: 1 verdict in 8 (count is not the verdict count; vigil_windows_scored_total is)',
    // Up to a minute: a burst behind which verdicts came seconds late (a one-core gateway flushing 60,000 readings)
    // had them all in +Inf past 1 s, so nobody could read how late its alerts were.
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  // `weights` tells two trainings of one name and version apart (a probe: every `vigil train` card is version "1").
  const provider = new Gauge({ name: 'vigil_provider_info', help: 'Execution provider and model in service (1 = in use; weights: its ONNX sha256, first 12 hex digits)', labelNames: ['provider', 'model', 'version', 'weights'], registers: [registry] });
  let current: { provider: string; model: string; version: string; weights: string } | undefined;

  return {
    registry,
    observeBatch(size, inferMs) {
      batchSize.observe(size);
      inferSeconds.observe(inferMs / 1000);
    },
    observeLatency(ms) {
      latency.observe(ms / 1000);
    },
    setProvider(p, model, version, weights) {
      if (current) provider.set(current, 0);
      current = { provider: p, model, version, weights };
      provider.set(current, 1);
    },
    text: () => {
      opts.beforeCollect?.();
      return registry.metrics();
    },
  };
}
