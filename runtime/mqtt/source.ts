/**
 * The MQTT source: subscribe to topic filters and emit each message as a RawMessage. Subscribing happens on
 * subscription to the Observable and unsubscribing on teardown; the client (and its reconnects) is the
 * caller's. mqtt.js resubscribes after a reconnect by itself.
 */
import { Observable } from 'rxjs';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { RawMessage } from '../stream/types.ts';

/** Options of the source. */
export interface MqttSourceOptions {
  filters: string[];
  qos: 0 | 1;
  /** Told when the broker refuses a subscription (the stream carries on with the others). */
  onSubscribeError?: (filter: string, reason: string) => void;
  /** Told once the broker has answered the subscription (granted or not). */
  onSubscribed?: () => void;
  /** Topics to ignore, e.g. our own alert and dead-letter topics when a filter such as `#` covers them. */
  ignore?: (topic: string) => boolean;
  /** Clock for arrival times (tests). */
  now?: () => number;
}

/** Messages on `filters` as an Observable. */
export function mqttSource(client: MqttClient, opts: MqttSourceOptions): Observable<RawMessage> {
  const now = opts.now ?? Date.now;
  return new Observable<RawMessage>((sub) => {
    const ignore = opts.ignore;
    const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
      if (ignore?.(topic)) return;
      const contentType = packet.properties?.contentType;
      sub.next(contentType === undefined ? { topic, payload, receivedAt: now() } : { topic, payload, receivedAt: now(), contentType });
    };
    client.on('message', onMessage);
    client.subscribe(opts.filters, { qos: opts.qos }, (err, granted) => {
      if (err) for (const f of opts.filters) opts.onSubscribeError?.(f, err.message);
      else for (const g of granted ?? []) if (g.qos === 128) opts.onSubscribeError?.(g.topic, 'refused by the broker (not authorised?)');
      opts.onSubscribed?.();
    });
    return () => {
      client.off('message', onMessage);
      if (client.connected) client.unsubscribe(opts.filters);
    };
  });
}
