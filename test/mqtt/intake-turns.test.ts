/**
 * intakeTurns on a real Mosquitto: a burst the broker has queued for a slow subscriber (100 us of work a message) is
 * handled in slices with turns of the event loop between them, not in one run that holds HTTP requests and timers for
 * seconds (a probe: 94,000 refused readings kept /api/status from answering for 11.6 s). Every message still arrives,
 * and every QoS 1 message is still acknowledged.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeTurns } from '../../runtime/mqtt/intake-turns.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const N = 20_000;
const WORK_US = 100;
let broker: TestMosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ persistence: false });
});
afterAll(async () => {
  await broker?.close();
});

/** The most messages `client` handled within one turn of the event loop while `n` published at `qos` in one go arrived. */
async function longestRun(client: MqttClient, topic: string, n: number, qos: 0 | 1): Promise<{ run: number; received: number }> {
  // A turn of the event loop is counted by an immediate that sets itself again.
  let turn = 0;
  let ticker = setImmediate(function tick() {
    turn++;
    ticker = setImmediate(tick);
  });
  let received = 0;
  let lastTurn = -1;
  let run = 0;
  let longest = 0;
  client.on('message', () => {
    const until = performance.now() + WORK_US / 1000;
    while (performance.now() < until);
    run = turn === lastTurn ? run + 1 : 1;
    lastTurn = turn;
    if (run > longest) longest = run;
    received++;
  });
  await client.subscribeAsync(topic, { qos });
  try {
    // Published by another process while this one is held (spawnSync): the broker queues the burst for us, as it did
    // for a vigil busy with the start of a flood.
    const publish = `const c = await mqtt.connectAsync(${JSON.stringify(broker.url)}); for (let i = 0; i < ${n}; i++) c.publish(${JSON.stringify(topic)}, '{"ts":' + i + ',"value":"NaN-' + i + '"}', { qos: ${qos} }); await c.endAsync();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import mqtt from 'mqtt'; ${publish}`], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`publisher failed: ${r.stderr || r.error}`);
    await waitFor(() => received === n, `${n} messages`, 60_000, () => ({ received }));
  } finally {
    clearImmediate(ticker);
  }
  return { run: longest, received };
}

describe('intakeTurns', () => {
  it('hands a queued burst over in slices, the event loop turning between them', async () => {
    const plain = await mqtt.connectAsync(broker.url, { clientId: 'turns-plain' });
    const sliced = await mqtt.connectAsync(broker.url, { clientId: 'turns-sliced' });
    const stop = intakeTurns(sliced, { sliceMs: 20 });
    try {
      const a = await longestRun(plain, 'turns/plain', N, 0);
      const b = await longestRun(sliced, 'turns/sliced', N, 0);
      expect(a.received).toBe(N);
      expect(b.received).toBe(N);
      // mqtt.js alone: thousands of messages (seconds of work) in one run.
      expect(a.run).toBeGreaterThan(2000);
      // A slice is 20 ms: at 100 us a message about 200 in one (fewer on a loaded machine, never many more).
      expect(b.run).toBeLessThan((2 * 20_000) / WORK_US);
    } finally {
      stop();
      await Promise.all([plain.endAsync(), sliced.endAsync()]);
    }
  });

  it('still acknowledges every QoS 1 message, and gives the client its own handling back', async () => {
    const client = await mqtt.connectAsync(broker.url, { clientId: 'turns-qos1' });
    const own = client.handleMessage;
    const stop = intakeTurns(client, { sliceMs: 1 });
    try {
      // Mosquitto sends a client at most 20 unacknowledged QoS 1 messages: all 2,000 arriving means all were acknowledged.
      expect((await longestRun(client, 'turns/qos1', 2000, 1)).received).toBe(2000);
    } finally {
      stop();
      expect(client.handleMessage).toBe(own);
      await client.endAsync();
    }
  });

  it('leaves a message whose turn comes after its connection closed unacknowledged, not acknowledged on the next connection', async () => {
    const client = await mqtt.connectAsync(broker.url, { clientId: 'turns-close', clean: true, reconnectPeriod: 50 });
    // A clock 20 ms on at every call: every second message waits for the next turn of the event loop.
    let clock = 0;
    const stop = intakeTurns(client, { sliceMs: 20, now: () => (clock += 20) });
    let closed = false;
    let resubscribed = false;
    const acked: { messageId?: number; afterClose: boolean }[] = [];
    client.on('close', () => (closed = true));
    client.on('packetsend', (p) => {
      if (p.cmd === 'puback') acked.push({ messageId: p.messageId, afterClose: closed });
      if (p.cmd === 'subscribe' && closed) resubscribed = true;
    });
    const ids: (number | undefined)[] = [];
    client.on('message', (_t, _m, packet) => {
      ids.push(packet.messageId);
      // The fourth waits for a turn that comes after the socket's close (handled after the check phase it was put off
      // from): mqtt.js then queues its PUBACK offline and sends it on the next connection, where the broker may have given
      // the id to another message.
      if (ids.length === 4) client.stream.destroy();
    });
    try {
      await client.subscribeAsync('h-fuzz/turns/close', { qos: 1 });
      // Published by another process while this one is held: the four arrive in one socket read.
      const publish = `const c = await mqtt.connectAsync(${JSON.stringify(broker.url)}); for (let i = 0; i < 4; i++) c.publish('h-fuzz/turns/close', String(i), { qos: 1 }); await c.endAsync();`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import mqtt from 'mqtt'; ${publish}`], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`publisher failed: ${r.stderr || r.error}`);
      // Reconnected, the offline queue sent (mqtt.js subscribes again once it is empty).
      await waitFor(() => resubscribed, 'a reconnect', 10_000, () => ({ ids, acked, closed }));
      expect(ids).toHaveLength(4);
      expect(acked).toEqual(ids.slice(0, 3).map((messageId) => ({ messageId, afterClose: false })));
    } finally {
      stop();
      await client.endAsync(true);
    }
  });
});
