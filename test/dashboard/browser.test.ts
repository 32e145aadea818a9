/**
 * The live dashboard in a real browser (Debian chromium via playwright-core): the page lists the sensors of a running
 * runtime (embedded MQTT broker, real ONNX Runtime) and shows an injected anomaly as an alert within a time bound (the
 * demo page: demo-page.test.ts), and its detail panel says what level drift excuses. In-browser scoring:
 * browser-scoring.test.ts. Screenshots land in test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import mqtt from 'mqtt';
import { startDashboard, type Dashboard } from '../../dashboard/server.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { ARTIFACTS, chromiumForFile, watchPage } from './chromium.ts';

const browser = chromiumForFile();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-dash-'));
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic machine signal: two smooth channels per sensor, phase-shifted by sensor. */
function row(k: number, i: number, spike: boolean): Record<string, number> {
  return { flow: 10 + 2 * Math.sin(i / 8 + k) + (spike ? 15 : 0), pressure: 3 + 0.5 * Math.cos(i / 5 + k) };
}

describe('live dashboard', () => {
  it('lists the sensors of a running runtime (MQTT in) and shows an injected anomaly as an alert within 5 s', async () => {
    const channels = ['flow', 'pressure'];
    const modelPath = writeTinyModel(join(dir, 'live'), {
      name: 'pump-mean',
      window: 16,
      channels,
      layers: [meanLayer(16, 2)],
      scaler: { kind: 'standard', offset: [10, 3], scale: [1.4, 0.35] },
      threshold: 5,
    });
    const broker = await startBroker();
    const runtime = await startRuntime(
      defineConfig({ model: modelPath, broker: { url: broker.url }, source: { topics: ['sensors/+/data'] }, metrics: { port: null }, state: { file: null }, log: { level: 'error' } }),
    );
    const dash: Dashboard = await startDashboard(runtimeFeed(runtime), { port: 0, tickMs: 200 });
    const pub = mqtt.connect(broker.url);
    await new Promise((resolve) => pub.once('connect', resolve));
    const sensors = ['pump-1', 'pump-2', 'pump-3', 'motor-a'];
    let i = 0;
    let spikeUntil = -1;
    const t0 = Date.UTC(2026, 0, 1);
    // The data source: one reading per sensor every 25 ms (40 rows/s each), like a replay.
    const feed = setInterval(() => {
      i++;
      sensors.forEach((s, k) => pub.publish(`sensors/${s}/data`, JSON.stringify({ ts: t0 + i * 1000, values: row(k, i, s === 'pump-3' && i <= spikeUntil) })));
    }, 25);
    const page = await browser().newPage({ viewport: { width: 1440, height: 900 } });
    const watch = watchPage(page, [dash.url]);
    try {
      await page.goto(dash.url);
      await page.waitForFunction((n) => document.querySelectorAll('#sensor-rows tr[data-name]').length === n, sensors.length, { timeout: 15_000 });
      const names = await page.$$eval('#sensor-rows tr[data-name]', (trs) => trs.map((t) => (t as HTMLElement).dataset.name).sort());
      expect(names).toEqual([...sensors].sort());
      await page.waitForFunction(() => document.querySelectorAll('#plots canvas').length >= 3, undefined, { timeout: 10_000 });
      expect(await page.locator('#sensor-rows tr.state-alert').count()).toBe(0);
      expect(await page.textContent('#stats')).toContain(runtime.provider());
      expect(await page.textContent('#score-key')).toBe('reconstruction error (mse)'); // as the card scores it, not a fixed name
      // Effective batch size (mean windows per inference call over the last second) beside the configured size.
      await page.waitForFunction(() => /Batch mean \/ size\s*\d+\.\d\s*\/\s*64/.test(document.querySelector('#stats')?.textContent ?? ''), undefined, { timeout: 5_000 });

      // A bad payload is set aside, counted and shown with its reason, and nothing else stops.
      pub.publish('sensors/pump-2/data', 'temperature=41.2 (not json)');
      await page.waitForSelector('#rejected-panel:not([hidden]) #rejected-rows tr', { timeout: 5_000 });
      expect(await page.textContent('#rejected-rows')).toContain('temperature=41.2 (not json)');
      await page.waitForFunction(() => /Rejected\s*1/i.test(document.querySelector('#stats')?.textContent ?? ''));

      // The spike lasts until the page is read in alert (under load a fixed 40-reading spike had passed by the click).
      const injected = Date.now();
      spikeUntil = Number.POSITIVE_INFINITY;
      await page.waitForSelector('#sensor-rows tr.state-alert[data-name="pump-3"]', { timeout: 5_000 });
      const seenAfterMs = Date.now() - injected;
      expect(seenAfterMs).toBeLessThan(5_000);
      await page.click('#sensor-rows tr[data-name="pump-3"]');
      await page.waitForFunction(() => document.querySelector('#detail-name')?.textContent === 'pump-3' && document.querySelector('#detail-state')?.textContent === 'ALERT');
      await page.waitForSelector('#alert-rows tr[data-name="pump-3"]');
      expect(await page.textContent('#alert-rows tr[data-name="pump-3"]')).toContain('flow');
      // Let the spike pass so the plot shows the alert span opening and closing.
      spikeUntil = i;
      await page.waitForSelector('#alert-rows tr[data-name="pump-3"]:not(.open)', { timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: true });
      writeFileSync(join(ARTIFACTS, 'dashboard-live.txt'), `alert visible ${seenAfterMs} ms after injection\n`);
      // The keyboard walks the list: ArrowUp selects the row above pump-3. The list re-sorts on every tick (alerts
      // first), so a capture listener reads the order in the same turn as the page's key handler.
      await page.evaluate(() => document.addEventListener('keydown', () => {
        (window as unknown as Record<string, string[]>).orderAtKey = Array.from(document.querySelectorAll<HTMLElement>('#sensor-rows tr[data-name]'), (tr) => tr.dataset.name!);
      }, { capture: true }));
      let order: string[] = [];
      for (let tries = 0; tries < 5 && !(order.indexOf('pump-3') > 0); tries++) {
        await page.waitForFunction(() => {
          const names = Array.from(document.querySelectorAll<HTMLElement>('#sensor-rows tr[data-name]'), (tr) => tr.dataset.name!);
          return !document.querySelector('#sensor-rows tr.state-alert[data-name="pump-3"]') && names.indexOf('pump-3') > 0;
        }, undefined, { timeout: 10_000 });
        await page.click('#sensor-rows tr[data-name="pump-3"]');
        await page.keyboard.press('ArrowUp');
        order = (await page.evaluate(() => (window as unknown as Record<string, string[]>).orderAtKey)) ?? [];
      }
      const above = order[order.indexOf('pump-3') - 1];
      expect(above, `pump-3 is not below another in ${order.join(', ')}`).toBeDefined();
      await page.waitForFunction((n) => document.querySelector('#detail-name')?.textContent === n, above);
      expect(watch.errors).toEqual([]);
      expect(watch.offOrigin).toEqual([]);
    } finally {
      clearInterval(feed);
      await page.close();
      await dash.close();
      pub.end(true);
      await runtime.stop();
      await broker.close();
    }
  });
});

describe('level drift on the dashboard', () => {
  it('shows which channels of the selected sensor level drift excuses, and how much they count', async () => {
    const verdicts = new Subject<import('../../runtime/stream/types.ts').Verdict>();
    const dash = await startDashboard(
      { verdicts, alerts: new Subject(), channels: ['motor_temp', 'flow'], levelDrift: (s) => (s === 'pump-7' ? [{ channel: 'motor_temp', weight: 0.32, movedSd: 6.1 }] : []), inputShifts: (s) => (s === 'pump-7' ? [{ channel: 'motor_temp', offset: 1.4 }] : []) },
      { port: 0, tickMs: 100 },
    );
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    const watch = watchPage(page, [dash.url]);
    const beat = setInterval(() => {
      for (const sensor of ['pump-7', 'pump-8']) {
        verdicts.next({ sensor, tsFirst: 0, tsLast: Date.now(), data: new Float32Array(4), seq: 1, receivedAt: Date.now(), score: 0.5, perChannel: new Float32Array([0.3, 0.2]), provider: 'ort-node/cpu', threshold: 1, anomaly: false });
      }
    }, 100);
    try {
      await page.goto(dash.url);
      await page.click('#sensor-rows tr[data-name="pump-7"]');
      await page.waitForFunction(() => /level drift/.test(document.querySelector('#detail-facts')?.textContent ?? ''));
      expect(await page.textContent('#detail-facts')).toContain('level drift motor_temp counts 32 % (level +6.1 sd)');
      // The channels fed to the model shifted back towards their training range, with the shift applied.
      expect(await page.textContent('#detail-facts')).toContain('input shift motor_temp -1.4 sd');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-level-drift.png') });
      await page.click('#sensor-rows tr[data-name="pump-8"]');
      await page.waitForFunction(() => document.querySelector('#detail-name')?.textContent === 'pump-8');
      await page.waitForTimeout(300);
      expect(await page.textContent('#detail-facts')).not.toContain('level drift');
      expect(await page.textContent('#detail-facts')).not.toContain('input shift');
      expect(watch.errors).toEqual([]);
    } finally {
      clearInterval(beat);
      await page.close();
      await dash.close();
    }
  });

  it('shows long sensor ids whole, wrapped, so ids that differ only in their middle can be told apart', async () => {
    const verdicts = new Subject<import('../../runtime/stream/types.ts').Verdict>();
    const dash = await startDashboard({ verdicts, alerts: new Subject(), channels: ['t'] }, { port: 0, tickMs: 100 });
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    const names = ['station-07:pump-A:motor-bearing-drive-end-temperature', 'station-07:pump-A:motor-bearing-non-drive-end-temperature'];
    const beat = setInterval(() => {
      for (const sensor of names) verdicts.next({ sensor, tsFirst: 0, tsLast: Date.now(), data: new Float32Array(1), seq: 1, receivedAt: Date.now(), score: 0.5, perChannel: new Float32Array([0.5]), provider: 'ort-node/cpu', threshold: 1, anomaly: false });
    }, 100);
    try {
      await page.goto(dash.url);
      await page.waitForFunction(() => document.querySelectorAll('#sensor-rows tr[data-name]').length === 2);
      // Each name cell shows all of its text: nothing cut off (a probe read both as 'station-07:pump-A:…').
      const cells = await page.$$eval('#sensor-rows td.name', (tds) => tds.map((td) => ({ text: td.textContent, clipped: td.scrollWidth > td.clientWidth + 1 })));
      expect(cells).toEqual(names.map((text) => ({ text, clipped: false })));
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-long-names.png') });
    } finally {
      clearInterval(beat);
      await page.close();
      await dash.close();
    }
  });
});
