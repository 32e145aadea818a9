/**
 * A JetStream fleet partition that evicts a sensor's alert state for room (window.maxSensors) while its alert is open
 * closes that alert `unresolved: "evicted"` on the results stream, as `vigil run` does on its alert topic
 * (test/ops/evicted-alerts.test.ts): before, the alert was dropped without a close and stayed open for its consumers
 * for good. The close goes out with the batch whose verdict evicted it, before the state that no longer holds the alert
 * is saved, with a Nats-Msg-Id of the alert's own (its incident): a redelivery judged again from an earlier state
 * publishes it again and the results stream keeps one. An open alert the next owner of a partition restores is held
 * like the rest, so that owner evicts it with a close too (saved states waiting outside the bound were left out of its
 * saves for room, without one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from 'nats';
import { JetStreamFleetSchema } from '../../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { startJetStreamWorker, workerRunConfig, type JetStreamWorker } from '../../runtime/fleet/jetstream/index.ts';
import type { PartitionSnapshot } from '../../runtime/fleet/jetstream/partition-state.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { hasNatsServer, startNatsServer, type TestNatsServer } from '@vigil/fixtures/nats-server.ts';
import { readAll } from '@vigil/fixtures/read-stream.ts';
import { silent } from '../ops/harness.ts';

const W = 4;
const JS = { leaseMs: 3000, renewMs: 500, fetchBatch: 16, fetchWaitMs: 1000 };
const T0 = Date.UTC(2026, 0, 1);
const json = <T>(d: Uint8Array) => JSON.parse(new TextDecoder().decode(d)) as T;

interface AlertMsg {
  type: string;
  sensor: string;
  unresolved?: string;
  incident: string;
  seq?: number;
  worker: string;
}

describe.skipIf(!hasNatsServer)('a JetStream partition evicting a sensor with its alert open', () => {
  let dir: string;
  let model: string;
  let server: TestNatsServer;
  const running: JetStreamWorker[] = [];
  const opened: FleetNats[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-jet-evict-'));
    model = writeTinyModel(join(dir, 'model'), { window: W, channels: ['a', 'b'], threshold: 20 });
    server = await startNatsServer();
  }, 30_000);
  afterAll(async () => {
    for (const w of running) await w.stop().catch(() => undefined);
    for (const n of opened) await n.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A group of one partition of its own (stream names containing the test's tag), and how to run workers on it. */
  async function group(tag: string) {
    const js = { servers: server.url, prefix: `jet${tag}`, stream: `JET_${tag}_READINGS`, results: `JET_${tag}_RESULTS`, ...JS };
    const groupName = `jet-evict-${tag}`;
    const n = await openFleetNats(JetStreamFleetSchema.parse(js), groupName, 'test');
    opened.push(n);
    // Two sensors' alert state per partition: the third sensor judged evicts the least recently judged one.
    const start = async (workerId: string) => {
      const config = workerRunConfig({ model, fleet: { group: groupName, partitions: 1, workerId, jetstream: js }, metrics: { port: null }, state: { file: null }, reload: { watch: false }, window: { maxSensors: 2 }, alerts: { openK: 1, openN: 1, closeM: 50 } });
      const w = await startJetStreamWorker({ config, log: silent });
      running.push(w);
      return w;
    };
    /** Rounds [from, to) of `sensor` (a spike on channel a at `spikeAt`); the last one's stream sequence. */
    const publish = async (sensor: string, from: number, to: number, spikeAt = -1) => {
      let seq = 0;
      for (let r = from; r < to; r++) {
        const payload = new TextEncoder().encode(JSON.stringify({ ts: T0 + r * 1000, values: { a: r === spikeAt ? 40 : (r % 10) / 10, b: 1 } }));
        seq = (await n.js.publish(n.names.readings(0, sensor), payload)).seq;
      }
      return seq;
    };
    const alerts = async () => (await readAll(n.js, js.results, `${js.prefix}.alerts.>`)).map((m) => ({ ...json<AlertMsg>(m.data), msgId: m.msgId }));
    const verdictsOf = async (sensor: string) => (await readAll(n.js, js.results, `${js.prefix}.verdicts.>`)).filter((m) => json<{ sensor: string }>(m.data).sensor === sensor).length;
    const state = async () => {
      const e = await n.states.get('p.0');
      return e?.operation === 'PUT' ? json<PartitionSnapshot>(e.value) : undefined;
    };
    /** Resolve once `cond` holds (checked every 50 ms), failing after `ms` with what it waited for. */
    const until = async (cond: () => Promise<boolean>, what: string, ms = 30_000) => {
      for (const deadline = Date.now() + ms; !(await cond()); ) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: alerts ${JSON.stringify(await alerts())}, state ${JSON.stringify(await state())}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const stop = async (w: JetStreamWorker) => {
      await w.stop();
      running.splice(running.indexOf(w), 1);
    };
    return { n, js, start, stop, publish, alerts, verdictsOf, state, until };
  }

  it('closes the alert unresolved "evicted" on the results stream, with the batch that evicted it', async () => {
    const g = await group('a');
    await g.publish('A', 0, 6, 4);
    await g.publish('B', 0, W);
    await g.publish('C', 0, W);
    await g.start('w-1');
    await g.until(async () => (await g.verdictsOf('C')) === 1 && (await g.alerts()).length >= 2, "C's verdict and A's close");
    const got = await g.alerts();
    expect(got.map((a) => `${a.type} ${a.sensor}${a.unresolved ? ` ${a.unresolved}` : ''}`)).toEqual(['open A', 'close A evicted']);
    const [open, close] = got;
    // The same incident as its open; its id is that incident's, not a reading's; dated by the reading that evicted it.
    expect(close).toMatchObject({ severity: 'clear', incident: open.incident, worker: 'w-1', msgId: `u:${open.incident}` });
    expect(close.seq).toBe(6 + 2 * W);
    // The state saved after it holds no open alert of A.
    await g.until(async () => (await g.state())?.seq === 6 + 2 * W, 'the state saved after the last batch');
    expect((await g.state())!.alerts.A?.open ?? null).toBeNull();
  }, 60_000);

  it("closes an open alert the partition's next owner restored, when that owner evicts it", async () => {
    const g = await group('b');
    const lastA = await g.publish('A', 0, 6, 4);
    const w1 = await g.start('w-1');
    await g.until(async () => (await g.state())?.seq === lastA, "A's readings judged and saved");
    expect((await g.state())!.alerts.A?.open).toBeDefined();
    await g.stop(w1);
    await g.publish('B', 0, W);
    const last = await g.publish('C', 0, W);
    await g.start('w-2');
    await g.until(async () => (await g.state())?.seq === last && (await g.state())?.owner === 'w-2', "w-2's state after C");
    const got = await g.alerts();
    expect(got.map((a) => `${a.type} ${a.sensor}${a.unresolved ? ` ${a.unresolved}` : ''} ${a.worker}`)).toEqual(['open A w-1', 'close A evicted w-2']);
    expect((await g.state())!.alerts.A?.open ?? null).toBeNull();
  }, 60_000);

  it('publishes the close once when the batch that evicted it is judged again from the state saved before it', async () => {
    const g = await group('c');
    const lastA = await g.publish('A', 0, 6, 4);
    const w1 = await g.start('w-1');
    await g.until(async () => (await g.state())?.seq === lastA, "A's readings judged and saved");
    // The state a worker left that published the close and died before it saved (or acked) the batch.
    const before = (await g.n.states.get('p.0'))!.value;
    const sent: AlertMsg[] = [];
    const sub: Subscription = g.n.nc.subscribe(`${g.js.prefix}.alerts.>`, { callback: (_e, m) => sent.push(json<AlertMsg>(m.data)) });
    try {
      await g.publish('B', 0, W);
      const last = await g.publish('C', 0, W);
      await g.until(async () => (await g.state())?.seq === last, "w-1's state after C");
      await g.stop(w1);
      await g.n.states.put('p.0', before);
      await g.start('w-2');
      await g.until(async () => (await g.state())?.seq === last && (await g.state())?.owner === 'w-2', "w-2's state after judging B and C again");
      await g.n.nc.flush();
    } finally {
      sub.unsubscribe();
    }
    // Published by both, stored once.
    expect(sent.filter((a) => a.type === 'close').map((a) => `${a.sensor} ${a.unresolved} ${a.worker}`)).toEqual(['A evicted w-1', 'A evicted w-2']);
    expect((await g.alerts()).map((a) => `${a.type} ${a.sensor} ${a.worker}`)).toEqual(['open A w-1', 'close A w-1']);
  }, 60_000);
});
