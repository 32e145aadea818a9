/**
 * The pipelined bridge under a burst, on a private Mosquitto and nats-server: a few thousand QoS 1 readings of many
 * sensors are stored once each and, per sensor, in the order they were published, with
 *  - `vigil fleet bridge --jetstream` killed with SIGKILL mid-burst (stores in flight) and started again on the
 *    same persistent session: nothing lost (the broker still had every reading not acknowledged), nothing stored
 *    twice (the repeats dropped by Nats-Msg-Id);
 *  - nats-server killed and restarted mid-burst under an in-process bridge (publishes fail and are retried): the
 *    same, and no PUBACK ever leaves before its reading is stored;
 *  - Mosquitto restarted mid-burst (held PUBACKs of the old connection are never sent on the new one; the broker
 *    sends those messages again): the same;
 *  - a session whose queue the broker kept while the bridge was away: the messages that arrive right behind the
 *    CONNACK are stored too (mqtt.js would acknowledge them itself if the bridge took the PUBACKs over only after
 *    connecting).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamFleetSchema } from '../../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { jetStreamBridge } from '../../runtime/fleet/jetstream/bridge.ts';
import { hasNatsServer, startNatsServer, type TestNatsServer } from '@vigil/fixtures/nats-server.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const ROOT = join(import.meta.dirname, '../..');
const P = 8;
const SENSORS = 50;
const ROUNDS = 80;
const N = SENSORS * ROUNDS;

const sensorOf = (i: number) => `s-${String(i).padStart(2, '0')}`;
const payloadOf = (i: number, r: number) => JSON.stringify({ ts: 1_700_000_000_000 + r * 1000, values: { a: r, b: i } });

/** Publish the burst round by round (QoS 1, every publish outstanding at once) on `prefix`; a persistent session, so what a broker restart interrupts is sent again. */
async function burst(url: string, prefix: string): Promise<void> {
  const pub = await mqtt.connectAsync(url, { clientId: `pub-${prefix}`, clean: false, reconnectPeriod: 100, writeCache: false });
  const sends: Promise<unknown>[] = [];
  for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < SENSORS; i++) sends.push(pub.publishAsync(`${prefix}/${sensorOf(i)}/data`, payloadOf(i, r), { qos: 1 }));
  await Promise.all(sends);
  await pub.endAsync();
}

/** The stream's messages under `prefix.readings.>` as sensor -> rounds in stream order. */
async function storedRounds(nats: FleetNats, stream: string): Promise<{ total: number; bySensor: Map<string, number[]> }> {
  const bySensor = new Map<string, number[]>();
  let total = 0;
  const c = await nats.js.consumers.get(stream, { filterSubjects: nats.names.allReadings });
  for (;;) {
    let n = 0;
    let pending = 0;
    for await (const m of await c.fetch({ max_messages: 2000, expires: 2000 })) {
      n++;
      total++;
      pending = m.info.pending;
      const { sensor } = nats.names.parse(m.subject)!;
      const rounds = bySensor.get(sensor) ?? [];
      rounds.push((m.json() as { values: { a: number } }).values.a);
      bySensor.set(sensor, rounds);
    }
    if (n === 0 || pending === 0) return { total, bySensor };
  }
}

function expectOnceInOrder(s: { total: number; bySensor: Map<string, number[]> }): void {
  const all = Array.from({ length: ROUNDS }, (_, r) => r);
  expect(s.bySensor.size).toBe(SENSORS);
  for (const [sensor, rounds] of s.bySensor) expect(rounds, sensor).toEqual(all);
  expect(s.total).toBe(N);
}

const messages = async (nats: FleetNats, stream: string) => (await nats.jsm.streams.info(stream)).state.messages;

describe.skipIf(!hasNatsServer)('vigil fleet bridge --jetstream: a pipelined burst', () => {
  let server: TestNatsServer;
  let mosq: TestMosquitto;
  const opened: FleetNats[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
    mosq = await startMosquitto();
  }, 30_000);
  afterAll(async () => {
    for (const n of opened) await n.close();
    await mosq?.close();
    await server?.stop();
  });

  it('a bridge killed -9 mid-burst and started again: every reading stored once, in order per sensor', async () => {
    const group = 'burst-kill';
    const stream = 'BURST_KILL';
    const nats = await openFleetNats(JetStreamFleetSchema.parse({ servers: server.url, stream, results: 'BURST_KILL_R', prefix: 'bk' }), group, 'burst-test');
    opened.push(nats);
    const args = ['fleet', 'bridge', '--jetstream', '-b', mosq.url, '--from', 'bk-in/{sensor}/data', '-g', group, '-p', String(P), '--nats', server.url];
    const more = ['--subject-prefix', 'bk', '--stream', stream, '--results', 'BURST_KILL_R', '--client-id', 'burst-bridge', '--window', '256', '--mqtt-version', '5'];
    const startBridge = async (): Promise<{ proc: ChildProcess; err: () => string }> => {
      const proc = spawn(process.execPath, [join(ROOT, 'bin/vigil.mjs'), ...args, ...more], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      await new Promise<void>((res, rej) => {
        proc.stderr!.on('data', (d) => ((err += d), /Ctrl-C stops/.test(err) && res()));
        proc.once('exit', (c) => rej(new Error(`bridge exited (${c}): ${err}`)));
      });
      return { proc, err: () => err };
    };
    const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

    const first = await startBridge();
    const sent = burst(mosq.url, 'bk-in');
    for (const deadline = Date.now() + 60_000; (await messages(nats, stream)) < N / 4; await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() > deadline) throw new Error(`a quarter never stored: ${first.err()}`);
    }
    first.proc.kill('SIGKILL');
    await exited(first.proc);
    const atKill = await messages(nats, stream);
    expect(atKill, 'killed mid-burst').toBeLessThan(N);

    const second = await startBridge();
    await sent;
    for (const deadline = Date.now() + 60_000; (await messages(nats, stream)) < N; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`${await messages(nats, stream)} of ${N} stored: ${second.err()}`);
    }
    second.proc.kill('SIGTERM');
    await exited(second.proc);
    const stopped = /"msg":"bridge stopped"/.test(second.err()) ? (JSON.parse(second.err().split('\n').find((l) => l.includes('"bridge stopped"'))!) as { stored: number; duplicates: number }) : undefined;
    expectOnceInOrder(await storedRounds(nats, stream));
    // Whatever the first bridge had stored but not yet acknowledged came again and was recognised, not stored again.
    expect(stopped?.stored).toBe(N - atKill);
    console.log(`bridge kill -9: ${atKill} stored at the kill, then ${stopped?.stored} stored and ${stopped?.duplicates} repeats dropped by Nats-Msg-Id after the restart`);
  }, 120_000);

  it('nats-server killed and restarted mid-burst: retried in order, stored once, no PUBACK before the store', async () => {
    const group = 'burst-restart';
    const stream = 'BURST_RESTART';
    const j = JetStreamFleetSchema.parse({ servers: server.url, stream, results: 'BURST_RESTART_R', prefix: 'br' });
    const nats = await openFleetNats(j, group, 'burst-test-2');
    opened.push(nats);
    const client = mqtt.connect(mosq.url, { clientId: 'burst-bridge-2', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 600, receiveMaximum: 512 }, writeCache: false });
    const errors: string[] = [];
    const bridge = await jetStreamBridge(client, nats.js, { from: 'br-in/{sensor}/data', partitions: P, names: nats.names, window: 512, retryMs: 50, onError: (e) => errors.push(e.message) });
    // Every PUBACK the bridge sends is for a reading already stored (or already in the stream).
    let pubacks = 0;
    let early = 0;
    client.on('packetsend', (p) => {
      if (p.cmd !== 'puback') return;
      pubacks++;
      if (pubacks > bridge.stats.stored + bridge.stats.duplicates) early++;
    });
    const sent = burst(mosq.url, 'br-in');
    await waitFor(() => bridge.stats.stored >= N / 4, 'a quarter stored', 60_000, () => bridge.stats.toJSON());
    await server.restart();
    await sent;
    await waitFor(() => bridge.stats.stored + bridge.stats.duplicates >= N && bridge.stats.open === 0, 'all stored and acknowledged', 60_000, () => bridge.stats.toJSON());
    expect(early).toBe(0);
    expect(pubacks).toBe(N);
    expect(bridge.stats.retries, 'publishes failed across the restart').toBeGreaterThan(0);
    expectOnceInOrder(await storedRounds(nats, stream));
    console.log(`nats-server restart: ${bridge.stats.stored} stored, ${bridge.stats.duplicates} repeats, ${bridge.stats.retries} failed attempts retried`);
    await bridge.stop();
    await client.endAsync();
  }, 120_000);

  it('Mosquitto restarted mid-burst: PUBACKs held across the reconnect, every reading stored once, in order', async () => {
    const j = JetStreamFleetSchema.parse({ servers: server.url, stream: 'BURST_MQTT', results: 'BURST_MQTT_R', prefix: 'bm' });
    const nats = await openFleetNats(j, 'burst-mqtt', 'burst-test-3');
    opened.push(nats);
    const client = mqtt.connect(mosq.url, { clientId: 'burst-bridge-3', clean: false, reconnectPeriod: 100, writeCache: false });
    const bridge = await jetStreamBridge(client, nats.js, { from: 'bm-in/{sensor}/data', partitions: P, names: nats.names, window: 256, retryMs: 50 });
    let pubacks = 0;
    client.on('packetsend', (p) => void (p.cmd === 'puback' && pubacks++));
    const sent = burst(mosq.url, 'bm-in');
    await waitFor(() => bridge.stats.stored >= N / 4, 'a quarter stored', 60_000, () => bridge.stats.toJSON());
    await mosq.stop();
    await mosq.start();
    await sent;
    await waitFor(() => bridge.stats.stored >= N && bridge.stats.open === 0 && client.connected, 'all stored and acknowledged', 60_000, () => bridge.stats.toJSON());
    expectOnceInOrder(await storedRounds(nats, 'BURST_MQTT'));
    console.log(`Mosquitto restart: ${bridge.stats.stored} stored, ${bridge.stats.duplicates} repeats dropped, ${pubacks} PUBACKs`);
    await bridge.stop();
    await client.endAsync();
  }, 120_000);

  it('a session queued while the bridge was away: all of it stored, none acknowledged by mqtt.js behind the CONNACK', async () => {
    const group = 'burst-queued';
    const j = JetStreamFleetSchema.parse({ servers: server.url, stream: 'BURST_Q', results: 'BURST_Q_R', prefix: 'bq' });
    const nats = await openFleetNats(j, group, 'burst-test-4');
    opened.push(nats);
    // The bridge's session exists and is subscribed; then it is away while the whole burst is published.
    const once = await mqtt.connectAsync(mosq.url, { clientId: 'burst-bridge-4', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 600 } });
    await once.subscribeAsync('bq-in/+/data', { qos: 1 });
    await once.endAsync();
    await burst(mosq.url, 'bq-in');
    const args = ['fleet', 'bridge', '--jetstream', '-b', mosq.url, '--from', 'bq-in/{sensor}/data', '-g', group, '-p', String(P), '--nats', server.url];
    const more = ['--subject-prefix', 'bq', '--stream', 'BURST_Q', '--results', 'BURST_Q_R', '--client-id', 'burst-bridge-4', '--window', '512', '--mqtt-version', '5'];
    const proc = spawn(process.execPath, [join(ROOT, 'bin/vigil.mjs'), ...args, ...more], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    try {
      for (const deadline = Date.now() + 60_000; (await messages(nats, 'BURST_Q')) < N; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${await messages(nats, 'BURST_Q')} of ${N} stored: ${err}`);
      }
    } finally {
      proc.kill('SIGTERM');
      await new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
    }
    expectOnceInOrder(await storedRounds(nats, 'BURST_Q'));
  }, 120_000);
});
