/**
 * An MQTT client's messages as RawMessages, for a source: those held since the connection (early-messages.ts) first,
 * in order, then each as it comes, stamped with its arrival time and its MQTT 5 content type when it has one. Both
 * the plain source (source.ts) and a fleet worker's (runtime/fleet/source.ts) take their messages this way.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { RawMessage } from '../stream/types.ts';
import { takeEarlyMessages } from './early-messages.ts';

/** How a source takes its client's messages. */
export interface ClientMessagesOptions {
  /** Clock for arrival times. */
  now: () => number;
  /** Whether a message on `topic` is the source's (false: passed over, said by the caller if it needs saying). */
  accept: (topic: string) => boolean;
  /** Told how many messages that arrived before the source listened were dropped past their bound (early-messages.ts). */
  onEarlyDropped?: (n: number) => void;
}

/** Listen to `client`'s messages, early ones first, and hand each accepted one to `emit`; returns the detach. */
export function listenClientMessages(client: MqttClient, o: ClientMessagesOptions, emit: (m: RawMessage) => void): () => void {
  const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
    if (!o.accept(topic)) return;
    const contentType = packet.properties?.contentType;
    const receivedAt = o.now();
    emit(contentType === undefined ? { topic, payload, receivedAt } : { topic, payload, receivedAt, contentType });
  };
  client.on('message', onMessage);
  // Taken in the same turn as the listener is attached, so nothing falls between the two.
  const early = takeEarlyMessages(client);
  if (early.dropped) o.onEarlyDropped?.(early.dropped);
  for (const [topic, payload, packet] of early.messages) onMessage(topic, payload, packet);
  return () => client.off('message', onMessage);
}
