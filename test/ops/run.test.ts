/**
 * `vigil run` end to end on real brokers (Mosquitto on 127.0.0.1:1883 and an embedded aedes), real ONNX
 * Runtime and a model card fitted to a recorded series: alerts arrive on the alert topic for the right sensor
 * and window, many sensors at once; bad input is dead-lettered and counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { Subject, filter, scan } from 'rxjs';
import { startRuntime, type RuntimeHandle } from '../../runtime/ops/runtime.ts';
import type { AlertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { testBroker, type TestBroker } from './aedes.ts';
import { HELD_OUT, WINDOW, injectSpike, readingJson, recordedSeries, recordedStd, silent, testConfig, trainedModel, uniquePrefix, within } from './harness.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import { readFileSync } from 'node:fs';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
let model: string;
let card: ModelCard;
let aedes: TestBroker;

beforeAll(async () => {
  model = await trainedModel();
  card = JSON.parse(readFileSync(`${model}.json`, 'utf8')) as ModelCard;
  aedes = await testBroker(() => {});
});
afterAll(async () => {
  await aedes?.stop();
});

/** A client that collects alert messages under a prefix. */
async function alertListener(url: string, prefix: string) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const messages = new Subject<{ topic: string; alert: AlertPayload }>();
  const all: { topic: string; alert: AlertPayload }[] = [];
  client.on('message', (topic, payload) => {
    const m = { topic, alert: JSON.parse(payload.toString()) as AlertPayload };
    all.push(m);
    messages.next(m);
  });
  await client.subscribeAsync(`${prefix}/alerts/+`, { qos: 1 });
  return { client, messages, all };
}

/** Publish readings of several sensors interleaved by time, QoS 1, in order. */
async function publishSeries(client: MqttClient, prefix: string, series: Map<string, { ts: number[]; values: number[] }>): Promise<void> {
  const n = Math.max(...[...series.values()].map((s) => s.ts.length));
  for (let i = 0; i < n; i++) {
    await Promise.all(
      [...series].filter(([, s]) => i < s.ts.length).map(([sensor, s]) => client.publishAsync(`${prefix}/${sensor}/data`, readingJson(s.ts[i], s.values[i]), { qos: 1 })),
    );
  }
}

for (const broker of ['aedes', 'mosquitto', 'mosquitto-mqtt5'] as const) {
  describe(`vigil run on ${broker}`, () => {
    const url = () => (broker === 'aedes' ? aedes.url : MOSQUITTO);
    // aedes speaks MQTT 3.1.1 only; Mosquitto is also driven over MQTT 5 with a persistent session.
    const config = (prefix: string) => {
      const cfg = testConfig(url(), prefix, model);
      if (broker === 'mosquitto-mqtt5') Object.assign(cfg.broker, { protocolVersion: 5, clean: false, clientId: `vigil-${prefix.split('/')[1]}`, sessionExpirySec: 60 });
      return cfg;
    };

    it('raises the alert for the right sensor at the right window, then closes it', async () => {
      const prefix = uniquePrefix(`one-${broker}`);
      const handle = await startRuntime(config(prefix), { logger: silent });
      const listener = await alertListener(url(), prefix);
      const pub = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
      try {
        const rec = recordedSeries(200, HELD_OUT + 500);
        const spike = 150;
        const series = new Map([['pump-1', { ts: rec.ts, values: injectSpike(rec.values, spike, 6 * recordedStd()) }]]);
        const opened = within(listener.messages, 10_000, 'the open alert', (m) => m.alert.type === 'open');
        const closed = within(listener.messages, 10_000, 'the close alert', (m) => m.alert.type === 'close');
        const lastVerdict = within(handle.verdicts, 10_000, 'the last verdict', (v) => v.tsLast === rec.ts[199]);
        await publishSeries(pub, prefix, series);
        const open = await opened;
        expect(open.topic).toBe(`${prefix}/alerts/pump-1`);
        const level = card.threshold.static.value;
        expect(open.alert).toMatchObject({ schema: 'vigil-alert/1', type: 'open', sensor: 'pump-1', tsLast: rec.ts[spike], tsFirst: rec.ts[spike - WINDOW + 1] });
        expect(open.alert.threshold).toBe(Number(level.toPrecision(6))); // the payload's 6 significant digits
        expect(open.alert.score).toBeGreaterThan(level);
        expect(open.alert.topChannels).toEqual([{ channel: 'value', share: 1 }]);
        expect(open.alert.model).toEqual({ name: card.name, version: card.version, weights: card.onnx.sha256.slice(0, 12) });
        expect(open.alert.provider).toBe('ort-node/cpu');
        expect(open.alert.windowEnd).toBe(new Date(rec.ts[spike]).toISOString());
        const close = await closed;
        expect(close.alert).toMatchObject({ type: 'close', sensor: 'pump-1' });
        expect(close.alert.tsLast).toBeGreaterThanOrEqual(rec.ts[spike + 3]);
        expect(close.alert.tsLast).toBeLessThanOrEqual(rec.ts[spike + WINDOW + 2]);
        await lastVerdict;
        expect({ scored: handle.counters.scored, dropped: handle.counters.droppedQueueFull }).toEqual({ scored: 200 - WINDOW + 1, dropped: 0 });
        expect(handle.counters.alertsOpened).toBe(1);
        expect(listener.all).toHaveLength(2);
      } finally {
        await handle.stop();
        await listener.client.endAsync();
        await pub.endAsync();
      }
    });

    it('judges many sensors at once and alerts only the ones with a fault', async () => {
      const prefix = uniquePrefix(`many-${broker}`);
      const handle = await startRuntime(config(prefix), { logger: silent });
      const listener = await alertListener(url(), prefix);
      const pub = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
      try {
        const sensors = 20;
        const n = 100;
        const faults = new Map([
          ['pump-3', 40],
          ['pump-11', 70],
        ]);
        const series = new Map<string, { ts: number[]; values: number[] }>();
        for (let s = 0; s < sensors; s++) {
          const rec = recordedSeries(n, HELD_OUT + s * 37);
          const id = `pump-${s}`;
          const at = faults.get(id);
          series.set(id, { ts: rec.ts, values: at === undefined ? rec.values : injectSpike(rec.values, at, 6 * recordedStd()) });
        }
        const expected = sensors * (n - WINDOW + 1);
        const allJudged = within(handle.verdicts.pipe(scan((k) => k + 1, 0)), 20_000, `${expected} verdicts`, (k) => k === expected);
        const opens = within(listener.messages.pipe(filter((m) => m.alert.type === 'open'), scan((k) => k + 1, 0)), 20_000, 'two open alerts', (k) => k === 2);
        await publishSeries(pub, prefix, series);
        await allJudged;
        await opens;
        const got = listener.all.filter((m) => m.alert.type === 'open').map((m) => [m.topic, m.alert.sensor, m.alert.tsLast]);
        got.sort();
        expect(got).toEqual([
          [`${prefix}/alerts/pump-11`, 'pump-11', series.get('pump-11')!.ts[70]],
          [`${prefix}/alerts/pump-3`, 'pump-3', series.get('pump-3')!.ts[40]],
        ]);
        expect(handle.counters.alertsOpened).toBe(2);
        expect(handle.counters.activeSensors).toBe(sensors);
      } finally {
        await handle.stop();
        await listener.client.endAsync();
        await pub.endAsync();
      }
    });
  });
}
