/**
 * A JetStream fleet worker that judges readings long after the bridge stored them says so, as `vigil run` does when
 * inference falls behind (runtime/fleet/jetstream/fleet-lag.ts): the stream holds the backlog, and before, a worker
 * minutes behind logged nothing. Readings stored before any worker runs are judged at least that late: the first
 * batch is warned of, with the partition's messages still waiting (the wording of both lines: fleet-lag.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../runtime/fleet/partition.ts';
import { JetStreamFleetSchema } from '../../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { startJetStreamWorker, workerRunConfig } from '../../runtime/fleet/jetstream/index.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { hasNatsServer, startNatsServer, type TestNatsServer } from '@vigil/fixtures/nats-server.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { capturingLogger } from '../ops/harness.ts';

const P = 2;
const JS = { leaseMs: 3000, renewMs: 500, fetchBatch: 16, fetchWaitMs: 1000 };
const T0 = Date.UTC(2026, 0, 1);
const BEHIND_MS = 600;

describe.skipIf(!hasNatsServer)('a JetStream fleet worker behind its stream', () => {
  let dir: string;
  let server: TestNatsServer;
  let fleet: FleetNats;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-jslag-'));
    server = await startNatsServer();
    fleet = await openFleetNats(JetStreamFleetSchema.parse({ servers: server.url, ...JS }), 'line-lag', 'test');
  }, 30_000);
  afterAll(async () => {
    await fleet?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns with the lag and the messages waiting', async () => {
    const model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a', 'b'], threshold: 20 });
    // Stored well before the worker starts: whatever this machine's speed, judged at least BEHIND_MS after.
    for (let r = 0; r < 100; r++) {
      const payload = new TextEncoder().encode(JSON.stringify({ ts: T0 + r * 1000, values: { a: (r % 10) / 10, b: 1 } }));
      await fleet.js.publish(fleet.names.readings(partitionOf('pump-1', P), 'pump-1'), payload);
    }
    await new Promise((r) => setTimeout(r, BEHIND_MS));
    const { lines, logger } = capturingLogger();
    const config = workerRunConfig({ model, fleet: { group: 'line-lag', partitions: P, workerId: 'w-1', jetstream: { servers: server.url, ...JS } }, metrics: { port: null }, state: { file: null }, reload: { watch: false }, log: { lagWarnMs: 300 } });
    const worker = await startJetStreamWorker({ config, log: logger });
    try {
      await waitFor(() => lines.some((l) => String(l.msg).startsWith('verdicts are behind: ')), 'the lag warned of', 30_000, () => lines.map((l) => l.msg));
    } finally {
      await worker.stop();
    }
    const behind = lines.find((l) => String(l.msg).startsWith('verdicts are behind: '))!;
    expect(behind.level).toBe(40);
    expect(behind.lagMs as number).toBeGreaterThanOrEqual(BEHIND_MS);
    expect(behind.waitingMessages as number).toBeGreaterThanOrEqual(0);
    expect(String(behind.msg)).toMatch(/^verdicts are behind: readings judged up to .* after the bridge stored them in the stream \(over log\.lagWarnMs, 300 ms; .*message\(s\) of that partition still waiting in the stream then/);
  }, 60_000);
});
