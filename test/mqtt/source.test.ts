/**
 * The MQTT source as an Observable: messages on the filters arrive as RawMessages with their arrival time,
 * our own output topics are ignored, and unsubscribing removes the listener and the broker subscription.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { firstValueFrom, take, toArray } from 'rxjs';
import { mqttSource } from '../../runtime/mqtt/source.ts';
import { fileBroker } from '../ops/aedes.ts';

const broker = fileBroker();

describe('mqttSource', () => {
  it('emits messages on its filters, skips ignored topics, and tears down its subscription', async () => {
    const client = await mqtt.connectAsync(broker.url);
    const pub = await mqtt.connectAsync(broker.url);
    const listeners = client.listenerCount('message');
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    const source = mqttSource(client, { filters: ['s/+/data', 'vigil/#'], qos: 1, ignore: (t) => t.startsWith('vigil/'), onSubscribed: () => subscribed(), now: () => 42 });
    const two = firstValueFrom(source.pipe(take(2), toArray()));
    await ready;
    await pub.publishAsync('vigil/alerts/x', 'own output', { qos: 1 });
    await pub.publishAsync('s/a/data', 'one', { qos: 1 });
    await pub.publishAsync('other/topic', 'not subscribed', { qos: 1 });
    await pub.publishAsync('s/b/data', 'two', { qos: 1 });
    const got = await two;
    expect(got.map((m) => [m.topic, Buffer.from(m.payload).toString(), m.receivedAt])).toEqual([
      ['s/a/data', 'one', 42],
      ['s/b/data', 'two', 42],
    ]);
    // take(2) unsubscribed: the listener is gone and the broker no longer sends to this client.
    expect(client.listenerCount('message')).toBe(listeners);
    let after = 0;
    client.on('message', () => after++);
    const probe = await mqtt.connectAsync(broker.url);
    await probe.subscribeAsync('s/+/data', { qos: 1 });
    const probeGot = new Promise((r) => probe.once('message', r));
    await pub.publishAsync('s/c/data', 'three', { qos: 1 });
    await probeGot;
    expect(after).toBe(0);
    await Promise.all([client.endAsync(), pub.endAsync(), probe.endAsync()]);
  });
});
