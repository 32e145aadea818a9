/**
 * What a silence does beyond its signal, through `vigil run` on the embedded aedes broker: the step over it in the
 * sensor's data counts no readings missing; an alert open on a sensor silent for window.idleEvictMs is closed,
 * unresolved; and a sensor sending only readings vigil refuses is not silent at all.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { SilencePayload } from '../../runtime/mqtt/alert-payload.ts';
import { subscribeAlerts } from '../../simulators/alerts/subscribe.ts';
import { formatAlert } from '../../simulators/alerts/format.ts';
import { fileBroker } from './aedes.ts';
import { injectSpike, keepReporting, readingJson, recordedModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

const broker = fileBroker();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('what a silence does', () => {
  it('a sensor back from a signalled silence counts no readings missing over it (its silence was the news, not a loss upstream)', async () => {
    const prefix = uniquePrefix('silent-gap');
    const rec = recordedSeries(40);
    const step = rec.ts[1] - rec.ts[0];
    // The readings' interval said (the test model's card has none): a step of 1.75 of it or more is a gap.
    const cfg = testConfig(broker.url, prefix, recordedModel(), { window: { readingIntervalMs: step }, alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } } });
    const pub = await mqtt.connectAsync(broker.url);
    const signals = new Subject<SilencePayload>();
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: () => {}, onSilence: (p) => signals.next(p) });
    const handle = await startRuntime(cfg, { logger: silent });
    try {
      const quiet = within(signals, 10_000, "pump-1's silent signal", (p) => p.type === 'silent' && p.sensor === 'pump-1');
      for (let i = 0; i < 20; i++) {
        for (const sensor of ['pump-1', 'pump-2']) await pub.publishAsync(`${prefix}/${sensor}/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(60);
      }
      // pump-2 goes on; pump-1 is quiet until it is signalled silent.
      const stopPump2 = keepReporting(pub, `${prefix}/pump-2/data`, 20, (i) => readingJson(rec.ts[19] + (i - 19) * step, rec.values[i % 40]));
      await quiet;
      const last2 = await stopPump2();
      const missingBefore = handle.counters.readingsMissing;
      // Back, its clock having run on: 10 intervals skipped in its data.
      const back = within(handle.verdicts, 10_000, "pump-1's verdict after its silence", (v) => v.sensor === 'pump-1' && v.tsLast === rec.ts[19] + 10 * step);
      await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[19] + 10 * step, rec.values[29]), { qos: 1 });
      await back;
      expect(handle.counters.readingsMissing - missingBefore).toBe(0);
      // A gap of another sensor that was not signalled silent still counts (pump-2 skips 3 intervals).
      const at = (i: number) => rec.ts[19] + (i - 19) * step;
      const gap = within(handle.verdicts, 10_000, "pump-2's verdict after its gap", (v) => v.sensor === 'pump-2' && v.tsLast === at(last2 + 4));
      await pub.publishAsync(`${prefix}/pump-2/data`, readingJson(at(last2 + 4), rec.values[1]), { qos: 1 });
      await gap;
      expect(handle.counters.readingsMissing - missingBefore).toBe(3);
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it("closes an open alert of a sensor silent for window.idleEvictMs, marked unresolved (a probe: decommissioned sensors' alerts stayed open for good)", async () => {
    const prefix = uniquePrefix('silent-abandon');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } }, window: { idleEvictMs: 2500 } });
    const pub = await mqtt.connectAsync(broker.url);
    const events = new Subject<{ type: string; sensor: string; unresolved?: string }>();
    const got: string[] = [];
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: (a) => (got.push(`${a.type} ${a.sensor}${a.unresolved ? ` ${a.unresolved}` : ''}`), events.next(a)) });
    const handle = await startRuntime(cfg, { logger: silent });
    let stopPump2: (() => Promise<number>) | undefined;
    try {
      const rec = recordedSeries(40);
      const values = injectSpike(rec.values, 20, 20 * recordedStd());
      const opened = within(events, 10_000, "pump-1's alert", (a) => a.type === 'open' && a.sensor === 'pump-1');
      const closed = within(events, 15_000, "pump-1's unresolved close", (a) => a.type === 'close' && a.sensor === 'pump-1');
      stopPump2 = keepReporting(pub, `${prefix}/pump-2/data`, 0, (i) => readingJson(rec.ts[i % 40] + Math.floor(i / 40) * 1e9, rec.values[i % 40]));
      for (let i = 0; i < 22; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], values[i]), { qos: 1 });
        await sleep(60);
      }
      await opened;
      expect(handle.openAlerts().map((a) => a.sensor)).toContain('pump-1');
      // pump-1 sends nothing more: signalled silent after 1.5 s, its alert closed after 2.5 s of silence.
      const c = await closed;
      await stopPump2();
      expect(c).toMatchObject({ type: 'close', sensor: 'pump-1', unresolved: 'silent', severity: 'clear' });
      // Decided when its sensor had been quiet idleEvictMs: that is its lateness (a re-probe: -16 s, the peak's arrival).
      expect((c as { lateMs?: number }).lateMs).toBeGreaterThanOrEqual(2500);
      expect(formatAlert(c as never)).toMatch(/clear {2}pump-1 \[vigil-test\] {2}seen for .*unresolved: its sensor went silent for good$/);
      expect(got.filter((g) => g.endsWith('pump-1') || g.endsWith('silent'))).toEqual(['open pump-1', 'close pump-1 silent']);
      expect(handle.openAlerts().map((a) => a.sensor)).not.toContain('pump-1');
      expect(await handle.metrics.text()).toMatch(/^vigil_alerts_open 0$/m);
    } finally {
      await stopPump2?.();
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('says a silent sensor back after new sensors took its room (window.maxSensors), and past maxSensors silent at once ends the first silence unresolved "evicted" (a review: forgotten for room, its resumed never came)', async () => {
    const prefix = uniquePrefix('silent-room-jet2');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { window: { maxSensors: 2 }, alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } } });
    const pub = await mqtt.connectAsync(broker.url);
    const signals = new Subject<SilencePayload>();
    const got: string[] = [];
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: () => {}, onSilence: (p) => (got.push(`${p.type} ${p.sensor}${p.unresolved ? ` ${p.unresolved}` : ''}`), signals.next(p)) });
    const handle = await startRuntime(cfg, { logger: silent });
    const rec = recordedSeries(40);
    const report = async (sensors: string[], n: number) => {
      for (let i = 0; i < n; i++) {
        for (const sensor of sensors) await pub.publishAsync(`${prefix}/${sensor}/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(100);
      }
    };
    try {
      const quiet = within(signals, 15_000, 'pump-2 silent', (p) => p.type === 'silent' && p.sensor === 'pump-2');
      await report(['pump-1', 'pump-2'], 20);
      await quiet;
      // A third falls silent: two are watched silent at most, and the first signalled is let go with a close.
      const evicted = within(signals, 15_000, "pump-1's silence ended for room", (p) => p.type === 'resumed' && p.sensor === 'pump-1');
      await report(['pump-3'], 20);
      expect(await evicted).toMatchObject({ type: 'resumed', unresolved: 'evicted', severity: 'clear' });
      expect(handle.edge.silencesEvicted).toBe(1);
      expect(await handle.metrics.text()).toMatch(/^vigil_silences_evicted_total 1$/m);
      // New sensors take the room of those heard; pump-2, silent, is still watched and said back.
      await report(['new-1', 'new-2', 'new-3'], 1);
      const back = within(signals, 10_000, "pump-2's resumed signal", (p) => p.type === 'resumed' && p.sensor === 'pump-2');
      await pub.publishAsync(`${prefix}/pump-2/data`, readingJson(rec.ts[20], rec.values[20]), { qos: 1 });
      expect(await back).toMatchObject({ severity: 'clear' });
      expect((await back).unresolved).toBeUndefined();
      expect(got).toEqual(['silent pump-1', 'silent pump-2', 'silent pump-3', 'resumed pump-1 evicted', 'resumed pump-2']);
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it("a silent sensor let go for room (past maxSensors silent at once) has its open alert closed unresolved \"evicted\": nothing else would ever close it", async () => {
    const prefix = uniquePrefix('silent-room-alert');
    // idleEvictMs far off: only the silence's eviction can close pump-1's alert in this test.
    const cfg = testConfig(broker.url, prefix, recordedModel(), { window: { maxSensors: 2, idleEvictMs: 600_000 }, alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } } });
    const pub = await mqtt.connectAsync(broker.url);
    const events = new Subject<{ type: string; sensor: string; unresolved?: string }>();
    const got: string[] = [];
    const note = (p: { type: string; sensor: string; unresolved?: string }) => (got.push(`${p.type} ${p.sensor}${p.unresolved ? ` ${p.unresolved}` : ''}`), events.next(p));
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: note, onSilence: note });
    const handle = await startRuntime(cfg, { logger: silent });
    const rec = recordedSeries(40);
    try {
      const values = injectSpike(rec.values, 20, 20 * recordedStd());
      const opened = within(events, 10_000, "pump-1's alert", (a) => a.type === 'open' && a.sensor === 'pump-1');
      const quiet = within(events, 15_000, 'pump-1 silent', (p) => p.type === 'silent' && p.sensor === 'pump-1');
      for (let i = 0; i < 22; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], values[i]), { qos: 1 });
        await sleep(60);
      }
      await opened;
      await quiet;
      // Two sensors heard often enough to be judged (9 arrivals), too few readings for a window (16): they take no
      // room in the alert state, so pump-1's open alert is still held when its silence is let go.
      const evicted = within(events, 15_000, "pump-1's silence ended for room", (p) => p.type === 'resumed' && p.sensor === 'pump-1');
      const closed = within(events, 15_000, "pump-1's alert closed", (a) => a.type === 'close' && a.sensor === 'pump-1');
      for (let i = 0; i < 10; i++) {
        for (const sensor of ['new-1', 'new-2']) await pub.publishAsync(`${prefix}/${sensor}/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(100);
      }
      expect(await evicted).toMatchObject({ unresolved: 'evicted' });
      expect(await closed).toMatchObject({ type: 'close', sensor: 'pump-1', unresolved: 'evicted', severity: 'clear' });
      expect(got.filter((g) => g.endsWith('pump-1') || g.includes('pump-1 '))).toEqual(['open pump-1', 'silent pump-1', 'resumed pump-1 evicted', 'close pump-1 evicted']);
      expect(handle.openAlerts().map((a) => a.sensor)).not.toContain('pump-1');
      expect(await handle.metrics.text()).toMatch(/^vigil_alerts_open 0$/m);
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('a sensor sending only refused readings (NaN) is not silent: it is sending (a probe: signalled silent 30 s in)', async () => {
    const prefix = uniquePrefix('silent-nan');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } } });
    const pub = await mqtt.connectAsync(broker.url);
    const got: string[] = [];
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: () => {}, onSilence: (p) => got.push(`${p.type} ${p.sensor}`), onSignal: (p) => got.push(`${p.reason} ${p.sensor}`) });
    const handle = await startRuntime(cfg, { logger: silent });
    try {
      const rec = recordedSeries(40);
      for (let i = 0; i < 12; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(60);
      }
      // Then 3 s of readings it cannot use, as a failed transmitter sends them (Python's bare NaN).
      for (let i = 12; i < 62; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, `{"ts":${rec.ts[i % 40] + Math.floor(i / 40) * 1e9},"value":NaN}`, { qos: 1 });
        await sleep(60);
      }
      expect(handle.counters.readings).toBeGreaterThan(0);
      expect(got).toContain('bad_value pump-1');
      expect(got.filter((g) => g.startsWith('silent'))).toEqual([]);
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });
});
