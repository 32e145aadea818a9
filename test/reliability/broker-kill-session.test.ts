/**
 * A broker killed (SIGKILL) before it saved vigil's persistent session (Mosquitto saves every autosave_interval;
 * here the default, 30 min, so nothing is saved): on reconnecting it answers that it has no session for vigil.
 * Whatever was published between its restart and vigil's new subscription was never queued for vigil, so the
 * loss cannot be counted reading by reading; the runtime says so (a warning and
 * vigil_broker_sessions_lost_total), /health reads degraded for health.dropWindowMs, and it subscribes again and
 * goes on receiving (bench/burst.ts kill runs lost readings this way with nothing counted).
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { tinyModelDir } from './support/tiny-model-dir.ts';
import { startMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { brokerConnected } from './support/wait.ts';

const tiny = tinyModelDir('vigil-kill-session-');

const reading = (i: number) => JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: 0 } });

describe('broker kill -9 that loses the persistent session', () => {
  it('counts and logs the lost session, degrades /health for a while, subscribes again and keeps receiving', { timeout: 60_000 }, async () => {
    const broker = await startMosquitto({ persistence: true });
    const logs: string[] = [];
    let handle: Awaited<ReturnType<typeof startRuntime>> | undefined;
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'kill-session-pub', reconnectPeriod: 100 });
    pub.on('error', () => {});
    try {
      handle = await startRuntime(
        defineConfig({
          model: tiny.model(),
          broker: { url: broker.url, clientId: 'vigil-kill-session', clean: false, reconnect: { minMs: 100, maxMs: 500 } },
          source: { topics: ['sensors/{sensor}/data'], qos: 1 },
          metrics: { port: null },
          health: { dropWindowMs: 1000 },
          state: { file: null },
          reload: { watch: false },
        }),
        { logger: createLogger('info', { write: (s: string) => void logs.push(s) }) },
      );
      const h = handle;
      for (let i = 0; i < 4; i++) await pub.publishAsync('sensors/pump-1/data', reading(i), { qos: 1 });
      await waitFor(() => h.edge.decoded === 4, 'the first readings', 10_000, () => h.edge);
      expect(h.edge.sessionsLost).toBe(0);

      await broker.kill();
      await waitFor(() => !brokerConnected(h), 'the runtime to notice the crash', 10_000);
      await broker.start();
      await waitFor(() => brokerConnected(h), 'the runtime to reconnect', 20_000);
      expect(h.edge.sessionsLost).toBe(1);
      expect(logs.join('')).toMatch(/the broker had no session for us on reconnecting/);
      expect(await h.metrics.text()).toMatch(/^vigil_broker_sessions_lost_total 1$/m);
      // Readings were lost upstream: degraded for health.dropWindowMs (1 s here), then ok again.
      expect(h.health()).toMatchObject({ status: 'degraded', broker: { connected: true, sessionsLost: 1 } });
      await waitFor(() => h.health().status === 'ok', '/health ok again after health.dropWindowMs', 10_000, () => h.health());

      // Subscribed again: readings published from now on arrive.
      await waitFor(() => pub.connected, 'the publisher to reconnect', 10_000);
      for (let i = 4; i < 8; i++) await pub.publishAsync('sensors/pump-1/data', reading(i), { qos: 1 });
      await waitFor(() => h.edge.decoded === 8, 'readings after the restart', 10_000, () => h.edge);
    } finally {
      await handle?.stop();
      await pub.endAsync(true).catch(() => undefined);
      await broker.close();
    }
  });
});
