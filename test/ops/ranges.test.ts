/**
 * Physical ranges through `vigil run` on the embedded aedes broker: a reading outside the card's range is
 * dead-lettered as out_of_range (detail naming channel, value, range and the card) and counted; the sensor's
 * alert topic gets one `invalid` signal per rate-limit interval (three bad readings in a burst: one signal);
 * in-range readings after them keep being scored.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { InvalidPayload } from '../../runtime/mqtt/alert-payload.ts';
import { fileBroker } from './aedes.ts';
import { consumeAlerts, readingJson, recordedModel, recordedSeries, silent, testConfig, uniquePrefix, within, WINDOW } from './harness.ts';

const published = new Subject<{ topic: string; body: string }>();
const broker = fileBroker((topic, payload) => published.next({ topic, body: payload.toString('utf8') }));

/** The recorded-series model with `ranges` written into its card by hand. */
function modelWithRange(range: [number, number]): string {
  const model = recordedModel();
  const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
  writeFileSync(`${model}.json`, JSON.stringify({ ...card, ranges: { value: range } }));
  return model;
}

describe('vigil run with card ranges', () => {
  it('dead-letters out_of_range readings, signals invalid once per interval, and goes on scoring', async () => {
    const prefix = uniquePrefix('ranges');
    const seen: { topic: string; body: string }[] = [];
    const sub = published.subscribe((m) => m.topic.startsWith(prefix) && seen.push(m));
    const cfg = testConfig(broker.url, prefix, modelWithRange([0, 200]), { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, invalid: { intervalMs: 60_000 } } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    // The example consumer (`vigil alerts`) reads the same schema: signals to onSignal, never as alerts.
    const { consumed, signalled, unsubscribe } = await consumeAlerts(pub, prefix);
    try {
      const rec = recordedSeries(60, 300);
      const bad = new Map([[30, 500], [31, -1], [32, 1e6]]);
      const scoredAfter = within(handle.verdicts, 10_000, 'a verdict on a window after the bad readings', (v) => v.sensor === 'pump-1' && v.tsLast === rec.ts[59]);
      for (let i = 0; i < rec.ts.length; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], bad.get(i) ?? rec.values[i]), { qos: 1 });
      }
      // Another sensor's bad reading last: its signal comes after any pump-1 one could have.
      const marker = within(signalled, 10_000, "pump-2's invalid signal", (p) => p.sensor === 'pump-2');
      await pub.publishAsync(`${prefix}/pump-2/data`, readingJson(rec.ts[0], 250.5), { qos: 1 });
      await scoredAfter;
      const m2 = await marker;
      expect(consumed).toEqual(['signal pump-1 out_of_range 1', 'signal pump-2 out_of_range 1']);
      expect(m2).toMatchObject({ type: 'invalid', sensor: 'pump-2', reason: 'out_of_range', channel: 'value', value: 250.5, range: [0, 200], count: 1 });

      const signals = seen.filter((m) => m.topic === `${prefix}/alerts/pump-1`).map((m) => JSON.parse(m.body) as InvalidPayload);
      expect(signals).toHaveLength(1);
      expect(signals[0]).toMatchObject({
        schema: 'vigil-alert/1', type: 'invalid', sensor: 'pump-1', reason: 'out_of_range', channel: 'value', value: 500, range: [0, 200], count: 1,
        model: { name: 'daily' }, severity: 'warning',
      });
      const dead = seen.filter((m) => m.topic === `${prefix}/dead/out_of_range`).map((m) => JSON.parse(m.body) as { reason: string; detail: string; payload: string });
      expect(dead.map((d) => JSON.parse(d.payload).value)).toEqual([500, -1, 1e6, 250.5]);
      expect(dead[0]).toMatchObject({ reason: 'out_of_range', detail: "channel 'value' is 500, outside its physical range [0, 200] (ranges.value in the model card)" });
      expect(handle.edge.rejected.get('out_of_range')).toBe(4);
      expect(handle.edge.invalidSignals.get('out_of_range')).toBe(2);
      const text = await handle.metrics.text();
      expect(text).toMatch(/vigil_rejected_total\{reason="out_of_range"\} 4/);
      expect(text).toMatch(/vigil_invalid_signals_total\{reason="out_of_range"\} 2/);
      // Every in-range reading was windowed: 57 readings, a window from the WINDOW-th on.
      expect(handle.counters.scored).toBe(57 - WINDOW + 1);
    } finally {
      sub.unsubscribe();
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('a value beyond float32 of a known sensor signals as bad_value; alerts.invalid.enabled false: dead letters only', async () => {
    const prefix = uniquePrefix('ranges-off');
    const seen: { topic: string; body: string }[] = [];
    const sub = published.subscribe((m) => m.topic.startsWith(prefix) && seen.push(m));
    const on = await startRuntime(testConfig(broker.url, prefix, modelWithRange([0, 200])), { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    try {
      const signal = within(published, 10_000, 'the bad_value signal', (m) => m.topic === `${prefix}/alerts/p9`);
      await pub.publishAsync(`${prefix}/p9/data`, '{"ts":1700000000000,"value":4e38}', { qos: 1 });
      expect(JSON.parse((await signal).body)).toMatchObject({ type: 'invalid', sensor: 'p9', reason: 'bad_value', count: 1 });
    } finally {
      await on.stop();
    }
    const off = await startRuntime(testConfig(broker.url, prefix, modelWithRange([0, 200]), { alerts: { topic: `${prefix}/alerts/{sensor}`, invalid: { enabled: false } } }), { logger: silent });
    try {
      const dead = within(off.rejected, 10_000, 'the rejection', (r) => r.reason === 'out_of_range');
      await pub.publishAsync(`${prefix}/p8/data`, '{"ts":1700000000000,"value":300}', { qos: 1 });
      await dead;
      await off.drainAlerts(2000);
      expect(off.edge.invalidSignals.size).toBe(0);
      expect(seen.filter((m) => m.topic === `${prefix}/alerts/p8`)).toEqual([]);
    } finally {
      sub.unsubscribe();
      await off.stop();
      await pub.endAsync();
    }
  });
});
