/**
 * A persistent session across a clean stop (`broker.clean: false`, a fixed client id): what is published at QoS 1
 * while vigil is stopped is queued by the broker and scored at the next start. Found by a probe: the stop
 * unsubscribed, the broker dropped the session's subscription, and every `systemctl restart` lost its downtime's
 * readings with nothing said (after a kill -9 they were delivered).
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { tinyModelDir } from './support/tiny-model-dir.ts';
import { startMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const tiny = tinyModelDir('vigil-session-stop-');

const reading = (i: number) => JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: 0 } });

describe('persistent session across a clean stop', () => {
  it('gets what was published while it was stopped', { timeout: 60_000 }, async () => {
    const broker = await startMosquitto({ persistence: false });
    const config = defineConfig({
      model: tiny.model(),
      broker: { url: broker.url, clientId: 'vigil-session-stop', clean: false, reconnect: { minMs: 100, maxMs: 500 } },
      source: { topics: ['sensors/{sensor}/data'], qos: 1 },
      metrics: { port: null },
      state: { file: null },
      reload: { watch: false },
    });
    const quiet = () => createLogger('warn', { write: () => {} });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'session-stop-pub' });
    try {
      const first = await startRuntime(config, { logger: quiet() });
      for (let i = 0; i < 3; i++) await pub.publishAsync('sensors/pump-1/data', reading(i), { qos: 1 });
      await waitFor(() => first.edge.decoded === 3, 'the first readings', 10_000, () => first.edge);
      await first.stop();
      // vigil is down: the broker queues these for its session.
      for (let i = 3; i < 23; i++) await pub.publishAsync('sensors/pump-1/data', reading(i), { qos: 1 });
      const second = await startRuntime(config, { logger: quiet() });
      try {
        await waitFor(() => second.edge.decoded === 20, 'the readings published while it was stopped', 10_000, () => second.edge);
        expect(second.edge.decoded).toBe(20);
      } finally {
        await second.stop();
      }
    } finally {
      await pub.endAsync();
      await broker.stop();
    }
  });
});
