/**
 * A channel a sensor stops sending through `vigil run` (embedded aedes broker): its last value is held for up to
 * window.maxFillAgeMs of data time, quietly; past that, the sensor's alert topic gets one `invalid` signal with
 * reason `missing_channel` naming the channel (rate-limited like any invalid reading), `vigil alerts` reads it, and
 * the windows go on being scored. A channel back in the readings raises nothing more. A sensor's clock set back has its
 * refused readings said the same way, as out_of_order.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import type { InvalidPayload } from '../../runtime/mqtt/alert-payload.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { fileBroker } from './aedes.ts';
import { consumeAlerts, silent, testConfig, uniquePrefix, within } from './harness.ts';

const published = new Subject<{ topic: string; body: string }>();
const broker = fileBroker((topic, payload) => published.next({ topic, body: payload.toString('utf8') }));

const W = 16;
const T0 = Date.UTC(2024, 0, 1);

describe('a channel missing from a sensor\'s readings', () => {
  it('is held quietly up to maxFillAgeMs, then signalled once as missing_channel, and scoring goes on', async () => {
    const model = writeTinyModel(mkdtempSync(join(tmpdir(), 'vigil-missing-')), {
      name: 'two', window: W, channels: ['flow', 'temp'], layers: [meanLayer(W, 2)], scaler: { kind: 'standard', offset: [10, 40], scale: [1, 2] }, threshold: 1e6,
    });
    const prefix = uniquePrefix('missing');
    const seen: InvalidPayload[] = [];
    const sub = published.subscribe((m) => m.topic === `${prefix}/alerts/pump-1` && seen.push(JSON.parse(m.body) as InvalidPayload));
    const cfg = testConfig(broker.url, prefix, model, { window: { maxFillAgeMs: 30_000 }, alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, invalid: { intervalMs: 60_000 } } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    const { consumed, signalled, unsubscribe } = await consumeAlerts(pub, prefix);
    try {
      // Rows 1 s apart: 0-39 carry both channels, 40-99 flow only (temp held up to 30 s, row 70 on it is stale),
      // 100-119 both again.
      const n = 120;
      const body = (i: number) => JSON.stringify({ ts: T0 + i * 1000, values: i >= 40 && i < 100 ? { flow: 10 + Math.sin(i) } : { flow: 10 + Math.sin(i), temp: 40 + Math.cos(i) } });
      const last = within(handle.verdicts, 10_000, 'the verdict on the last row', (v) => v.sensor === 'pump-1' && v.tsLast === T0 + (n - 1) * 1000);
      const last2 = within(handle.verdicts, 10_000, "pump-2's last verdict", (v) => v.sensor === 'pump-2' && v.tsLast === T0 + 24 * 1000);
      const signal = within(signalled, 10_000, 'the missing_channel signal', (p) => p.sensor === 'pump-1');
      // pump-2 reports by exception: temp only when it changes, first 20 s after the sensor's first reading (within
      // the max fill age): nothing to say.
      for (let i = 0; i < 25; i++) await pub.publishAsync(`${prefix}/pump-2/data`, JSON.stringify({ ts: T0 + i * 1000, values: i < 20 ? { flow: 10 } : { flow: 10, temp: 40 } }), { qos: 1 });
      for (let i = 0; i < n; i++) await pub.publishAsync(`${prefix}/pump-1/data`, body(i), { qos: 1 });
      await last;
      await last2;
      const s = await signal;
      expect(s).toMatchObject({ type: 'invalid', sensor: 'pump-1', reason: 'missing_channel', channels: ['temp'], count: 1, severity: 'warning' });
      expect(s.detail).toMatch(/^channel 'temp' missing from its readings for over 30 s \(window\.maxFillAgeMs\), or never sent/);
      // One signal for the 30 stale rows (rate limit), read by `vigil alerts` as a signal; every row was scored.
      expect(seen.filter((p) => p.type === 'invalid')).toHaveLength(1);
      // Nothing for pump-2 (consumed holds every sensor's messages).
    expect(consumed).toEqual(['signal pump-1 missing_channel 1']);
      expect(handle.edge.invalidSignals.get('missing_channel')).toBe(1);
      expect(handle.counters.scored).toBe(n - W + 1 + (25 - W + 1));
      expect(handle.counters.incompleteWindows).toBeGreaterThan(0);
      expect(await handle.metrics.text()).toMatch(/vigil_invalid_signals_total\{reason="missing_channel"\} 1/);
    } finally {
      sub.unsubscribe();
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('says so with an out_of_order signal when a sensor\'s clock is set back and its readings are refused', async () => {
    const model = writeTinyModel(mkdtempSync(join(tmpdir(), 'vigil-ooo-')), {
      name: 'two', window: W, channels: ['flow', 'temp'], layers: [meanLayer(W, 2)], scaler: { kind: 'standard', offset: [10, 40], scale: [1, 2] }, threshold: 1e6,
    });
    const prefix = uniquePrefix('ooo');
    // Readings 1 s apart, said so (the tiny model's card has no interval): a step of 1.75 s or more is a gap.
    // No reorder hold: each late reading is refused as it comes (the hold would put some back in order).
    const cfg = testConfig(broker.url, prefix, model, { window: { readingIntervalMs: 1000, reorderMs: 0 }, alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, invalid: { intervalMs: 60_000 } } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    const { signalled, unsubscribe } = await consumeAlerts(pub, prefix);
    // What the dashboard draws: the readings taken in, never the refused ones (drawn back in time they flattened the plots).
    const accepted: number[] = [];
    const feed = runtimeFeed(handle);
    const taken = feed.readings!.subscribe((r) => accepted.push(r.ts));
    // ...and which sensors it is refusing (the page's 'invalid' badge), from the third refusal in a row.
    const refusing: string[] = [];
    const marked = feed.refusing!.subscribe((r) => refusing.push(`${r.sensor} ${r.reason}`));
    try {
      const signal = within(signalled, 10_000, 'the out_of_order signal', (p) => p.sensor === 'pump-3' && p.reason === 'out_of_order');
      const body = (t: number) => JSON.stringify({ ts: t, values: { flow: 10, temp: 40 } });
      // 30 readings 1 s apart, three of them each followed by a copy of the one before with another value (overtaken
      // on the way: refused, but no news); then the device's clock is an hour behind for 10 readings, all refused.
      const late = (t: number) => JSON.stringify({ ts: t, values: { flow: 11, temp: 41 } });
      for (let i = 0; i < 30; i++) {
        await pub.publishAsync(`${prefix}/pump-3/data`, body(T0 + i * 1000), { qos: 1 });
        if (i === 10 || i === 15 || i === 20) await pub.publishAsync(`${prefix}/pump-3/data`, late(T0 + (i - 1) * 1000 + 500), { qos: 1 });
      }
      for (let i = 30; i < 40; i++) await pub.publishAsync(`${prefix}/pump-3/data`, body(T0 - 3_600_000 + i * 1000), { qos: 1 });
      const s = await signal;
      // Signalled at the third refusal in a row (a re-probe: three scattered late readings had raised it), counting
      // every refusal since the last signal (the scattered ones too).
      expect(s).toMatchObject({ type: 'invalid', sensor: 'pump-3', reason: 'out_of_order', count: 6, severity: 'warning' });
      expect(s.detail).toBe(`a reading dated ${new Date(T0 - 3_600_000 + 32_000).toISOString()}, 59m 57s before the sensor's last judged one (${new Date(T0 + 29_000).toISOString()}): refused; its clock set back, or an earlier period sent after a later one (a backfill)? Readings like it are refused until a window of them in a row, arriving at the pace they were taken, confirms the new clock (or their time passes that one); a backfill sent faster than real time never is: score it with vigil score, or send it under a sensor name of its own`);
      expect(handle.counters.outOfOrder).toBeGreaterThanOrEqual(1);
      // The clock set right again: the step over the 10 refused readings is theirs, not 10 readings lost upstream
      // (a probe: refused out of order, they were counted again as missing).
      const last = within(handle.verdicts, 10_000, "pump-3's verdict after its clock is right", (v) => v.sensor === 'pump-3' && v.tsLast === T0 + 45_000);
      for (let i = 40; i <= 45; i++) await pub.publishAsync(`${prefix}/pump-3/data`, body(T0 + i * 1000), { qos: 1 });
      await last;
      expect(handle.counters.outOfOrder).toBe(13);
      expect(handle.counters.readingsMissing).toBe(0);
      expect(refusing).toEqual(Array(8).fill('pump-3 out_of_order'));
      expect(accepted).toEqual([...Array.from({ length: 30 }, (_, i) => T0 + i * 1000), ...Array.from({ length: 6 }, (_, i) => T0 + (40 + i) * 1000)]);
      expect(await handle.metrics.text()).toMatch(/vigil_invalid_signals_total\{reason="out_of_order"\} 1/);
    } finally {
      taken.unsubscribe();
      marked.unsubscribe();
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });
});
