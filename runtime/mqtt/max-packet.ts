/**
 * The largest MQTT packet `vigil run`'s broker client takes, asked of the broker as MQTT 5's Maximum Packet Size on
 * CONNECT. mqtt.js's parser holds a whole packet before it hands it on, so a publish far over
 * `source.maxPayloadBytes` was buffered in full, then copied once more, before the decode stage refused it as
 * `too_large`: a 50 MB payload took vigil run from 106 to 195 MB of RSS, and it stayed there (115 -> 115 MB with the bound).
 * Under MQTT 5 the broker does not send a client a packet over its maximum: it drops it (a publisher's mistake vigil
 * then never sees, said in docs/run.md). The bound is set above anything vigil would accept, so nothing it takes
 * today is lost to it: the largest payload a codec admits (a Sparkplug BIRTH's larger bound), a fleet's partition
 * state, plus the most a PUBLISH may carry beside its payload. MQTT 3.1.1 has no such property: there the broker's
 * own limit (Mosquitto `max_packet_size`) is the bound.
 */
import type { RunConfig } from '../config/schema.ts';
import { BIRTH_BOUND_FACTOR } from '../codecs/sparkplug.ts';
import { MAX_PARTITION_STATE_BYTES } from '../fleet/handover.ts';

/**
 * What an MQTT 5 PUBLISH may carry besides its payload, at most as vigil allows it: the fixed header (5 bytes), the
 * topic (2 + 65,535), a packet id (2) and properties (a 4-byte length, 64 KiB: a content type, user properties).
 */
export const PUBLISH_OVERHEAD_BYTES = 5 + 2 + 65_535 + 2 + 4 + 65_536;

/** MQTT's own largest packet: a 4-byte remaining length (268,435,455) and the fixed header. */
export const MQTT_MAX_PACKET_BYTES = 268_435_455 + 5;

/** The largest payload the run's client may be sent and accept: a reading (Sparkplug BIRTHs' bound) or a fleet's partition state. */
export function largestIncomingPayload(config: Pick<RunConfig, 'source' | 'fleet'>): number {
  // Sparkplug's BIRTH bound applies whatever codec is configured: a content type may pick Sparkplug per message.
  const reading = config.source.maxPayloadBytes * BIRTH_BOUND_FACTOR;
  return Math.max(reading, config.fleet?.stateHandover ? MAX_PARTITION_STATE_BYTES : 0);
}

/** The Maximum Packet Size (bytes) to ask of the broker for a client that accepts payloads up to `largestPayload`. */
export function maxPacketBytes(largestPayload: number): number {
  return Math.min(MQTT_MAX_PACKET_BYTES, largestPayload + PUBLISH_OVERHEAD_BYTES);
}
