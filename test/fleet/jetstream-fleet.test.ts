/**
 * The fleet on NATS JetStream, on a private nats-server started here: three worker processes share 8 partitions
 * through KV leases; one is killed with SIGKILL mid-stream (its leases expire and move), a fourth joins (fair
 * share: the others give partitions up) and one stops gracefully. Every reading is judged exactly once in the
 * results stream (one verdict per stream sequence, none missing, none extra; the repeats a killed worker causes
 * are dropped by Nats-Msg-Id), no window has a hole (each sensor's first verdict is its W-th reading), and the
 * alerts equal those of a single-worker control group judging the same readings, none repeated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../runtime/fleet/partition.ts';
import { JetStreamFleetSchema } from '../../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { readingMsgId } from '../../runtime/fleet/jetstream/bridge.ts';
import { fleetStatus, storedCount } from '../../runtime/fleet/jetstream/status.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { hasNatsServer, startNatsServer, type TestNatsServer } from '@vigil/fixtures/nats-server.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { spawnJetStreamWorker, type WorkerProc } from '@vigil/fixtures/jetstream-worker.ts';
import { outcomeOf } from '@vigil/fixtures/fleet-outcome.ts';
import { defaultGatewayId } from '../../runtime/config/gateway.ts';

const P = 8;
const W = 4;
const SENSORS = Array.from({ length: 40 }, (_, i) => `pump.${String(i).padStart(2, '0')}`);
const ROUNDS = 48;
const T0 = Date.UTC(2026, 0, 1);
const JS = { leaseMs: 3000, renewMs: 1000, fetchBatch: 64, fetchWaitMs: 1000 };

let dir: string;
let server: TestNatsServer;
let model: string;
const workers: WorkerProc[] = [];

function spawnWorker(id: string, group: string, prefix: string, stream: string, results: string): WorkerProc {
  const w = spawnJetStreamWorker({ id, model, group, partitions: P, jetstream: { servers: server.url, prefix, stream, results, ...JS }, dir });
  workers.push(w);
  return w;
}

const value = (s: number, r: number) => ((r + s * 7) % 17 === 0 ? 40 : ((r * 13 + s) % 10) / 10);

/** Publish rounds [from, to) of every sensor to a group's readings subjects, as the bridge would. */
async function publishRounds(n: FleetNats, from: number, to: number): Promise<void> {
  for (let r = from; r < to; r++) {
    await Promise.all(
      SENSORS.map((s, i) => {
        const payload = new TextEncoder().encode(JSON.stringify({ ts: T0 + r * 1000, values: { a: value(i, r), b: 1 } }));
        return n.js.publish(n.names.readings(partitionOf(s, P), s), payload, { msgID: readingMsgId(s, payload) });
      }),
    );
  }
}

const totalOwned = (ws: WorkerProc[]) => ws.filter((w) => !w.exited).reduce((a, w) => a + w.owned.length, 0);

describe.skipIf(!hasNatsServer)('vigil fleet on JetStream (real nats-server)', () => {
  let fleet: FleetNats;
  let control: FleetNats;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-jsfleet-'));
    model = writeTinyModel(join(dir, 'model'), { window: W, channels: ['a', 'b'], threshold: 20 });
    server = await startNatsServer();
    fleet = await openFleetNats(JetStreamFleetSchema.parse({ servers: server.url, ...JS }), 'line-1', 'test');
    control = await openFleetNats(JetStreamFleetSchema.parse({ servers: server.url, prefix: 'ctl', stream: 'CTL_READINGS', results: 'CTL_RESULTS', ...JS }), 'control', 'test-control');
  }, 30_000);
  afterAll(async () => {
    for (const w of workers) if (!w.exited) w.proc.kill('SIGKILL');
    await fleet?.close();
    await control?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('judges every reading exactly once across a kill -9, a join and a graceful stop; alerts equal a single worker', async () => {
    const [a, b, c] = ['w-a', 'w-b', 'w-c'].map((id) => spawnWorker(id, 'line-1', 'vigil', 'VIGIL_READINGS', 'VIGIL_RESULTS'));
    const ctl = spawnWorker('ctl', 'control', 'ctl', 'CTL_READINGS', 'CTL_RESULTS');
    const state = () => workers.map((w) => `${w.id}: owned ${w.owned.join(',')} judged ${w.verdicts.length} exited ${w.exited} ${w.stderr.slice(-300)}`);
    // Each worker holds its share before data flows: the first worker up may take every partition and hand the
    // surplus over only later, and a worker that has judged nothing before the kill tests nothing.
    await waitFor(() => totalOwned([a, b, c]) === P && [a, b, c].every((w) => w.owned.length >= Math.floor(P / 3)) && ctl.owned.length === P, 'all partitions owned, shared', 30_000, state);
    const perSensor = ROUNDS - (W - 1);
    await publishRounds(control, 0, ROUNDS);

    // Phase 1: a third of the stream, then w-b is killed while the second third arrives.
    await publishRounds(fleet, 0, 16);
    await waitFor(() => b.verdicts.length > 20, 'w-b judging', 20_000, state);
    const bOwned = [...b.owned];
    b.proc.kill('SIGKILL');
    await publishRounds(fleet, 16, 32);
    await waitFor(() => totalOwned([a, c]) === P, "w-b's partitions taken over", 20_000, state);
    // Phase 2: w-d joins (the others give partitions up to it), then w-a stops gracefully mid-stream.
    const d = spawnWorker('w-d', 'line-1', 'vigil', 'VIGIL_READINGS', 'VIGIL_RESULTS');
    await waitFor(() => d.owned.length > 0, 'w-d owns partitions', 20_000, state);
    await publishRounds(fleet, 32, 40);
    a.proc.kill('SIGTERM');
    await publishRounds(fleet, 40, ROUNDS);
    await waitFor(() => a.exited, 'w-a stopped', 20_000, state);
    // Counted in the results streams: a worker's own reports miss verdicts it stored but was killed before hearing acked.
    let counts = [0, 0];
    const poll = setInterval(() => void Promise.all([storedCount(fleet.jsm, 'VIGIL_RESULTS', 'vigil.verdicts.>'), storedCount(control.jsm, 'CTL_RESULTS', 'ctl.verdicts.>')]).then((c) => (counts = c), () => undefined), 200);
    await waitFor(() => counts.every((n) => n >= SENSORS.length * perSensor), 'every reading judged', 90_000, () => [counts, ...state()]).finally(() => clearInterval(poll)).catch(async (err: Error) => {
      // Where it stalled: owner, pending and judged-to of every partition, and every consumer left in the stream.
      const consumers = [];
      for await (const ci of fleet.jsm.consumers.list('VIGIL_READINGS')) consumers.push({ name: ci.name, pending: ci.num_pending, ackPending: ci.num_ack_pending, waiting: ci.num_waiting, acked: ci.ack_floor.stream_seq, delivered: ci.delivered.stream_seq });
      throw new Error(`${err.message}\nstatus: ${JSON.stringify(await fleetStatus(fleet, 'VIGIL_READINGS', P))}\nconsumers: ${JSON.stringify(consumers)}\nlogs: ${workers.map((w) => `${w.id}: ${w.stderr}`).join('\n')}`);
    });

    // The readings: one per sensor and round, in the stream once each. No hole: every reading from a sensor's W-th
    // on has exactly one verdict, nothing before it has one.
    const o = await outcomeOf(fleet, { stream: 'VIGIL_READINGS', results: 'VIGIL_RESULTS', prefix: 'vigil' }, W);
    expect(o.readings).toBe(SENSORS.length * ROUNDS);
    expect(o).toMatchObject({ expected: SENSORS.length * perSensor, once: SENSORS.length * perSensor, missing: 0, repeated: 0, unexpected: 0 });
    // Whatever a worker judged again after the kill was dropped by the results stream, never stored twice. The
    // workers' reports can count fewer first stores than the stream holds (w-b stored some and died before it
    // heard the acks), never more.
    const raw = [a, b, c, d].flatMap((w) => w.verdicts);
    const repeats = raw.filter((v) => v.dup).length;
    expect(raw.length - repeats).toBeLessThanOrEqual(o.expected);
    expect(new Set(raw.map((v) => v.seq)).size).toBe(o.expected);
    console.log(`jetstream fleet: ${o.readings} readings, ${o.expected} verdicts, ${repeats} repeats dropped by Nats-Msg-Id; w-b owned ${bOwned.join(',')} when killed`);

    // Alerts: the same as the single-worker control, none repeated.
    const single = await outcomeOf(control, { stream: 'CTL_READINGS', results: 'CTL_RESULTS', prefix: 'ctl' }, W);
    expect(single.alerts.length).toBeGreaterThan(10);
    expect(new Set(o.alerts).size).toBe(o.alerts.length);
    expect(o.alerts).toEqual(single.alerts);
    // Each names the gateway that sent it, as over MQTT (here every worker's default: the host name).
    expect(o.gateways).toEqual([defaultGatewayId()]);

    // Status: nothing pending, the hand-overs counted, the leavers gone (w-a's partitions are taken on the next beat).
    let status = await fleetStatus(fleet, 'VIGIL_READINGS', P);
    for (let i = 0; i < 50 && !status.partitions.every((p) => p.owner === 'w-c' || p.owner === 'w-d'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await fleetStatus(fleet, 'VIGIL_READINGS', P);
    }
    console.log(JSON.stringify(status));
    expect(status.members.sort()).toEqual(['w-c', 'w-d']);
    expect(status.partitions.every((p) => p.pending === 0 && (p.owner === 'w-c' || p.owner === 'w-d'))).toBe(true);
    expect(status.partitions.reduce((x, p) => x + p.handovers, 0)).toBeGreaterThanOrEqual(bOwned.length);
  }, 240_000);
});
