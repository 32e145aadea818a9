/**
 * What a locked-down broker refuses (found by a probe against Mosquitto with an ACL): an alert the broker refuses
 * (MQTT 5 PUBACK reason code 0x87, not authorised) is dropped and counted, and never holds back the alerts after it;
 * with a persistent session vigil leaves its subscriptions at the broker when it stops, so what is published while it
 * is down is delivered at the next start.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { mqttAlertSink } from '../../runtime/mqtt/alert-sink.ts';
import { alertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { mqttSource } from '../../runtime/mqtt/source.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';

const alert = (sensor: string): AlertEvent => ({
  type: 'open', sensor, tsFirst: 0, tsLast: 1000, score: 5, threshold: 1, contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'p',
});

/** A connected client double whose broker refuses one topic the way mqtt.js reports an MQTT 5 PUBACK failure. */
function lockedClient(refused: string) {
  const published: string[] = [];
  const calls: string[] = [];
  const client = Object.assign(new EventEmitter(), {
    connected: true,
    options: { protocolVersion: 5 },
    publish(topic: string, _body: string, _o: unknown, cb: (err?: Error) => void) {
      setImmediate(() => {
        if (topic === refused) cb(Object.assign(new Error('Publish error: Not authorized'), { code: 135 }));
        else (published.push(topic), cb());
      });
    },
    subscribe(filters: string[], _o: unknown, cb: (err: Error | null, granted: { topic: string; qos: number }[]) => void) {
      calls.push(`subscribe ${filters.join(',')}`);
      cb(null, filters.map((topic) => ({ topic, qos: 1 })));
    },
    unsubscribe(filters: string[]) {
      calls.push(`unsubscribe ${filters.join(',')}`);
    },
  });
  return { client: client as unknown as MqttClient, published, calls };
}

describe('a locked-down broker', () => {
  it('drops an alert the broker refuses, counts it, and sends the ones after it', async () => {
    const { client, published } = lockedClient('a/pump-7');
    const warnings: string[] = [];
    const sink = mqttAlertSink(client, { topic: 'a/{sensor}', qos: 1, retain: false, queueMax: 10, messageExpirySec: 0, log: { warn: (_f: unknown, m: string) => warnings.push(m), info: () => {}, error: () => {} } as never });
    sink.publish(alertPayload(alert('pump-7')));
    sink.publish(alertPayload(alert('pump-9')));
    sink.publish(alertPayload(alert('pump-8')));
    expect(await sink.drain(2000)).toBe(true);
    expect(published).toEqual(['a/pump-9', 'a/pump-8']);
    expect(sink.stats()).toMatchObject({ refused: 1, delivered: 2, waiting: 0 });
    expect(warnings).toEqual([expect.stringMatching(/refused by the broker \(reason code 0x87\).*ACL/)]);
    sink.close();
  });

  it('waits a second after a failed publish instead of retrying at once, and sends nothing after close()', async () => {
    // A client that is disconnecting but still says connected fails every publish at once.
    let attempts = 0;
    const client = Object.assign(new EventEmitter(), {
      connected: true,
      options: { protocolVersion: 4 },
      publish(_t: string, _b: string, _o: unknown, cb: (err?: Error) => void) {
        attempts++;
        cb(new Error('client disconnecting'));
      },
    }) as unknown as MqttClient;
    const sink = mqttAlertSink(client, { topic: 'a/{sensor}', qos: 1, retain: false, queueMax: 10, messageExpirySec: 0 });
    sink.publish(alertPayload(alert('p1')));
    sink.publish(alertPayload(alert('p2')));
    // Sent at the end of the turn they were made in.
    await new Promise((r) => setImmediate(r));
    expect(attempts).toBe(1);
    expect(sink.unsent()).toHaveLength(2);
    sink.close();
    await new Promise((r) => setTimeout(r, 1200));
    expect(attempts).toBe(1);
  });

  it('leaves its subscriptions at the broker on a stop with a persistent session, and drops them without one', () => {
    for (const keep of [true, false]) {
      const { client, calls } = lockedClient('');
      const sub = mqttSource(client, { filters: ['plant/+/data'], qos: 1, keepSubscriptions: keep }).subscribe();
      sub.unsubscribe();
      expect(calls).toEqual(keep ? ['subscribe plant/+/data'] : ['subscribe plant/+/data', 'unsubscribe plant/+/data']);
    }
  });
});
