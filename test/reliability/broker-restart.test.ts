/**
 * Broker stopped and restarted mid-stream, all traffic over MQTT at QoS 1 with persistent sessions: a
 * Mosquitto process (SIGTERM, then started again on the same port from its saved sessions) and aedes (new
 * instance, same store). Alerts are raised while the broker is down (windows wait in the micro-batch past
 * the stop), readings are published during the outage; the runtime reconnects by itself, and every alert it
 * raised arrives at a persistent subscriber, every reading is judged once (QoS 1 redeliveries of readings already
 * judged are counted as duplicates, no drop), and /health reads ok.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { droppedByReason, type PipelineCounters } from '../../runtime/stream/counters.ts';
import { tinyModelDir } from './support/tiny-model-dir.ts';
import { startMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { testBroker } from '../ops/aedes.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { brokerConnected } from './support/wait.ts';

const SENSORS = ['pump-1', 'pump-2', 'pump-3', 'pump-4'];
const PER_PHASE = 16;
const tiny = tinyModelDir('vigil-restart-');

interface Restartable {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const brokers: Record<string, () => Promise<Restartable>> = {
  mosquitto: () => startMosquitto({ persistence: true }),
  aedes: async () => {
    const b = await testBroker(() => {}, { keepSessions: true });
    return { url: b.url, stop: b.stop, start: b.start, close: b.stop };
  },
};

/** One reading: flat, with a spike at index 6 of each phase (an alert opens and closes per phase). */
const reading = (i: number) => JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: i % PER_PHASE === 6 ? 40 : 0 } });
/** Distinct readings that reached the windows (redelivered duplicates and any drops excluded). */
const judged = (h: { counters: PipelineCounters }) => h.counters.readings - h.counters.duplicates - Object.values(droppedByReason(h.counters)).reduce((a, b) => a + b, 0);
const key = (a: { type: string; sensor: string; tsLast: number }) => `${a.type}:${a.sensor}:${a.tsLast}`;

for (const [kind, make] of Object.entries(brokers)) {
  describe(`broker restart mid-stream (${kind})`, () => {
    it('loses no alert and no reading; the runtime reconnects by itself', { timeout: 90_000 }, async () => {
      const broker = await make();
      const clients: MqttClient[] = [];
      let handle: Awaited<ReturnType<typeof startRuntime>> | undefined;
      try {
        const logs: string[] = [];
        handle = await startRuntime(
          defineConfig({
            model: tiny.model(),
            broker: { url: broker.url, clientId: `vigil-restart-${kind}`, clean: false, reconnect: { minMs: 100, maxMs: 1000 } },
            source: { topics: ['sensors/{sensor}/data'], qos: 1 },
            // Windows wait up to 1.5 s in the micro-batch, so the alerts of phase A are raised after the broker stops.
            batch: { size: 1024, maxWaitMs: 1500, adaptiveWait: false },
            alerts: { closeM: 3 },
            metrics: { port: null },
            state: { file: null },
            reload: { watch: false },
          }),
          { logger: createLogger('info', { write: (s: string) => void logs.push(s) }) },
        );
        const h = handle;
        const raised: AlertEvent[] = [];
        h.alerts.subscribe((a) => raised.push(a));
        const transitions: boolean[] = [];
        h.connection.subscribe((c) => transitions.push(c));

        const watch = await mqtt.connectAsync(broker.url, { clientId: `watch-${kind}`, clean: false, reconnectPeriod: 100 });
        clients.push(watch);
        const received = new Map<string, number>();
        watch.on('message', (_t, p) => {
          const k = key(JSON.parse(p.toString()));
          received.set(k, (received.get(k) ?? 0) + 1);
        });
        await watch.subscribeAsync('vigil/alerts/#', { qos: 1 });
        const pub = await mqtt.connectAsync(broker.url, { clientId: `pub-${kind}`, clean: false, reconnectPeriod: 100 });
        clients.push(pub);

        // Phase A: published and received while the broker is up.
        for (let i = 0; i < PER_PHASE; i++) for (const s of SENSORS) pub.publish(`sensors/${s}/data`, reading(i), { qos: 1 });
        await waitFor(() => h.edge.decoded === PER_PHASE * SENSORS.length, 'phase A to arrive', 20_000, () => h.edge);
        await broker.stop();
        await waitFor(() => !brokerConnected(h), 'the runtime to notice the outage', 20_000);

        // Alerts of phase A are raised now, with the broker down: they must wait in the runtime's queue.
        await waitFor(() => raised.length === 2 * SENSORS.length, 'phase A alerts', 20_000, () => ({ raised: raised.length }));
        h.health();
        expect(h.edge.alertsQueued).toBeGreaterThan(0);
        const phaseB = () => {
          for (let i = PER_PHASE; i < 2 * PER_PHASE; i++) for (const s of SENSORS) pub.publish(`sensors/${s}/data`, reading(i), { qos: 1 });
        };
        // Mosquitto: phase B is published during the outage (the publisher's QoS 1 queue holds it, then the
        // runtime's persistent session). aedes 1.2 replays an offline session's queue interleaved with live
        // messages, out of order, and the window stage rightly drops late readings; so with aedes phase B
        // goes out once the runtime is back.
        if (kind === 'mosquitto') phaseB();
        await broker.start();
        if (kind !== 'mosquitto') {
          await waitFor(() => brokerConnected(h), 'the runtime to reconnect', 20_000);
          phaseB();
        }
        await waitFor(
          () => judged(h) === 2 * PER_PHASE * SENSORS.length && raised.length === 4 * SENSORS.length && raised.every((a) => received.has(key(a))),
          'every reading judged and every alert delivered',
          40_000,
          () => ({ decoded: h.edge.decoded, raised: raised.length, received: received.size, counters: h.counters }),
        );
        expect(await h.drainAlerts(10_000)).toBe(true);
        expect(transitions).toContain(false);
        expect(transitions.at(-1)).toBe(true);
        // QoS 1 is at least once: copies of readings already judged that the broker redelivers after its restart
        // are duplicates, not drops, so they leave /health's drop share (health.maxDropRate) alone.
        expect(droppedByReason(h.counters)).toEqual({});
        expect(h.health().status).toBe('ok');
        expect(h.edge.alertsDropped).toBe(0);
        expect(h.counters.readings - h.counters.duplicates).toBe(2 * PER_PHASE * SENSORS.length);
        expect(h.counters.scored).toBe(SENSORS.length * (2 * PER_PHASE - 3));
        // Every raised alert arrived; QoS 1 may deliver one twice, never zero times, and nothing unraised arrives.
        expect([...received.keys()].sort()).toEqual(raised.map(key).sort());
        expect(logs.join('')).toMatch(/broker unreachable; reconnecting/);
        console.log(`${kind}: ${raised.length} alerts raised (${h.edge.alertsQueued} while the broker was down), ${received.size} distinct delivered, ${[...received.values()].reduce((a, b) => a + b, 0) - received.size} duplicates; ${judged(h)} readings judged (${h.counters.duplicates} redelivered duplicates)`);
      } finally {
        await handle?.stop();
        for (const c of clients) await c.endAsync(true).catch(() => undefined);
        await broker.close();
      }
    });
  });
}
