/** Config sections `alerts` and `deadLetter`: what leaves vigil. */
import { z } from 'zod';
import { alertPolicyFields } from '../alerts/tracker.ts';
import { ms, path, publishTopic } from './fields.ts';

/** Alerts: hysteresis, destinations, offline queue. */
export const AlertsSchema = z
  .object({
    /** Alert topic; `{sensor}` is replaced by the (validated) sensor id, `{gateway}` by gateway.id. */
    topic: publishTopic(['sensor', 'gateway']).default('vigil/alerts/{sensor}'),
    qos: z.union([z.literal(0), z.literal(1)], { error: 'expected 0 or 1' }).default(1),
    retain: z.boolean().default(false),
    /** openK of openN to open, closeM quiet to close, cooldownMs: runtime/alerts/tracker.ts, shared with `vigil score`. */
    ...alertPolicyFields,
    /** Channels named in an alert, most contributing first; capped so a wide model cannot make huge alerts. */
    topChannels: z
      .number({ error: 'expected an integer from 1 to 32' })
      .int('expected an integer from 1 to 32')
      .min(1, 'expected an integer from 1 to 32')
      .max(32, 'expected an integer from 1 to 32 (alerts name at most 32 channels)')
      .default(3),
    /** Alerts held while the broker is unreachable, at most (oldest dropped beyond, counted). */
    queueMax: z.number().int().positive().default(10_000),
    /**
     * MQTT 5 message expiry (s): the broker drops an alert nobody fetched within it (a consumer back after a day
     * does not get a day of stale alerts at once). 0: never expires. Not sent over MQTT 3.1.1.
     */
    messageExpirySec: z.number().int().min(0).max(4_294_967_295).default(86_400),
    /**
     * An invalid reading of a known sensor (outside the card's physical ranges: out_of_range; not a finite float32:
     * bad_value) is an anomaly signal of its own: `{"type":"invalid",...}` on the sensor's alert topic (and the
     * webhook), at most one per sensor per intervalMs, saying how many readings it stands for (docs/payloads.md). So is
     * a channel the sensor stops sending for longer than window.maxFillAgeMs (missing_channel: once per absence, on a
     * limit of its own).
     */
    invalid: z
      .object({
        enabled: z.boolean().default(true),
        intervalMs: ms('least time between two signals of one sensor').default(60_000),
      })
      .strict()
      .prefault({}),
    /**
     * A sensor that stops reporting is signalled: `{"type":"silent",...}` on its alert topic (and the webhook) once it
     * has been quiet for `factor` x its usual interval between readings and at least `minMs` (arrival time; judged
     * every `checkMs`), `{"type":"resumed",...}` at its next reading (runtime/alerts/silent-sensors.ts). Not in a fleet.
     */
    silent: z
      .object({
        enabled: z.boolean().default(true),
        factor: z.number({ error: 'expected a multiple of the usual interval (a number >= 2)' }).min(2, 'expected a multiple of the usual interval (a number >= 2)').default(10),
        minMs: ms('least quiet time before a sensor is silent').min(1000, 'expected at least 1000 ms (least quiet time before a sensor is silent)').default(60_000),
        checkMs: ms('how often sensors are checked').min(10, 'expected how often sensors are checked in milliseconds (at least 10)').default(5000),
      })
      .strict()
      .prefault({}),
    webhook: z
      .object({
        url: z.string().url('expected an http(s) URL'),
        timeoutMs: ms('request timeout').default(5000),
        retries: z.number().int().nonnegative().default(5),
        backoffMs: ms('first retry delay').default(500),
        headers: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((a) => a.openK <= a.openN, { message: 'openK must be <= openN (k of n windows)', path: ['openK'] })
  // A broker retains one message per topic: on a topic all sensors share, one sensor's close would replace another's
  // open alert, and a subscriber that starts later would be told nothing is open.
  .refine((a) => !a.retain || a.topic.includes('{sensor}'), {
    error: (issue) => `expected {sensor} in the topic with alerts.retain: true, got '${(issue.input as { topic: string }).topic}' (a broker retains one message per topic, so one sensor's close would replace another's open alert); write e.g. '${(issue.input as { topic: string }).topic}/{sensor}', or set alerts.retain: false`,
    path: ['topic'],
  });

/**
 * What to say where alerts go when `alerts.topic` names no `{sensor}` (allowed without alerts.retain): every sensor's
 * alerts share that one topic, told apart by the `sensor` of each message. Undefined when the topic has `{sensor}`.
 */
export function sharedAlertTopicNote(topic: string): string | undefined {
  return topic.includes('{sensor}') ? undefined : `alerts.topic '${topic}' has no {sensor}: every sensor's alerts share this one topic (each message names its sensor)`;
}

/** Rejected input. */
export const DeadLetterSchema = z
  .object({
    /** Topic for rejected messages (null: none). `{reason}` is replaced by the reason code, `{gateway}` by `gateway.id`. */
    topic: publishTopic(['reason', 'gateway']).nullable().default('vigil/deadletter/{reason}'),
    /** JSONL file for rejected messages (null: none). */
    file: path.nullable().default(null),
    /** The file is rotated to `.1` beyond this size. */
    maxFileBytes: z.number().int().positive().default(64 * 1024 * 1024),
  })
  .strict();
