/**
 * Messages that arrive between the connection and the intake's subscription to the client. With a persistent session
 * (`broker.clean: false`) the broker delivers what it queued for vigil right after CONNACK, before the pipeline is
 * listening; mqtt.js acknowledges each one as it emits it, so without a listener those readings were gone (a probe: 12
 * of the 20 readings published while vigil was stopped never arrived). They are held here from the connection on and
 * handed to the source that takes them, in order, before anything after. Bounded: past `maxBytes` of payload the
 * rest are counted and dropped.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';

/** One held message, as mqtt.js emitted it. */
export type EarlyMessage = [topic: string, payload: Buffer, packet: IPublishPacket];

interface Held {
  messages: EarlyMessage[];
  bytes: number;
  dropped: number;
  listener: (topic: string, payload: Buffer, packet: IPublishPacket) => void;
}

const held = new WeakMap<MqttClient, Held>();

/** Most payload bytes held before the intake listens. */
export const EARLY_MAX_BYTES = 64 * 1024 * 1024;

/** Start holding `client`'s messages (call right after creating it, before it connects). */
export function holdEarlyMessages(client: MqttClient, maxBytes = EARLY_MAX_BYTES): void {
  const h: Held = {
    messages: [],
    bytes: 0,
    dropped: 0,
    listener: (topic, payload, packet) => {
      if (h.bytes + payload.byteLength > maxBytes) return void h.dropped++;
      h.bytes += payload.byteLength;
      h.messages.push([topic, payload, packet]);
    },
  };
  held.set(client, h);
  client.on('message', h.listener);
}

/**
 * Stop holding and return what was held (none when nothing holds for `client`) and how many were dropped past the
 * bound. Call in the same turn as attaching the caller's own listener, so nothing falls between the two.
 */
export function takeEarlyMessages(client: MqttClient): { messages: EarlyMessage[]; dropped: number } {
  const h = held.get(client);
  if (!h) return { messages: [], dropped: 0 };
  held.delete(client);
  client.off('message', h.listener);
  return { messages: h.messages, dropped: h.dropped };
}
