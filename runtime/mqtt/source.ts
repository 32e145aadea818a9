/**
 * The MQTT source: subscribe to topic filters and emit each message as a RawMessage. Subscribing happens on
 * subscription to the Observable and unsubscribing on teardown (not with a persistent session: `keepSubscriptions`);
 * the client (and its reconnects) is the caller's. mqtt.js resubscribes after a reconnect by itself.
 */
import { Observable } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { RawMessage } from '../stream/types.ts';
import { listenClientMessages } from './client-messages.ts';

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
  /**
   * Leave the subscriptions at the broker on teardown (a persistent session, `broker.clean: false`): the broker then
   * queues what is published while vigil is stopped and delivers it at the next start. Unsubscribing on a clean stop
   * threw the session's subscriptions away, and every restart lost the readings of its downtime.
   */
  keepSubscriptions?: boolean;
  /** Told how many messages that arrived before the source listened were dropped past their bound (early-messages.ts). */
  onEarlyDropped?: (n: number) => void;
}

/** Messages on `filters` as an Observable. */
export function mqttSource(client: MqttClient, opts: MqttSourceOptions): Observable<RawMessage> {
  const now = opts.now ?? Date.now;
  return new Observable<RawMessage>((sub) => {
    const ignore = opts.ignore;
    // What a persistent session delivered before this listener existed goes first (client-messages.ts).
    const detach = listenClientMessages(client, { now, accept: (topic) => !ignore?.(topic), onEarlyDropped: opts.onEarlyDropped }, (m) => sub.next(m));
    client.subscribe(opts.filters, { qos: opts.qos }, (err, granted) => {
      for (const [f, reason] of subscriptionsRefused(opts.filters, err, granted)) opts.onSubscribeError?.(f, reason);
      opts.onSubscribed?.();
    });
    return () => {
      detach();
      if (client.connected && !opts.keepSubscriptions) client.unsubscribe(opts.filters);
    };
  });
}

/** The filters of a subscription the broker refused, with why (an error: all of them; granted QoS 128: those). */
export function subscriptionsRefused(filters: readonly string[], err: Error | null | undefined, granted: readonly { topic: string; qos: number }[] | undefined): [string, string][] {
  if (err) return filters.map((f) => [f, err.message]);
  return (granted ?? []).filter((g) => g.qos === 128).map((g) => [g.topic, 'refused by the broker (not authorised?)']);
}
