/**
 * The JetStream fleet through a nats-server crash: two worker processes judge a private nats-server's readings
 * stream; the server is killed with SIGKILL mid-stream and started again on the same port with its store dir kept,
 * while readings keep coming (the publisher retries with the same Nats-Msg-Id, as the bridge does). Nothing is
 * lost: every reading is in the stream once and has exactly one verdict (counted by stream sequence), none before
 * its sensor's W-th reading, and no alert is repeated. The workers reconnect, renew or retake their leases and
 * resume their partitions from the saved state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../runtime/fleet/partition.ts';
import { JetStreamFleetSchema } from '../../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { readingMsgId } from '../../runtime/fleet/jetstream/bridge.ts';
import { storedCount } from '../../runtime/fleet/jetstream/status.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { hasNatsServer, startNatsServer, type TestNatsServer } from '@vigil/fixtures/nats-server.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { outcomeOf } from '@vigil/fixtures/fleet-outcome.ts';
import { spawnJetStreamWorker, type WorkerProc } from '@vigil/fixtures/jetstream-worker.ts';

const P = 8;
const W = 4;
const SENSORS = Array.from({ length: 40 }, (_, i) => `valve-${i}`);
const ROUNDS = 30;
const T0 = Date.UTC(2026, 0, 1);
const JS = { leaseMs: 3000, renewMs: 1000, fetchBatch: 64, fetchWaitMs: 1000 };

let dir: string;
let server: TestNatsServer;
const workers: WorkerProc[] = [];

const value = (s: number, r: number) => ((r + s * 5) % 13 === 0 ? 40 : ((r * 7 + s) % 10) / 10);

/** Publish rounds [from, to); a publish that fails (server down) is retried with the same Nats-Msg-Id. */
async function publishRounds(n: FleetNats, from: number, to: number): Promise<number> {
  let retries = 0;
  for (let r = from; r < to; r++) {
    await Promise.all(
      SENSORS.map(async (s, i) => {
        const payload = new TextEncoder().encode(JSON.stringify({ ts: T0 + r * 1000, values: { a: value(i, r), b: 1 } }));
        for (;;) {
          try {
            return await n.js.publish(n.names.readings(partitionOf(s, P), s), payload, { msgID: readingMsgId(s, payload), timeout: 2000 });
          } catch {
            retries++;
            await new Promise((res) => setTimeout(res, 200));
          }
        }
      }),
    );
  }
  return retries;
}

describe.skipIf(!hasNatsServer)('vigil fleet on JetStream through a nats-server restart', () => {
  let fleet: FleetNats;
  let model: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-jsrestart-'));
    model = writeTinyModel(join(dir, 'model'), { window: W, channels: ['a', 'b'], threshold: 20 });
    server = await startNatsServer();
    fleet = await openFleetNats(JetStreamFleetSchema.parse({ servers: server.url, ...JS }), 'line-r', 'test');
  }, 30_000);
  afterAll(async () => {
    for (const w of workers) if (!w.exited) w.proc.kill('SIGKILL');
    await fleet?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and judges nothing twice when nats-server is killed and restarted mid-stream', async () => {
    for (const id of ['w-1', 'w-2']) workers.push(spawnJetStreamWorker({ id, model, group: 'line-r', partitions: P, jetstream: { servers: server.url, ...JS }, dir }));
    const state = () => Object.fromEntries(workers.map((w) => [w.id, { owned: w.owned, log: w.stderr }]));
    await waitFor(() => workers.reduce((a, w) => a + w.owned.length, 0) === P && workers.every((w) => w.owned.length > 0), 'partitions shared', 30_000, state);
    const expected = SENSORS.length * (ROUNDS - W + 1);
    let judged = 0;
    const poll = setInterval(() => void storedCount(fleet.jsm, 'VIGIL_RESULTS', 'vigil.verdicts.>').then((n) => (judged = n), () => undefined), 200);
    try {
      await publishRounds(fleet, 0, 10);
      await waitFor(() => judged > 0, 'first verdicts', 20_000, state);
      // Kill -9 and start again (store kept) while the next readings are being published.
      const restarted = server.restart();
      const retries = await publishRounds(fleet, 10, 20);
      await restarted;
      await publishRounds(fleet, 20, ROUNDS);
      await waitFor(() => judged >= expected, 'every reading judged after the restart', 45_000, () => ({ judged, ...state() }));
      console.log(`jetstream restart: ${judged} verdicts, publisher retries ${retries}`);
    } finally {
      clearInterval(poll);
    }

    const o = await outcomeOf(fleet, { stream: 'VIGIL_READINGS', results: 'VIGIL_RESULTS', prefix: 'vigil' }, W);
    expect(o.readings).toBe(SENSORS.length * ROUNDS);
    expect(o).toMatchObject({ expected, once: expected, missing: 0, repeated: 0, unexpected: 0 });
    expect(o.alerts.length).toBeGreaterThan(10);
    expect(new Set(o.alerts).size).toBe(o.alerts.length);
  }, 90_000);
});
