/**
 * writesPerTurn on a real Mosquitto: a QoS 1 subscriber answers a burst with one socket write per chunk it reads,
 * not one PUBACK write per message; every message is still acknowledged. A QoS 0 delivery (answered by nothing)
 * leaves the socket uncorked.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writesPerTurn } from '../../runtime/mqtt/writes-per-turn.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { countSocketWrites } from '@vigil/fixtures/socket-writes.ts';

const N = 400;
let broker: TestMosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ persistence: false });
});
afterAll(async () => {
  await broker?.close();
});

/** Socket writes of `client` while it receives `N` QoS 1 messages published in one go (and how many arrived). */
async function writesForBurst(client: MqttClient, topic: string): Promise<{ writes: number; received: number }> {
  const writes = countSocketWrites(client);
  let received = 0;
  client.on('message', () => received++);
  await client.subscribeAsync(topic, { qos: 1 });
  const pub = await mqtt.connectAsync(broker.url);
  writes.reset();
  for (let i = 0; i < N; i++) pub.publish(topic, `{"ts":${i},"v":${i}}`, { qos: 1 });
  await waitFor(() => received === N, `${N} messages`, 30_000, () => ({ received }));
  // The last PUBACKs leave in the turn that read them.
  await new Promise((r) => setImmediate(r));
  await pub.endAsync();
  return { writes: writes.count(), received };
}

describe('writesPerTurn', () => {
  it('answers a QoS 1 burst with one write per turn of intake instead of one PUBACK write per message', async () => {
    const plain = await mqtt.connectAsync(broker.url, { clientId: 'wpt-plain' });
    const coalesced = await mqtt.connectAsync(broker.url, { clientId: 'wpt-coalesced' });
    const stop = writesPerTurn(coalesced);
    try {
      const a = await writesForBurst(plain, 'wpt/plain');
      const b = await writesForBurst(coalesced, 'wpt/coalesced');
      expect(a.received).toBe(N);
      // Mosquitto has at most 20 unacknowledged QoS 1 messages in flight to a client: all 400 arrived, so all were acknowledged.
      expect(b.received).toBe(N);
      // mqtt.js alone: one write per PUBACK.
      expect(a.writes).toBeGreaterThanOrEqual(N);
      expect(b.writes).toBeLessThan(N / 4);
    } finally {
      stop();
      await Promise.all([plain.endAsync(), coalesced.endAsync()]);
    }
  });

  it('leaves the socket alone for QoS 0 deliveries, which nothing answers', async () => {
    const client = await mqtt.connectAsync(broker.url, { clientId: 'wpt-qos0' });
    const stop = writesPerTurn(client);
    try {
      const corked: number[] = [];
      client.on('message', () => corked.push((client.stream as unknown as { writableCorked: number }).writableCorked));
      await client.subscribeAsync('wpt/qos0', { qos: 0 });
      const pub = await mqtt.connectAsync(broker.url);
      for (let i = 0; i < 20; i++) pub.publish('wpt/qos0', `{"ts":${i}}`, { qos: 0 });
      await waitFor(() => corked.length === 20, '20 messages', 30_000, () => ({ received: corked.length }));
      await pub.endAsync();
      expect(corked).toEqual(new Array(20).fill(0));
    } finally {
      stop();
      await client.endAsync();
    }
  });
});
