/**
 * A sensor that stops reporting, through `vigil run` on the embedded aedes broker: a `silent` signal on its alert
 * topic once it has been quiet for alerts.silent.factor x its usual interval (and minMs), read by the example
 * consumer (`vigil alerts`), counted and gauged; `resumed` at its next reading; a sensor still reporting is not
 * signalled; alerts.silent.enabled false: nothing.
 */
import { describe, expect, it, vi } from 'vitest';
import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { SilencePayload } from '../../runtime/mqtt/alert-payload.ts';
import { SAME_ARRIVAL_MS } from '../../runtime/alerts/silent-sensors.ts';
import { subscribeAlerts } from '../../simulators/alerts/subscribe.ts';
import { formatSilence } from '../../simulators/alerts/format.ts';
import { fileBroker, testBroker } from './aedes.ts';
import { keepReporting, readingJson, recordedModel, recordedSeries, silent, testConfig, uniquePrefix, within } from './harness.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStates } from '../../runtime/thresholds/store.ts';
import { alertJournalPath } from '../../runtime/thresholds/alert-journal.ts';

const broker = fileBroker();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('vigil run with a sensor that goes silent', () => {
  it('signals it silent once, then back at its next reading; a sensor still reporting is not signalled', async () => {
    const prefix = uniquePrefix('silent');
    // The window stage forgets a sensor idle for 1 s: /health judges silence by the watch's own sensors, not by those.
    const cfg = testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } }, window: { idleEvictMs: 1000 } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    const signals = new Subject<SilencePayload>();
    const got: string[] = [];
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, {
      onAlert: () => {},
      onSilence: (p) => (got.push(`${p.type} ${p.sensor}`), signals.next(p)),
      onInvalid: (_t, why) => got.push(`invalid ${why}`),
    });
    try {
      const rec = recordedSeries(40);
      const wentSilent = within(signals, 20_000, "pump-1's silent signal", (p) => p.type === 'silent');
      // pump-1 reports 20 times, 100 ms apart, then stops; pump-2 goes on every 60 ms until pump-1 is signalled. Readings
      // under SAME_ARRIVAL_MS (50) apart are one arrival and its silence is judged from MIN_GAPS (8) gaps on: 12 readings
      // 60 ms apart left a loaded machine (load average 14-17) 10 ms of delay to merge two, and short of 8 gaps pump-1
      // was never signalled (timed out, 1 run of 2).
      const stopPump2 = keepReporting(pub, `${prefix}/pump-2/data`, 0, (i) => readingJson(rec.ts[i % 40] + Math.floor(i / 40) * 1e9, rec.values[i % 40]));
      const sentAt: number[] = [];
      for (let i = 0; i < 20; i++) {
        sentAt.push(performance.now());
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(100);
      }
      const s = await wentSilent;
      await stopPump2();
      // One of two sensors silent: /health says so and stays ok (the other still reports).
      expect(handle.health()).toMatchObject({ status: 'ok', sensorsSilent: 1, sensors: 1 });
      // A third sensor heard twice (no usual pace yet, so it can never be called silent) ...
      for (let i = 0; i < 2; i++) await pub.publishAsync(`${prefix}/rare/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
      const rareAt = Date.now();
      // ... and pump-2 stops too: every sensor that can be judged is silent; once nothing at all was heard for minMs,
      // /health is degraded (a probe: the one rare sensor kept it ok for good while the whole feed was dead).
      await within(signals, 10_000, "pump-2's silent signal", (p) => p.type === 'silent' && p.sensor === 'pump-2');
      // While the rare one was heard within minMs, it still says the feed lives (a review: new sensors reporting).
      if (Date.now() - rareAt < 1000) expect(handle.health()).toMatchObject({ status: 'ok', sensorsSilent: 2 });
      await waitFor(() => handle.health().status === 'degraded', 'degraded once nothing was heard for minMs', 10_000);
      expect(handle.health()).toMatchObject({ status: 'degraded', sensorsSilent: 2, sensorsWatched: 3 });
      expect(Date.now() - rareAt).toBeGreaterThanOrEqual(1500);
      expect(s).toMatchObject({ schema: 'vigil-alert/1', type: 'silent', sensor: 'pump-1', severity: 'warning', model: { name: 'daily' } });
      expect(s.quietMs).toBeGreaterThanOrEqual(1500);
      // Its usual interval is its pace: more than one arrival's span, and not more than two of its slowest intervals (a
      // reading late by a loaded machine can merge two).
      expect(s.usualMs).toBeGreaterThan(SAME_ARRIVAL_MS);
      expect(s.usualMs).toBeLessThan(2 * Math.max(...sentAt.slice(1).map((t, k) => t - sentAt[k])));
      // Named with the gateway that sent it, as alert lines are.
      expect(formatSilence(s)).toMatch(new RegExp(`SILENT {2}pump-1 \\[${s.gateway}\\] {2}no reading for \\ds`));
      expect(handle.edge.silenceSignals).toBe(2);
      expect(await handle.metrics.text()).toMatch(/vigil_silence_signals_total 2/);
      const back = within(signals, 10_000, "pump-1's resumed signal", (p) => p.type === 'resumed');
      await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[20], rec.values[20]), { qos: 1 });
      expect(await back).toMatchObject({ type: 'resumed', sensor: 'pump-1', severity: 'clear' });
      expect(got).toEqual(['silent pump-1', 'silent pump-2', 'resumed pump-1']);
      await vi.waitFor(() => expect(handle.health()).toMatchObject({ status: 'ok', sensorsSilent: 1 }), { timeout: 5000 });
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('what is silent survives a restart: a sensor silent before it is said back after it, one that dies across it is signalled', async () => {
    const prefix = uniquePrefix('silent-restart');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } } });
    const pub = await mqtt.connectAsync(broker.url);
    const signals = new Subject<SilencePayload>();
    const got: string[] = [];
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: () => {}, onSilence: (p) => (got.push(`${p.type} ${p.sensor}`), signals.next(p)) });
    const rec = recordedSeries(40);
    // Both sensors report 20 times, 60 ms apart (a window is complete from the WINDOW-th reading on: both then have a
    // threshold, and their state is saved).
    // Reading i: the recorded series, then its last step repeated (timestamps keep increasing however long it runs).
    const tsOf = (i: number) => (i < 40 ? rec.ts[i] : rec.ts[39] + (i - 39) * (rec.ts[39] - rec.ts[38]));
    const report = async (sensors: string[], from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        for (const sensor of sensors) await pub.publishAsync(`${prefix}/${sensor}/data`, readingJson(tsOf(i), rec.values[i % 40]), { qos: 1 });
        await sleep(60);
      }
    };
    let handle = await startRuntime(cfg, { logger: silent });
    try {
      const first = within(signals, 10_000, "pump-1's silent signal", (p) => p.type === 'silent' && p.sensor === 'pump-1');
      await report(['pump-1', 'pump-2'], 0, 20);
      // pump-2 keeps reporting until pump-1 is signalled silent.
      const stopPump2 = keepReporting(pub, `${prefix}/pump-2/data`, 20, (i) => readingJson(tsOf(i), rec.values[i % 40]));
      await first;
      await stopPump2();
      await handle.stop();
      // After the restart: pump-2 never reports again (it died across it), pump-1 comes back.
      handle = await startRuntime(cfg, { logger: silent });
      const dead = within(signals, 10_000, "pump-2's silent signal after the restart", (p) => p.type === 'silent' && p.sensor === 'pump-2');
      const back = within(signals, 10_000, "pump-1's resumed signal", (p) => p.type === 'resumed' && p.sensor === 'pump-1');
      await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[20], rec.values[20]), { qos: 1 });
      await back;
      await dead;
      // (pump-1, quiet again after its one reading, may be signalled silent again meanwhile: as it should.)
      expect(got.slice(0, 2)).toEqual(['silent pump-1', 'resumed pump-1']);
      expect(got.filter((g) => g.endsWith('pump-2'))).toEqual(['silent pump-2']);
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('a silence said, and its end, are on disk within alertSaveMs: a kill before the next full save keeps what was said', async () => {
    const prefix = uniquePrefix('silent-kill');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, silent: { factor: 5, minMs: 1500, checkMs: 20 } } });
    // What a restart after a kill reads (state.intervalMs is 0 here: no periodic full save): the file and its journal,
    // copied first (a load clears the temp files beside them, and this process is the one writing them).
    const silentOnDisk = () => {
      const copy = join(mkdtempSync(join(tmpdir(), 'vigil-silent-copy-')), 'state.json');
      for (const [from, to] of [[cfg.state.file!, copy], [alertJournalPath(cfg.state.file!), alertJournalPath(copy)]]) if (existsSync(from)) copyFileSync(from, to);
      return loadStates(copy).states.get('pump-1')?.silence?.silent;
    };
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    const signals = new Subject<SilencePayload>();
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: () => {}, onSilence: (p) => signals.next(p) });
    const rec = recordedSeries(40);
    const stopPump2 = keepReporting(pub, `${prefix}/pump-2/data`, 0, (i) => readingJson(rec.ts[i % 40] + Math.floor(i / 40) * 1e9, rec.values[i % 40]));
    let stopPump1: (() => Promise<number>) | undefined;
    try {
      const wentSilent = within(signals, 10_000, "pump-1's silent signal", (p) => p.type === 'silent' && p.sensor === 'pump-1');
      for (let i = 0; i < 20; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(60);
      }
      await wentSilent;
      // Without it a kill now restarted pump-1 as heard (signalled silent a second time), or silent after its resumed.
      await waitFor(() => silentOnDisk() === true, "pump-1's silence on disk", 5000);
      const back = within(signals, 10_000, "pump-1's resumed signal", (p) => p.type === 'resumed' && p.sensor === 'pump-1');
      // Reporting on from here (one reading alone would be signalled silent again after minMs).
      stopPump1 = keepReporting(pub, `${prefix}/pump-1/data`, 20, (i) => readingJson(rec.ts[i % 40] + Math.floor(i / 40) * 1e9, rec.values[i % 40]));
      await back;
      await waitFor(() => silentOnDisk() === false, "pump-1's return on disk", 5000);
    } finally {
      await stopPump1?.();
      await stopPump2();
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('a broker outage is not every sensor going silent: quiet time counts again from the reconnect', async () => {
    const own = await testBroker(() => {});
    const prefix = uniquePrefix('silent-outage');
    const cfg = testConfig(own.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, silent: { factor: 5, minMs: 3000, checkMs: 20 } } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(own.url, { reconnectPeriod: 100 });
    try {
      const rec = recordedSeries(40);
      const report = async (from: number, n: number) => {
        for (let i = from; i < from + n; i++) {
          if (pub.connected) await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
          await sleep(60);
        }
      };
      await report(0, 20);
      expect(await handle.metrics.text()).toMatch(/^vigil_broker_connected 1$/m);
      // The broker is gone for 4 s, longer than minMs: nobody can publish, and vigil hears nothing.
      await own.stop();
      await sleep(4000);
      // /metrics says so too (a probe: only /health did, so a Prometheus rule had nothing to fire on).
      expect(await handle.metrics.text()).toMatch(/^vigil_broker_connected 0$/m);
      await own.start();
      await waitFor(() => pub.connected && (handle.health().broker as { connected: boolean }).connected, 'both clients back', 10_000);
      expect(await handle.metrics.text()).toMatch(/^vigil_broker_connected 1$/m);
      await report(20, 15);
      expect(handle.edge.silenceSignals).toBe(0);
      // It still watches: pump-1 quiet for minMs after the outage is signalled.
      await waitFor(() => handle.edge.silenceSignals === 1, "pump-1's silence after the outage", 10_000);
    } finally {
      await handle.stop();
      await pub.endAsync();
      await own.stop();
    }
  });

  it('alerts.silent.enabled false: a sensor that stops is not signalled', async () => {
    const prefix = uniquePrefix('silent-off');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}`, silent: { enabled: false, minMs: 1000, checkMs: 20 } } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    const got: string[] = [];
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, { onAlert: () => {}, onSilence: (p) => got.push(p.type) });
    try {
      const rec = recordedSeries(12);
      for (let i = 0; i < 12; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(60);
      }
      await sleep(1500);
      expect(got).toEqual([]);
      expect(handle.edge.silenceSignals).toBe(0);
    } finally {
      await unsubscribe();
      await handle.stop();
      await pub.endAsync();
    }
  });
});
