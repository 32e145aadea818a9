/**
 * The alert message as published and posted: a flat, versioned JSON object a plant engineer can read and a
 * program can parse. Sizes are bounded (contributors capped) so a model with many channels cannot make huge alerts.
 * `type` says which kind: `open` and `close` of an anomaly episode (`AlertPayload`), `invalid`: a reading of
 * the sensor refused as physically impossible or unreadable (`InvalidPayload`, invalid-payload.ts), or `silent` /
 * `resumed`: the sensor stopped reporting, or started again (`SilencePayload`, silence-payload.ts). Consumers skip
 * types they do not know. What every kind carries (schema tag, gateway, model) is in payload-envelope.ts.
 */
import { z } from 'zod';
import type { AlertEvent } from '../stream/types.ts';
import { sensorIdProblem } from './topic-template.ts';
import { isCritical } from '../alerts/escalation.ts';
import { ALERT_SCHEMA, gatewayRef, modelRef } from './payload-envelope.ts';
import { InvalidPayloadSchema } from './invalid-payload.ts';
import { SilencePayloadSchema } from './silence-payload.ts';

// The other kinds and the envelope, re-exported: producers, tests, `vigil alerts` and docs import them from here.
export { ALERT_SCHEMA, fromGateway } from './payload-envelope.ts';
export { InvalidPayloadSchema, invalidPayload, type InvalidPayload } from './invalid-payload.ts';
export { SilencePayloadSchema, silencePayload, type SilencePayload } from './silence-payload.ts';

/**
 * The alert JSON of an anomaly episode's `open` or `close`: what the runtime publishes and posts, and what a
 * consumer (simulators/alerts) validates. Unknown fields pass, so a newer producer does not break an older reader.
 */
export const AlertPayloadSchema = z.object({
  schema: z.literal(ALERT_SCHEMA),
  gateway: gatewayRef,
  /**
   * `escalate`: news while the alert is open: its first window at twice its threshold or more (it opened as a warning), a
   * surge an order of magnitude over its level, or its sensor found stuck (docs/run.md).
   */
  type: z.enum(['open', 'escalate', 'close']),
  sensor: z.string(),
  /** First and last timestamp of the window that triggered the event (ISO 8601 and epoch ms). */
  windowStart: z.string(),
  windowEnd: z.string(),
  tsFirst: z.number(),
  tsLast: z.number(),
  score: z.number(),
  threshold: z.number(),
  topChannels: z.array(z.object({ channel: z.string(), share: z.number() })),
  model: modelRef,
  provider: z.string(),
  severity: z.enum(['critical', 'warning', 'clear']),
  /**
   * Present (true) when the window behind the event scored by the residual memory (`vigil train --memory on`): a
   * small shift that persisted, which no single window shows.
   */
  memory: z.boolean().optional(),
  /**
   * Present when a check says what the window behind the event shows, beyond the model's score: `stuck` (a channel
   * held exactly still over the whole window; topChannels[0] is it), `spread` (channels moving from row to row more
   * than in training gave the window its score; topChannels are the roughened ones) or `memory` (as above). Any
   * text: a newer producer may name causes this version does not know (CAUSES lists these), and a reader shows them
   * as they are rather than refusing the alert.
   */
  cause: z.string().optional(),
  /**
   * Channels whose inputs in the window behind the event are outside the range training saw, farthest first:
   * `value` (the mean of the rows the score weighs) and `trained` (lowest and highest such mean in training), in the
   * channel's units. An operating point or a drift the model never saw scores like a fault; this says which it may be
   * (a new duty that is normal is learnt with `vigil adapt`).
   */
  outside: z.array(z.looseObject({ channel: z.string(), value: z.number(), trained: z.array(z.number()).min(2) })).optional(),
  /**
   * True when the window behind the event had a channel its readings did not carry (never sent, or left out longer
   * than `window.maxFillAgeMs`), held at its last value or the training mean: the score judged a value nobody
   * measured, and topChannels may name it. The `missing_channel` signal (on the invalid topic) names the channels.
   */
  incomplete: z.boolean().optional(),
  /**
   * The alert's incident: `SENSOR@OPENED`, the data time (ISO) of the window that opened it, the same on its open and
   * its close event. An event sent twice (a QoS 1 redelivery, an unacknowledged alert resent after a restart) carries
   * the same `incident`, `type` and `tsLast`: deduplicate on those (with `gateway`), not on `incident` and `type` alone,
   * as one incident may escalate more than once (a surge, then a stuck sensor), each at its own window.
   */
  incident: z.string().optional(),
  /**
   * How late the event is: the arrival of the reading behind it (wall clock) minus the window's end (data time), ms.
   * Near 0 live (transport, and any offset between the sensor's clock and the gateway's); hours for a backlog a
   * gateway flushed after an outage, so a pager can tell an old incident from a new one. 0 from `vigil score`.
   */
  lateMs: z.number().optional(),
  /** When the alert opened (ISO 8601, data time: the end of the window that opened it), on every event of it. */
  openedAt: z.string().optional(),
  durationMs: z.number().optional(),
  peakScore: z.number().optional(),
  /**
   * On close: the threshold of the peak's own window, so `peakScore / peakThreshold` is how far over its bar the peak
   * was (an adaptive bar moves, and a hot reload changes it; the event's `threshold` is the closing window's).
   */
  peakThreshold: z.number().optional(),
  /**
   * On close: `silent` when the alert was closed without a quiet window: its sensor sent nothing for
   * `window.idleEvictMs` after it was signalled silent (decommissioned, dead), so no window ever would close it;
   * `evicted` when vigil stopped tracking the sensor to make room for a new one (window.maxSensors over all pools). The
   * fault it showed was never seen to end. Any text from a newer producer is shown as it is.
   */
  unresolved: z.string().optional(),
  /**
   * On close: an operator set the sensor's level while the alert was open, and the close followed from it, not from
   * the fault seen to end: `command` `normal` (marked normal: its present behaviour is its new level) or `trained`
   * (sent back to its trained level), or `maintenance` (the sensor was put under maintenance until `until`, and the
   * alert closed at its first window: runtime/alerts/maintenance.ts), `by` who asked (address and client, or the command topic and its `id`). Any
   * command text from a newer producer is shown as it is.
   */
  marked: z.object({ command: z.string(), by: z.string().optional(), until: z.string().optional() }).optional(),
});
/** The alert JSON. */
export type AlertPayload = z.infer<typeof AlertPayloadSchema>;

/** Any message on an alert topic, told apart by `type`. */
export const AlertMessagePayloadSchema = z.discriminatedUnion('type', [AlertPayloadSchema, InvalidPayloadSchema, SilencePayloadSchema]);
/** Any message on an alert topic. */
export type AlertMessagePayload = z.infer<typeof AlertMessagePayloadSchema>;

/** How bad an event is: `critical` at twice the threshold or more (an escalation always), `warning` below, `clear` closes. */
export type AlertSeverity = AlertPayload['severity'];

/** Severity of an event, for consumers that route by it (MQTT 5 user property, payload field). */
export function alertSeverity(e: Pick<AlertEvent, 'type' | 'score' | 'threshold'>): AlertSeverity {
  if (e.type === 'close') return 'clear';
  if (e.type === 'escalate') return 'critical';
  return isCritical(e.score, e.threshold) ? 'critical' : 'warning';
}

/** Build the payload for an event. */
export function alertPayload(e: AlertEvent, topChannels = 3): AlertPayload {
  const p: AlertPayload = {
    schema: ALERT_SCHEMA,
    type: e.type,
    sensor: e.sensor,
    windowStart: new Date(e.tsFirst).toISOString(),
    windowEnd: new Date(e.tsLast).toISOString(),
    // Whole ms: arrival-stamped readings of one millisecond are kept in order a microsecond apart inside vigil (a
    // probe's burst published tsLast 1796629753237.001), which a consumer decoding an integer (Go's int64) refuses.
    tsFirst: Math.floor(e.tsFirst),
    tsLast: Math.floor(e.tsLast),
    score: round(e.score),
    threshold: round(e.threshold),
    topChannels: e.contributors.slice(0, topChannels).map((c) => ({ channel: c.channel, share: round(c.share, 4) })),
    model: { name: e.model.name, version: e.model.version, ...(e.model.weights ? { weights: e.model.weights } : {}) },
    provider: e.provider,
    severity: alertSeverity(e),
  };
  if (e.memory) p.memory = true;
  if (e.cause) p.cause = e.cause;
  if (e.incomplete) p.incomplete = true;
  if (e.outside?.length) p.outside = e.outside.slice(0, topChannels).map((o) => ({ channel: o.channel, value: round(o.value), trained: [round(o.low), round(o.high)] }));
  // When the alert opened (data time): the open's own window end, else the event's `openedAt`; on every event (a SCADA
  // probe had to parse `incident` for an open's), and the time `incident` names.
  const opened = e.type !== 'open' && e.openedAt !== undefined ? e.openedAt : e.type === 'open' ? e.tsLast : undefined;
  p.incident = `${e.sensor}@${new Date(opened ?? e.tsLast).toISOString()}`;
  if (e.receivedAt !== undefined && Number.isFinite(e.receivedAt)) p.lateMs = Math.round(e.receivedAt - e.tsLast);
  if (opened !== undefined) p.openedAt = new Date(opened).toISOString();
  if (e.durationMs !== undefined) p.durationMs = Math.round(e.durationMs);
  if (e.peakScore !== undefined) p.peakScore = round(e.peakScore);
  if (e.peakThreshold !== undefined) p.peakThreshold = round(e.peakThreshold);
  if (e.unresolved) p.unresolved = e.unresolved;
  if (e.marked) p.marked = 'until' in e.marked ? { ...e.marked, until: new Date(e.marked.until).toISOString() } : { ...e.marked };
  return p;
}

/** Alert topic for a sensor; refuses ids that could inject levels or wildcards (they are validated upstream too). */
export function alertTopic(template: string, sensor: string): string {
  const problem = sensorIdProblem(sensor);
  if (problem) throw new Error(`refusing to publish an alert: ${problem}`);
  return template.replaceAll('{sensor}', sensor);
}

function round(v: number, digits = 6): number {
  return Number.isFinite(v) ? Number(v.toPrecision(digits)) : v;
}
