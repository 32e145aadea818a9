/** The runtime's /health report: serving, broker, model, backlog, drops and fleet at a glance. */
import type { MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import { brokerAway } from '../mqtt/connect.ts';
import { redactUrl } from '../util/redact-url.ts';
import type { PipelineCounters } from '../stream/counters.ts';
import { weightsOf } from '../model/card.ts';
import type { Flow, Readability } from './flow.ts';
import type { HealthReport } from './http.ts';
import type { EdgeCounters } from './metrics.ts';
import type { Serving } from './serving.ts';
import type { AdaptationStatus } from '../adapt/adaptation.ts';
import type { RuntimeSinks } from './sinks.ts';

/** What the report reads (parts not started yet are undefined). */
export interface HealthSources {
  state: HealthReport['status'];
  startedAt: number;
  client?: MqttClient;
  edge: EdgeCounters;
  counters: PipelineCounters;
  serving: Serving;
  flow: Flow;
  sinks?: RuntimeSinks;
}

/**
 * The report now: `ok` only while serving, connected, not dropping or missing readings, with no recently lost
 * session, with some sensor still reporting (every sensor signalled silent: nothing is being watched), and with the
 * state file being saved (a failed save: a restart would resume no alert and no learnt threshold), and with some
 * message having become a reading once messages have arrived for `dropWindowMs` (`nothingReadable`), with some
 * message heard at all since start (`nothingHeard`: received, whatever became of it), and with some reading accepted
 * by the window stage once readings have been decoded for that long (`nothingAccepted`: a feed of duplicates).
 * `messagesReceived` and `readingsAccepted` count the two ends of that path since start.
 */
export function healthOf(config: Pick<RunConfig, 'broker' | 'health' | 'source' | 'window' | 'fleet'>, s: HealthSources): HealthReport {
  const { edge, counters, flow } = s;
  const connected = s.client?.connected ?? false;
  const dropped = flow.drops.health();
  // A lost persistent session lost readings upstream, uncounted: degraded for as long as drops would count.
  const sessionLostAgoMs = edge.sessionLostAt > 0 ? Date.now() - edge.sessionLostAt : null;
  const sessionLost = sessionLostAgoMs !== null && sessionLostAgoMs < config.health.dropWindowMs;
  // A topic filter the broker refused: vigil runs, but nothing on it arrives (a read ACL).
  const refusedSubs = edge.subscriptionsRefused;
  const silent = edge.sensorsSilent;
  // Every sensor whose silence the watch can judge is silent and none at all was heard lately (silent-sensors.ts
  // `feedSilent`): a sensor heard too few times to have a pace cannot be silent, and must not keep a dead feed ok.
  const allSilent = edge.feedSilent;
  const stateSaveError = edge.stateSaveError;
  const readability = s.flow.readability();
  const unreadable = nothingReadable(edge, readability, config.health.dropWindowMs, Date.now());
  // A reading the reorder stage holds is accepted within window.reorderMs: judged over twice that where it is longer.
  const unaccepted = nothingAccepted(edge, counters, readability, Math.max(config.health.dropWindowMs, 2 * config.window.reorderMs), Date.now());
  const card = s.serving.ref().current.card;
  // Not in a fleet: a worker whose partitions hold no reporting sensor (more workers than busy partitions, a standby)
  // hears nothing while its templates are right (a review: two workers, one sensor, the idle one 503 for good).
  const unheard = connected && !config.fleet ? nothingHeard(readability, s.startedAt, Math.max(config.health.dropWindowMs, 3 * (config.window.readingIntervalMs ?? card.data?.intervalMs ?? 0)), Date.now(), config.source.topics) : undefined;
  const status: HealthReport['status'] = s.state !== 'ok' ? s.state : connected && !dropped.degraded && !sessionLost && refusedSubs === 0 && !allSilent && !stateSaveError && !unreadable && !unheard && !unaccepted ? 'ok' : 'degraded';
  const fleet = flow.fleet();
  const lastMessageAt = flow.lastMessageAt();
  return {
    status,
    broker: { connected, url: redactUrl(config.broker.url), ...(s.client ? brokerAway(s.client) : {}), ...(sessionLostAgoMs !== null ? { sessionsLost: edge.sessionsLost, sessionLostAgoMs } : {}) },
    // Its weights too: two trainings of one name and version differ only there (a probe, after a hot reload).
    model: { name: card.name, version: card.version, weights: weightsOf(card) },
    provider: s.serving.provider(),
    uptimeS: Math.round((Date.now() - s.startedAt) / 1000),
    lastMessageAgoMs: lastMessageAt ? Date.now() - lastMessageAt : null,
    // Messages the subscription handed in (refused and repeated ones too), and readings the window stage took from them.
    messagesReceived: edge.messages,
    readingsAccepted: readability.accepted,
    sensors: counters.activeSensors,
    // The silent watch keeps a silent sensor until it is heard again, after the window stage forgot it (idle eviction):
    // its own count beside it, so `sensorsSilent` above `sensors` reads as what it is (a probe).
    ...(silent > 0 ? { sensorsSilent: silent, sensorsWatched: edge.sensorsWatched } : {}),
    pendingWindows: counters.pending,
    ...(refusedSubs > 0 ? { subscriptionsRefused: refusedSubs } : {}),
    ...(stateSaveError ? { stateNotSaved: stateSaveError } : {}),
    ...(unreadable ? { nothingReadable: unreadable } : {}),
    ...(unheard ? { nothingHeard: unheard } : {}),
    ...(unaccepted ? { nothingAccepted: unaccepted } : {}),
    // The files on disk are not what serves (status unchanged: a restart would load the same files and fail to start).
    ...(edge.reloadRefused ? { modelReloadRefused: { reason: edge.reloadRefused.reason, agoMs: Date.now() - edge.reloadRefused.at } } : {}),
    alertsOpen: edge.alertsOpen,
    // Muted sensors stay in sight: a maintenance forgotten is an alert nobody gets.
    ...(edge.sensorsInMaintenance > 0 ? { sensorsInMaintenance: edge.sensorsInMaintenance } : {}),
    alertsWaiting: s.sinks?.waiting() ?? 0,
    pipelineRestarts: flow.pipelineRestarts(),
    dropped,
    // Learning on the gateway, when on: whether it is at work, and its last decision with the reason (a probe found
    // neither in /health nor in the banner).
    ...adaptationHealth(s.serving.adaptationNow()?.status()),
    ...(fleet ? { fleet: { group: fleet.group, worker: fleet.workerId, members: fleet.current().members, partitions: fleet.current().owned.length } } : {}),
  };
}

/** The `adaptation` entry of /health: running, watching a swap, and the last decision with how long ago. */
function adaptationHealth(a: AdaptationStatus | undefined): { adaptation?: Record<string, unknown> } {
  if (!a) return {};
  const last = a.last && { outcome: a.last.outcome, model: a.last.model, ...(a.last.from ? { from: a.last.from } : {}), ...(a.last.to ? { to: a.last.to } : {}), agoMs: Date.now() - a.last.at, detail: a.last.detail };
  return { adaptation: { running: a.running, watching: a.watching, ...(last ? { last } : {}) } };
}

/** Refused messages since the last reading that, with none decoded for a whole window, say the feed turned unreadable. */
export const UNREADABLE_AFTER_REFUSALS = 3;

/**
 * Messages arrive and none becomes a reading: vigil hears the plant and watches nothing, which `sensors: 0` alone did
 * not say (a probe: a Sparkplug device whose metric names differ from the model's channels, and a node that never
 * answered a rebirth request, each left /health ok for as long as they ran). Before the first reading: messages have
 * arrived for `windowMs` (ignored or refused alike). After it: no reading for `windowMs` while at least
 * UNREADABLE_AFTER_REFUSALS messages were refused (a review: a feed that broke after one good reading stayed ok, its
 * refusals counting as signs of life to the silent-sensor watch); messages merely ignored then (other devices'
 * chatter beside a sensor that reports every ten minutes) are no sign of it.
 */
export function nothingReadable(edge: Pick<EdgeCounters, 'messages' | 'rejected'>, r: Readability, windowMs: number, now: number): { messages: number; rejected: Record<string, number>; sinceMs: number; hint: string } | undefined {
  if (r.firstMessageAt === 0) return undefined;
  const since = r.lastDecodedAt || r.firstMessageAt;
  if (now - since < windowMs) return undefined;
  if (r.lastDecodedAt > 0 && r.rejectedSinceDecoded < UNREADABLE_AFTER_REFUSALS) return undefined;
  return {
    messages: edge.messages,
    rejected: Object.fromEntries(edge.rejected),
    sinceMs: now - since,
    hint: `no message has become a reading ${r.lastDecodedAt ? 'since the last one' : 'since start'}: check the topic template and codec (source), that the payloads name the model's channels (or map them with source.channels), and vigil_rejected_total for the reasons messages were refused`,
  };
}

/** Readings decoded since the last one accepted that, with none accepted for a whole window, say the feed only repeats itself. */
export const UNACCEPTED_AFTER_READINGS = 3;

/**
 * Readings decode and the window stage accepts none: each repeats one its sensor already had (a sender resending its
 * buffer, a clock stuck on one time, a recording replayed) or is dropped there. Duplicates are no drop (judged once
 * already), so neither the drop rate nor `nothingReadable` said it, and /health stayed ok while vigil judged nothing.
 * Judged once the first of at least UNACCEPTED_AFTER_READINGS readings decoded since the last accepted one (since
 * start, before the first) has waited `windowMs`.
 */
export function nothingAccepted(
  edge: Pick<EdgeCounters, 'messages' | 'decoded'>,
  counters: Pick<PipelineCounters, 'duplicates'>,
  r: Readability,
  windowMs: number,
  now: number,
): { messagesReceived: number; readingsDecoded: number; readingsAccepted: number; duplicates: number; sinceMs: number; hint: string } | undefined {
  if (r.decodedSinceAccepted < UNACCEPTED_AFTER_READINGS || now - r.firstDecodedSinceAcceptedAt < windowMs) return undefined;
  return {
    messagesReceived: edge.messages,
    readingsDecoded: edge.decoded,
    readingsAccepted: r.accepted,
    duplicates: counters.duplicates,
    sinceMs: now - (r.lastAcceptedAt || r.firstDecodedSinceAcceptedAt),
    hint: `readings decode but none has been accepted ${r.lastAcceptedAt ? 'since the last one' : 'since start'}: each repeats one its sensor already had (vigil_readings_duplicate_total: a sender resending its buffer, a clock stuck on one time, a recording replayed) or was dropped (dropped, by reason): check the devices' timestamps`,
  };
}

/**
 * Not one message since start, the broker connected, for `windowMs` (`health.dropWindowMs`, or 3 reading intervals
 * where longer, `window.readingIntervalMs` or the card's: a slow sensor's first reading may take that long): vigil
 * watches nothing. Not judged in a fleet, where a worker may own only quiet partitions. A topic template one letter off (`lineb` for `lineB`: MQTT topics are case-sensitive) left /health ok with `sensors: 0` and
 * not a line in the log for as long as it ran (a probe); `nothingReadable` judges only once messages arrive.
 */
export function nothingHeard(r: Readability, startedAt: number, windowMs: number, now: number, topics: readonly string[]): { messagesReceived: 0; sinceMs: number; topics: readonly string[]; hint: string } | undefined {
  if (r.firstMessageAt !== 0 || now - startedAt < windowMs) return undefined;
  return {
    messagesReceived: 0,
    sinceMs: now - startedAt,
    topics,
    hint: 'no message has arrived on source.topics since start: check the templates against the topics the devices publish (MQTT topics are case-sensitive; mosquitto_sub -v -t "#" shows them), and that the broker lets vigil read them',
  };
}
