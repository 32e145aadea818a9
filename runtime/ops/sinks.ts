/**
 * Where the runtime's output goes: alerts to the MQTT alert topic (QoS 1, queued while offline), the log (bounded:
 * runtime/ops/alert-log.ts) and the optional webhook; rejected input to the dead-letter topic/file, counted by reason and logged (the first of each
 * reason for each sensor, bounded per minute, and every 1000th: runtime/ops/rejection-log.ts). An invalid reading of a known
 * sensor also raises a rate-limited `invalid` signal on the sensor's alert topic (runtime/alerts/invalid-signals.ts),
 * and a sensor that stops reporting a `silent` one (runtime/alerts/silent-sensors.ts).
 */
import { gatewayTopic } from '../config/gateway.ts';
import type { MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import { mqttAlertSink } from '../mqtt/alert-sink.ts';
import { keepUnsent, takeUnsent, unsentAlertsFile, unsentJournal } from '../mqtt/unsent-alerts.ts';
import { alertPayload, fromGateway, invalidPayload, silencePayload } from '../mqtt/alert-payload.ts';
import type { SilenceEvent } from '../alerts/silent-sensors.ts';
import type { Maintenance } from '../alerts/maintenance.ts';
import { invalidSignals, type InvalidSignal } from '../alerts/invalid-signals.ts';
import { deadLetterSink } from '../mqtt/dead-letter.ts';
import type { AlertEvent, Rejected } from '../stream/types.ts';
import type { VigilLogger } from './logger.ts';
import { alertLog } from './alert-log.ts';
import { countInvalidSignal, countRejected, type EdgeCounters } from './metrics.ts';
import { createWebhook } from './webhook.ts';
import { clipped, LOGGED_DETAIL_CHARS, LOGGED_TOPIC_CHARS, rejectionLog } from './rejection-log.ts';
import { rateLimitedWarning } from '../util/rate-limited-warning.ts';
import { windowBudget } from '../util/window-budget.ts';

/** The runtime's sinks. */
export interface RuntimeSinks {
  alert(a: AlertEvent): void;
  reject(r: Rejected): void;
  /** A sensor gone silent or back (runtime/alerts/silent-sensors.ts). */
  silence(e: SilenceEvent): void;
  /**
   * A reading of `sensor` with `channels` newly missing for over window.maxFillAgeMs (runtime/alerts/invalid-signals.ts):
   * false when its signal was held back by the rate limit (the window stage offers them again at the next reading).
   */
  missing(sensor: string, channels: string[], receivedAt: number): boolean;
  /**
   * A reading of `sensor` dated `ts` refused as older than its last judged one (`lastTs`), the `inARow`-th in a row: its
   * invalid signal, rate-limited.
   */
  outOfOrder(sensor: string, ts: number, lastTs: number, receivedAt: number, inARow: number): void;
  /** Wait until every alert so far is acknowledged (broker and webhook); false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Alerts waiting for the broker now. */
  waiting(): number;
  /** Copy the sinks' counts into the edge counters (before a scrape or a health report). */
  sync(): void;
  close(): Promise<void>;
}

/** Invalid-reading signals logged one line each per minute at most; the rest are summed (their signals all go out). */
export const INVALID_LINES = 20;

/** Sensors gone silent or back logged one line each per minute at most; the rest are summed (their signals all go out). */
export const SILENCE_LINES = 20;

/** The config sections the sinks read. */
export type SinksConfig = Pick<RunConfig, 'alerts' | 'deadLetter' | 'window' | 'state' | 'gateway' | 'log'>;

/**
 * Open the sinks on a connected client; `model` is the one serving now (named in invalid-reading signals), `known` says
 * which sensors sent readings vigil could read (their invalid-reading signals are never held back by a flood of new topics).
 */
export function openSinks(client: MqttClient, config: SinksConfig, log: VigilLogger, edge: EdgeCounters, model: () => { name: string; version: string }, known?: (sensor: string) => boolean, maintenanceOf?: (sensor: string) => Maintenance | undefined): RuntimeSinks {
  // A sensor under maintenance now: its signals say so (alert-payload.ts maintenanceRef).
  const underMaintenance = <P extends object>(sensor: string, p: P): P => {
    const m = maintenanceOf?.(sensor);
    return m ? { ...p, maintenance: { until: new Date(m.until).toISOString(), by: m.by } } : p;
  };
  const unsentFile = unsentAlertsFile(config.state.file);
  const gateway = config.gateway.id;
  const alertSink = mqttAlertSink(client, { ...config.alerts, topic: gatewayTopic(config.alerts.topic, config.gateway), log, ...(unsentFile ? { journal: unsentJournal(unsentFile, log) } : {}) });
  if (unsentFile) alertSink.resend(takeUnsent(unsentFile, log));
  const invalid = config.alerts.invalid.enabled ? invalidSignals({ intervalMs: config.alerts.invalid.intervalMs, maxSensors: config.window.maxSensors, known }) : undefined;
  const deadLetters = deadLetterSink(client, { ...config.deadLetter, topic: config.deadLetter.topic && gatewayTopic(config.deadLetter.topic, config.gateway), gateway, log });
  const webhook = config.alerts.webhook
    ? createWebhook({
        ...config.alerts.webhook,
        onFailure: (reason, p) => {
          edge.webhookFailures++;
          log.warn({ sensor: p.sensor, type: p.type, reason }, `webhook delivery of ${p.sensor}'s ${p.type} failed for good`);
        },
      })
    : undefined;
  const rejections = rejectionLog();
  let writeFailures = 0;
  const sync = () => {
    const s = alertSink.stats();
    edge.alertsPublished = s.delivered;
    edge.alertsQueued = s.queued;
    edge.alertsDropped = s.dropped;
    edge.alertsRefused = s.refused;
    edge.deadLetterDropped = deadLetters.dropped() + writeFailures;
  };
  // One line per signal up to INVALID_LINES a minute, the rest summed by reason (a probe: NaN from 200 sensors wrote 200
  // lines a minute; a fault hitting 2,000 would write 2.9 M a day). Every signal is still published and counted.
  const invalidLines = windowBudget(INVALID_LINES, 60_000);
  const moreInvalid = rateLimitedWarning(
    log,
    (count, byReason, reasons) => [
      { signals: count, reasons: byReason },
      `invalid readings: ${count} more sensor signal(s) (${Object.entries(byReason).map(([r, n]) => `${r} ${n}`).join(', ')}${reasons > 5 ? ', ...' : ''}) not logged one by one, over ${INVALID_LINES} a minute; each is on its sensor's alert topic and in vigil_invalid_signals_total`,
    ],
    60_000,
  );
  const raiseInvalid = (signal: InvalidSignal) => {
    const payload = underMaintenance(signal.sensor, fromGateway(invalidPayload(signal, model()), gateway));
    countInvalidSignal(edge, signal.reason);
    if (invalidLines.take(Date.now())) log.warn({ sensor: signal.sensor, reason: signal.reason, detail: signal.detail, count: signal.count }, `invalid reading: ${signal.sensor} ${signal.reason}`);
    else moreInvalid.add(signal.reason);
    alertSink.publish(payload);
    webhook?.post(payload);
  };
  // The same for sensors gone silent or back: an upstream gateway that stops silences all its sensors at once (a probe:
  // 200 lines, then 200 more when it came back; journald drops a service's lines past 10,000 in 30 s).
  const silenceLines = windowBudget(SILENCE_LINES, 60_000);
  const moreSilence = rateLimitedWarning(
    log,
    (count, byType) => [
      { signals: count, types: byType },
      `sensors silent or back: ${count} more (${Object.entries(byType).map(([t, n]) => `${t} ${n}`).join(', ')}) not logged one by one, over ${SILENCE_LINES} a minute; each is on its sensor's alert topic and in vigil_silence_signals_total / vigil_sensors_silent / vigil_silences_evicted_total`,
    ],
    60_000,
  );
  const alertLines = alertLog(log, config.log);
  return {
    alert(a) {
      const payload = fromGateway(alertPayload(a, config.alerts.topChannels), gateway);
      alertLines.write(a, payload);
      alertSink.publish(payload);
      webhook?.post(payload);
    },
    reject(r) {
      countRejected(edge, r.reason);
      try {
        deadLetters.write(r);
      } catch (err) {
        writeFailures++;
        log.error({ err: (err as Error).message }, 'dead letter not written');
      }
      const count = edge.rejected.get(r.reason) ?? 0;
      if (rejections.shouldLog(r, count, r.receivedAt)) {
        log.warn({ reason: r.reason, topic: clipped(r.topic, LOGGED_TOPIC_CHARS), ...(r.sensor !== undefined ? { sensor: r.sensor } : {}), detail: clipped(r.detail, LOGGED_DETAIL_CHARS), count }, 'message rejected (sent to dead letters)');
      }
      const signal = invalid?.offer(r);
      if (signal) raiseInvalid(signal);
    },
    outOfOrder(sensor, ts, lastTs, receivedAt, inARow) {
      const signal = invalid?.outOfOrder(sensor, ts, lastTs, receivedAt, inARow);
      if (signal) raiseInvalid(signal);
    },
    missing(sensor, channels, receivedAt) {
      if (!invalid) return true;
      const signal = invalid.missing(sensor, channels, receivedAt, config.window.maxFillAgeMs);
      if (signal) raiseInvalid(signal);
      return signal !== undefined;
    },
    silence(e) {
      const payload = underMaintenance(e.sensor, fromGateway(silencePayload(e, model()), gateway));
      if (e.type === 'silent') edge.silenceSignals++;
      if (e.unresolved) edge.silencesEvicted++;
      if (!silenceLines.take(Date.now())) moreSilence.add(e.unresolved ?? e.type);
      else if (e.unresolved) {
        log.warn({ sensor: e.sensor, lastHeard: payload.lastHeard, quietMs: payload.quietMs, unresolved: e.unresolved }, `sensor silent, no longer watched: ${e.sensor} after ${Math.round(e.quietMs / 1000)} s of silence, forgotten for room (more sensors silent at once than window.maxSensors); its silence is ended unresolved "${e.unresolved}", and its return will not be said`);
      } else if (e.type === 'silent') {
        log.warn({ sensor: e.sensor, lastHeard: payload.lastHeard, quietMs: payload.quietMs, usualMs: payload.usualMs }, `sensor silent: ${e.sensor} not heard from for ${Math.round(e.quietMs / 1000)} s (usually every ${(e.usualMs / 1000).toPrecision(2)} s)`);
      } else log.info({ sensor: e.sensor, quietMs: payload.quietMs }, `sensor back: ${e.sensor} after ${Math.round(e.quietMs / 1000)} s of silence`);
      alertSink.publish(payload);
      webhook?.post(payload);
    },
    async drain(ms) {
      const [a, w] = await Promise.all([alertSink.drain(ms), webhook ? webhook.drain(ms) : true]);
      if (!a) log.warn({ waiting: alertSink.stats().waiting }, 'alerts still unacknowledged');
      sync();
      return a && w;
    },
    waiting: () => alertSink.stats().waiting,
    sync,
    async close() {
      moreInvalid.flush();
      moreSilence.flush();
      alertLines.flush();
      sync();
      keepUnsent(unsentFile, alertSink.unsent(), log);
      const undelivered = webhook?.close() ?? 0;
      if (undelivered) {
        edge.webhookFailures += undelivered;
        log.warn({ deliveries: undelivered }, 'webhook deliveries not made at the stop (the receiver did not answer in time); they are not kept');
      }
      alertSink.close();
      await deadLetters.close();
    },
  };
}
