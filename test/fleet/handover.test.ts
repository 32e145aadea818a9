/**
 * Threshold state travels with its partition: two fleet workers (startRuntime, in process) on a private
 * Mosquitto learn adaptive thresholds for their sensors; one stops, the other takes its partitions and adopts
 * the learned states it published, then continues them (new scores append to the adopted ones) instead of
 * starting again from the model card.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';
import { partitionOf, partitionTopic } from '../../runtime/fleet/partition.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime, type RuntimeHandle } from '../../runtime/ops/runtime.ts';
import { decodeStates, type LoadedState } from '../../runtime/thresholds/store.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const P = 8;
const TEMPLATE = 'sensors/{partition}/{sensor}/data';
const SENSORS = Array.from({ length: 40 }, (_, i) => `pump-${i}`);
let mosq: TestMosquitto;
let dir: string;

beforeAll(async () => {
  mosq = await startMosquitto({ persistence: false });
  dir = mkdtempSync(join(tmpdir(), 'vigil-handover-'));
});
afterAll(async () => {
  await mosq?.close();
  rmSync(dir, { recursive: true, force: true });
});

const values = (s: LoadedState | undefined) => ((s?.threshold?.state as { values?: number[] } | undefined)?.values ?? []);
const states = (file: string) => decodeStates(readFileSync(file, 'utf8')).states;

describe('threshold state hand-over', () => {
  it('the next owner of a partition continues the thresholds the previous one learned', { timeout: 60_000 }, async () => {
    const model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a'], threshold: 100 });
    const start = (id: string) =>
      startRuntime(
        defineConfig({
          model,
          broker: { url: mosq.url, clientId: id },
          source: { topics: [TEMPLATE], qos: 1 },
          threshold: { kind: 'quantile', window: 500, minCount: 10 },
          fleet: { group: 'handover', partitions: P, heartbeatMs: 100, leaseMs: 1000, settleMs: 300, stateIntervalMs: 200 },
          state: { file: join(dir, `${id}.json`), intervalMs: 60_000 },
          metrics: { port: null },
          reload: { watch: false },
        }),
        { logger: createLogger('silent') },
      );
    const a = await start('w-a');
    let b: RuntimeHandle | undefined = await start('w-b');
    const pub = await mqtt.connectAsync(mosq.url, { clientId: 'handover-pub' });
    try {
      await waitFor(() => a.fleet!.current().members.length === 2 && b!.fleet!.current().members.length === 2 && a.fleet!.current().owned.length + b!.fleet!.current().owned.length === P, 'two workers splitting the partitions', 10_000);
      const bOwned = new Set(b.fleet!.current().owned);
      const moved = SENSORS.filter((s) => bOwned.has(partitionOf(s, P)));
      expect(moved.length).toBeGreaterThan(2);

      let seq = 0;
      const round = async (sensors: string[]) => {
        seq++;
        for (const s of sensors) await pub.publishAsync(partitionTopic(TEMPLATE, s, P), JSON.stringify({ ts: 1_700_000_000_000 + seq * 1000, values: { a: Math.sin(seq + s.length) } }), { qos: 1 });
      };
      for (let r = 0; r < 20; r++) await round(SENSORS);
      await waitFor(() => a.counters.scored + b!.counters.scored === SENSORS.length * 17, 'every window scored', 20_000, () => [a.counters.scored, b!.counters.scored]);

      // b stops gracefully: it publishes its partitions' states, leaves, and persists them to its own file.
      await b.stop();
      const fromB = states(join(dir, 'w-b.json'));
      b = undefined;
      await waitFor(() => a.fleet!.current().owned.length === P, 'a to own every partition', 10_000);
      let atA = new Map<string, LoadedState>();
      await waitFor(() => {
        void a.persist().then(() => (atA = states(join(dir, 'w-a.json'))), () => undefined);
        return moved.every((s) => atA.has(s));
      }, "a to adopt b's states", 10_000);
      for (const s of moved) {
        expect(values(fromB.get(s)).length).toBeGreaterThan(10);
        expect(atA.get(s), s).toEqual(fromB.get(s));
      }

      // New readings of a moved sensor append to the adopted scores.
      const s = moved[0];
      const before = values(fromB.get(s));
      for (let r = 0; r < 6; r++) await round([s]);
      await waitFor(() => {
        void a.persist().then(() => (atA = states(join(dir, 'w-a.json'))), () => undefined);
        return values(atA.get(s)).length >= before.length + 3;
      }, 'new scores on the adopted threshold', 10_000);
      expect(values(atA.get(s)).slice(0, before.length)).toEqual(before);
      console.log(`handover: ${moved.length} sensors moved from w-b to w-a with their learned thresholds (${before.length} scores each), and continued`);
    } finally {
      await b?.stop();
      await a.stop();
      await pub.endAsync();
    }
  });
});
