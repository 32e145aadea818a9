/**
 * MQTT -> JetStream: each message of the incoming topics is published to its partition's readings subject
 * (`{prefix}.readings.{partition}.{sensor}`, partition = the workers' `partitionOf`), and only once JetStream
 * has acknowledged it (stored) does the bridge let mqtt.js send the PUBACK. A bridge that dies before that
 * leaves the message with the broker (use a persistent session: fixed client id, clean: false), which sends it
 * again; the Nats-Msg-Id (sensor + payload digest) makes the stream drop the copy it already stored.
 * Publishes are serial: mqtt.js reads the next packet only after the hook returns, so order per sensor is kept.
 */
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { JetStreamClient } from 'nats';
import { compileTopicTemplate } from '../../mqtt/topic-template.ts';
import { partitionOf } from '../partition.ts';
import type { FleetSubjects } from './subjects.ts';

/** Options of the JetStream bridge. */
export interface JetStreamBridgeOptions {
  /** Template of the incoming topics, naming `{sensor}` (e.g. `sensors/{sensor}/data`). */
  from: string;
  partitions: number;
  names: FleetSubjects;
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
}

/** The Nats-Msg-Id of a reading: the same message sent again gets the same id. */
export function readingMsgId(sensor: string, payload: Uint8Array): string {
  return `${sensor.length}:${sensor}:${createHash('sha256').update(payload).digest('base64url').slice(0, 22)}`;
}

/** Start bridging on a connected client (its PUBACKs wait for JetStream); resolves once the broker granted the subscription. */
export async function jetStreamBridge(client: MqttClient, js: JetStreamClient, opts: JetStreamBridgeOptions): Promise<{ stats: JetStreamBridgeStats; stop: () => void }> {
  const from = compileTopicTemplate(opts.from);
  const stats: JetStreamBridgeStats = { stored: 0, duplicates: 0, refused: 0, retries: 0 };
  let stopped = false;
  const own = client.handleMessage;
  const store = async (topic: string, payload: Uint8Array) => {
    const r = from.match(topic);
    if ('error' in r) return void stats.refused++;
    const subject = opts.names.readings(partitionOf(r.sensor, opts.partitions), r.sensor);
    const msgID = readingMsgId(r.sensor, payload);
    for (let attempt = 1, delay = opts.retryMs ?? 100; ; attempt++, delay = Math.min(delay * 2, 5000)) {
      try {
        const ack = await js.publish(subject, payload, { msgID });
        if (ack.duplicate) stats.duplicates++;
        else stats.stored++;
        return;
      } catch (err) {
        // Holding the PUBACK holds the broker's queue for us: nothing is acknowledged that is not stored.
        if (stopped) throw err;
        stats.retries++;
        opts.onError?.(err as Error, attempt);
        await new Promise((res) => setTimeout(res, delay));
      }
    }
  };
  client.handleMessage = (packet, callback) => {
    store(packet.topic, packet.payload as Uint8Array).then(
      () => callback(),
      (err: Error) => callback(err),
    );
  };
  await client.subscribeAsync(from.filter, { qos: 1 });
  return {
    stats,
    stop() {
      stopped = true;
      client.handleMessage = own;
    },
  };
}
