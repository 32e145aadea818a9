/**
 * The dashboard of `vigil run` and the backlog a persistent session's broker delivers at the start (readings published
 * while vigil was stopped, a gateway's buffer flushed meanwhile). Found by a probe: vigil killed during an incident, the
 * readings after it queued by Mosquitto, vigil started again: the alert closed within the backlog, judged before the
 * dashboard (started once startRuntime had resolved) subscribed, so it was in no list of the page, nor in its recording,
 * while its close went out on MQTT. The dashboard is now a part attached to the runtime (RuntimeDeps.attached), started
 * before the intake reads anything.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime, type RuntimeHandle } from '../../runtime/ops/runtime.ts';
import { startDashboard, type Dashboard } from '../../dashboard/server.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import { tinyModelDir } from '../reliability/support/tiny-model-dir.ts';
import { startMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const tiny = tinyModelDir('vigil-dash-backlog-');

// The tiny model reconstructs a window by its mean: readings alternating +-10 score 100 (threshold 1), a flat 0 scores 0.
const reading = (i: number, incident: boolean) => JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: incident ? (i % 2 ? 10 : -10) : 0 } });

describe('dashboard and the backlog queued while vigil was stopped', () => {
  it('lists the alert that opened and closed within it, and is attached before the first reading', { timeout: 60_000 }, async () => {
    const broker = await startMosquitto({ persistence: false });
    const config = defineConfig({
      model: tiny.model(),
      broker: { url: broker.url, clientId: 'vigil-dash-backlog', clean: false, reconnect: { minMs: 100, maxMs: 500 } },
      source: { topics: ['sensors/{sensor}/data'], qos: 1 },
      threshold: { kind: 'static', value: 1 },
      alerts: { topic: 'dash-backlog-alerts/{sensor}', closeM: 3 },
      metrics: { port: null },
      state: { file: null },
      reload: { watch: false },
    });
    const quiet = () => createLogger('warn', { write: () => {} });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dash-backlog-pub' });
    let dash: Dashboard | undefined;
    let decodedWhenAttached: number | undefined;
    try {
      // The session and its subscription, left at the broker by the stop.
      await (await startRuntime(config, { logger: quiet() })).stop();
      // vigil is down: normal, an incident, normal again, all queued for its session.
      const n = 30;
      for (let i = 0; i < n; i++) await pub.publishAsync('sensors/pump-1/data', reading(i, i >= 8 && i < 18), { qos: 1 });
      const attached = (h: RuntimeHandle) => ({
        name: 'dashboard',
        async start() {
          decodedWhenAttached = h.edge.decoded;
          dash = await startDashboard(runtimeFeed(h), { port: 0 });
        },
        stop: () => dash?.close(),
      });
      const second = await startRuntime(config, { logger: quiet(), attached });
      try {
        await waitFor(() => second.edge.decoded === n, 'the queued readings', 20_000, () => second.edge);
        await waitFor(() => second.counters.alertsClosed === 1, 'the alert to close', 20_000, () => second.counters);
        expect(decodedWhenAttached).toBe(0);
        const listed = dash!.store.spans.recent(10);
        expect(listed.map((s) => ({ sensor: s.sensor, closed: s.end !== null }))).toEqual([{ sensor: 'pump-1', closed: true }]);
      } finally {
        await second.stop();
      }
    } finally {
      await pub.endAsync();
      await broker.stop();
    }
  });
});
