/**
 * MQTT -> JetStream: each message of the incoming topics is published to its partition's readings subject
 * (`{prefix}.readings.{partition}.{sensor}`, partition = the workers' `partitionOf`), and only once JetStream
 * has acknowledged it (stored) does the broker get its PUBACK. A bridge that dies before that leaves the message
 * with the broker (use a persistent session: fixed client id, clean: false), which sends it again; the
 * Nats-Msg-Id (sensor + payload digest) makes the stream drop the copy it already stored.
 *
 * Pipelined: up to `window` messages are open at once (held-pubacks.ts), their publishes in flight together, one
 * per sensor at a time so that each sensor's readings are stored in the order they arrived, whatever fails and is
 * retried (ordered-publisher.ts). PUBACKs go out in arrival order as the stores complete.
 */
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { JetStreamClient } from 'nats';
import { compileTopicTemplate } from '../../mqtt/topic-template.ts';
import { partitionOf } from '../partition.ts';
import { JetStreamFleetSchema } from './config.ts';
import { holdPubacks, type PubackTicket } from './held-pubacks.ts';
import { orderedPublisher } from './ordered-publisher.ts';
import type { FleetSubjects } from './subjects.ts';

/** Options of the JetStream bridge. */
export interface JetStreamBridgeOptions {
  /** Template of the incoming topics, naming `{sensor}` (e.g. `sensors/{sensor}/data`). */
  from: string;
  partitions: number;
  names: FleetSubjects;
  /** Messages open at once (fleet.jetstream.bridgeWindow; its default when absent). */
  window?: number;
  /** First retry delay when JetStream does not answer; doubles up to 5 s. */
  retryMs?: number;
  onError?: (err: Error, attempt: number) => void;
}

/** Counters of a bridge. */
export interface JetStreamBridgeStats {
  stored: number;
  /** Already in the stream (a redelivery after a crash): acknowledged, not stored twice. */
  duplicates: number;
  /** Topics that name no valid sensor (acknowledged, not stored). */
  refused: number;
  retries: number;
  /** Messages taken in and not yet acknowledged to the broker. */
  open: number;
  /** JetStream publishes awaiting their answer. */
  inFlight: number;
  /** The counters now, as plain data (for logs). */
  toJSON(): Omit<JetStreamBridgeStats, 'toJSON'>;
}

/** The Nats-Msg-Id of a reading: the same message sent again gets the same id. */
export function readingMsgId(sensor: string, payload: Uint8Array): string {
  return `${sensor.length}:${sensor}:${createHash('sha256').update(payload).digest('base64url').slice(0, 22)}`;
}

/** Sensors whose readings subject the bridge remembers. */
const SUBJECTS_KEPT = 65_536;

interface Reading {
  subject: string;
  payload: Uint8Array;
  msgID: string;
}

/**
 * Start bridging on `client` (its PUBACKs wait for JetStream); resolves once the broker answered the subscription.
 * Call it before the client connects (`mqtt.connect`, not `connectAsync`) when it resumes a persistent session: the
 * broker sends what it kept right behind the CONNACK, and mqtt.js acknowledges what arrives before the hook is in.
 */
export async function jetStreamBridge(
  client: MqttClient,
  js: JetStreamClient,
  opts: JetStreamBridgeOptions,
): Promise<{ stats: JetStreamBridgeStats; stop: (settleMs?: number) => Promise<void> }> {
  const from = compileTopicTemplate(opts.from);
  const counts = { stored: 0, duplicates: 0, refused: 0 };
  // Escaping the sensor into a subject token costs more than the rest of a message's handling; remembered for the
  // sensors seen lately (forgotten all at once past SUBJECTS_KEPT, so a stream of new ids cannot grow it).
  const subjects = new Map<string, string>();
  const subjectOf = (sensor: string) => {
    let s = subjects.get(sensor);
    if (s === undefined) {
      if (subjects.size >= SUBJECTS_KEPT) subjects.clear();
      s = opts.names.readings(partitionOf(sensor, opts.partitions), sensor);
      subjects.set(sensor, s);
    }
    return s;
  };
  const publisher = orderedPublisher<Reading>({
    async publish(r) {
      const ack = await js.publish(r.subject, r.payload, { msgID: r.msgID });
      if (ack.duplicate) counts.duplicates++;
      else counts.stored++;
    },
    retryMs: opts.retryMs ?? 100,
    maxRetryMs: 5000,
    // Holding the PUBACKs holds the broker's queue for us: nothing is acknowledged that is not stored.
    onError: opts.onError,
  });
  const acks = holdPubacks(client, {
    window: opts.window ?? JetStreamFleetSchema.parse({}).bridgeWindow,
    onMessage(packet, ticket: PubackTicket) {
      const r = from.match(packet.topic);
      if ('error' in r) {
        counts.refused++;
        return acks.release(ticket);
      }
      const payload = packet.payload as Uint8Array;
      const reading = { subject: subjectOf(r.sensor), payload, msgID: readingMsgId(r.sensor, payload) };
      publisher.push(r.sensor, reading, () => acks.release(ticket));
    },
  });
  const stats: JetStreamBridgeStats = {
    get stored() {
      return counts.stored;
    },
    get duplicates() {
      return counts.duplicates;
    },
    get refused() {
      return counts.refused;
    },
    get retries() {
      return publisher.retries;
    },
    get open() {
      return acks.open;
    },
    get inFlight() {
      return publisher.inFlight;
    },
    toJSON() {
      return { stored: counts.stored, duplicates: counts.duplicates, refused: counts.refused, retries: publisher.retries, open: acks.open, inFlight: publisher.inFlight };
    },
  };
  await client.subscribeAsync(from.filter, { qos: 1 });
  return {
    stats,
    /** Take no more messages, let the publishes in flight finish (at most `settleMs`) and their PUBACKs go. */
    async stop(settleMs = 2000) {
      acks.close();
      await publisher.settled(settleMs);
      publisher.close();
    },
  };
}
