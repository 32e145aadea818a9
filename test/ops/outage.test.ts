/**
 * Broker outage: alerts raised while the broker is unreachable wait in the bounded queue and are delivered,
 * in order, once the runtime has reconnected by itself; a reading held for older ones waits for them through the
 * outage (the reorder stage's clock stops while the broker is away). Uses aedes, which the test stops and starts on the
 * same port; the broker itself reports what arrives, so no subscriber races the reconnect.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { AlertPayload } from '../../runtime/mqtt/alert-payload.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { testBroker, type TestBroker } from './aedes.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { injectSpike, readingJson, recordedModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

let broker: TestBroker | undefined;
afterAll(async () => broker?.stop());

describe('alerts during a broker outage', () => {
  it('are queued, counted, and delivered after the runtime reconnects', async () => {
    const prefix = uniquePrefix('outage');
    const published = new Subject<{ topic: string; alert: AlertPayload }>();
    broker = await testBroker((topic, payload) => {
      if (topic.startsWith(`${prefix}/alerts/`)) published.next({ topic, alert: JSON.parse(payload.toString()) });
    });
    // Readings come in through an injected source, so they keep flowing while the broker is down.
    const input = new Subject<RawMessage>();
    const handle = await startRuntime(testConfig(broker.url, prefix, recordedModel()), { logger: silent, source: input });
    try {
      const rec = recordedSeries(60, 900);
      const values = injectSpike(injectSpike(rec.values, 30, 6 * recordedStd()), 50, -6 * recordedStd());
      const feed = (from: number, to: number) => {
        for (let i = from; i < to; i++) input.next({ topic: `${prefix}/pump-9/data`, payload: Buffer.from(readingJson(rec.ts[i], values[i])), receivedAt: Date.now() });
      };
      feed(0, 20);

      const down = within(handle.connection, 5000, 'the runtime to notice the broker is gone', (c) => !c);
      await broker.stop();
      await down;

      const raised = within(handle.alerts, 5000, 'the second alert to open', (a) => a.type === 'open' && a.tsLast === rec.ts[50]);
      feed(20, 60);
      await raised;
      const queuedHealth = handle.health();
      expect(queuedHealth.status).toBe('degraded');
      expect(handle.edge.alertsQueued).toBe(4); // open, close, open, close
      expect(handle.edge.alertsPublished).toBe(0);

      const delivered: AlertPayload[] = [];
      const allFour = within(published, 10_000, 'the queued alerts after reconnect', (m) => delivered.push(m.alert) === 4);
      await broker.start();
      await allFour;
      expect(await handle.drainAlerts(5000)).toBe(true);
      expect(delivered.map((a) => [a.type, a.sensor, a.tsLast])).toEqual([
        ['open', 'pump-9', rec.ts[30]],
        ['close', 'pump-9', rec.ts[33]],
        ['open', 'pump-9', rec.ts[50]],
        ['close', 'pump-9', rec.ts[53]],
      ]);
      expect(handle.health().status).toBe('ok');
      expect(handle.health().alertsWaiting).toBe(0);
      expect(handle.edge.alertsPublished).toBe(4);
      expect(handle.edge.alertsDropped).toBe(0);
    } finally {
      input.complete();
      await handle.stop();
    }
  });

  it('a reading held for older ones waits for them through the outage: the reorder clock stops while the broker is away (QoS 1, persistent session)', async () => {
    const prefix = uniquePrefix('outage-order');
    const away = await testBroker(() => {});
    const input = new Subject<RawMessage>();
    // Only a persistent QoS 1 session has readings redelivered after the broker is back: there the clock stops.
    const persistent = { broker: { url: away.url, reconnect: { minMs: 50, maxMs: 500 }, clientId: `${prefix.replace(/\W/g, '-')}-vigil`, clean: false } };
    const handle = await startRuntime(testConfig(away.url, prefix, recordedModel(), { window: { reorderMs: 200 }, ...persistent }), { logger: silent, source: input });
    try {
      const rec = recordedSeries(60, 900);
      const send = (i: number) => input.next({ topic: `${prefix}/pump-8/data`, payload: Buffer.from(readingJson(rec.ts[i], rec.values[i])), receivedAt: Date.now() });
      for (let i = 0; i < 40; i++) send(i);
      // Disorder arms the sensor's holding (41 went on unheld: 40 is too late, as designed).
      send(41);
      send(40);
      send(43);
      const down = within(handle.connection, 5000, 'the runtime to notice the broker is gone', (c) => !c);
      await away.stop();
      await down;
      // Five holds' worth away, then 42 comes right after the broker is back, as a redelivery would.
      await new Promise((r) => setTimeout(r, 1000));
      const up = within(handle.connection, 10_000, 'the runtime to reconnect', (c) => c);
      await away.start();
      await up;
      send(42);
      for (let i = 44; i < 60; i++) send(i);
      await waitFor(() => handle.counters.reorderHeld === 0 && handle.counters.readings >= 60, 'everything let go', 5000);
      expect(handle.counters).toMatchObject({ outOfOrder: 1, reordered: 1 });
    } finally {
      input.complete();
      await handle.stop();
      await away.stop();
    }
  });
});
