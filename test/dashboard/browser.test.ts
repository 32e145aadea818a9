/**
 * The dashboard in a real browser (Debian chromium via playwright-core): the live page lists the sensors of a running
 * runtime (embedded MQTT broker, real ONNX Runtime) and shows an injected anomaly as an alert within a time bound (the
 * demo page: demo-page.test.ts); in-browser scoring with onnxruntime-web matches the `vigil score` CLI within 1e-4; its
 * static report renders offline, its alerts listed. Screenshots land in test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../dashboard/server.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import { csvRecords } from '../../runtime/data/csv-records.ts';
import { fitScaler } from '../../runtime/scaling/scaler.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { meanLayer, mulberry32, randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { ARTIFACTS, launchChromium, watchPage } from './chromium.ts';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'vigil-dash-'));
});
afterAll(async () => {
  await browser?.close();
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
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
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
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
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
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
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

describe('in-browser scoring', () => {
  it('scores a dropped CSV + model with onnxruntime-web and matches `vigil score` within 1e-4; its report renders offline', async () => {
    const channels = ['flow', 'pressure', 'temp'];
    const rand = mulberry32(7);
    const rows = 700;
    const values = new Float32Array(rows * 3);
    const lines = ['timestamp,flow,pressure,temp,label'];
    for (let r = 0; r < rows; r++) {
      const fault = r >= 500 && r < 520;
      const v = [20 + 3 * Math.sin(r / 11) + rand() + (fault ? 6 : 0), 5 + Math.cos(r / 7) + 0.2 * rand(), 60 + 0.01 * r + 0.5 * rand()];
      values.set(v, r * 3);
      lines.push(`2026-02-01 ${String(Math.floor(r / 60) % 24).padStart(2, '0')}:${String(r % 60).padStart(2, '0')}:00,${v.map((x) => x.toFixed(4)).join(',')},${fault ? 1 : 0}`);
    }
    const csvPath = join(dir, 'pump.csv');
    writeFileSync(csvPath, `${lines.join('\n')}\n`);
    const modelPath = writeTinyModel(join(dir, 'score'), {
      name: 'pump-dense',
      window: 24,
      channels,
      layers: randomDenseLayers(24, 3, [32, 8, 32], 11),
      scaler: fitScaler('standard', values.subarray(0, 400 * 3), 3),
      span: 4,
      threshold: 2,
      // An adaptive threshold: the browser must reproduce its whole trajectory, not just one level.
      defaultThreshold: { kind: 'quantile', q: 0.995, window: 200 },
    });
    const reportPath = join(ARTIFACTS, 'report.html');
    const cli = vigilScore(modelPath, csvPath, join(dir, 'pump.scores.csv'), reportPath);

    const dash = await startDashboard({ verdicts: new Subject(), alerts: new Subject() }, { port: 0 });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const watch = watchPage(page, [dash.url]);
    try {
      await page.goto(`${dash.url}#score`);
      await page.setInputFiles('#drop input[type=file]', [csvPath, `${modelPath}.onnx`, `${modelPath}.json`]);
      await page.waitForFunction(() => (window as unknown as { vigilScore?: unknown }).vigilScore !== undefined, undefined, { timeout: 30_000 });
      const web = (await page.evaluate(() => (window as unknown as { vigilScore: unknown }).vigilScore)) as {
        error?: string;
        scores: number[];
        thresholds: number[];
        alerts: number[];
        scored: number[];
        provider: string;
      };
      expect(web.error).toBeUndefined();
      expect(web.provider).toBe('ort-web/wasm');
      expect(web.scores).toHaveLength(rows);
      expect(cli.score).toHaveLength(rows);
      let maxScore = 0;
      let maxThr = 0;
      for (let r = 0; r < rows; r++) {
        maxScore = Math.max(maxScore, Math.abs(web.scores[r] - cli.score[r]));
        maxThr = Math.max(maxThr, Math.abs(web.thresholds[r] - cli.threshold[r]));
      }
      expect(maxScore).toBeLessThan(1e-4);
      expect(maxThr).toBeLessThan(1e-4);
      expect(web.alerts).toEqual(cli.alert);
      expect(web.scored.filter(Boolean)).toHaveLength(rows - 24 + 1);
      expect(web.alerts.slice(500, 530).some((a) => a === 1)).toBe(true); // the fault at rows 500-520 is found
      await page.waitForFunction(() => document.querySelectorAll('#score-result canvas').length >= 4);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-score.png'), fullPage: true });
      writeFileSync(join(ARTIFACTS, 'dashboard-score.txt'), `${rows} rows; max |browser - vigil score|: score ${maxScore.toExponential(2)}, threshold ${maxThr.toExponential(2)}\n`);

      // A card that does not belong to the model is refused with a reason, not scored.
      const bad = JSON.parse(readFileSync(`${modelPath}.json`, 'utf8'));
      bad.onnx.sha256 = '0'.repeat(64);
      writeFileSync(join(dir, 'wrong.json'), JSON.stringify(bad));
      await page.evaluate(() => ((window as unknown as { vigilScore?: unknown }).vigilScore = undefined));
      await page.setInputFiles('#drop input[type=file]', [join(dir, 'wrong.json')]);
      await page.waitForFunction(() => (window as unknown as { vigilScore?: unknown }).vigilScore !== undefined);
      expect(await page.textContent('.score-status')).toMatch(/sha256.*expects 000000000000/);

      // So is a CSV without the model's channels, with the runtime parser's message.
      writeFileSync(join(dir, 'short.csv'), 'timestamp,flow,pressure\n2026-02-01 00:00:00,1,2\n');
      await page.evaluate(() => ((window as unknown as { vigilScore?: unknown }).vigilScore = undefined));
      await page.setInputFiles('#drop input[type=file]', [join(dir, 'short.csv'), `${modelPath}.json`]);
      await page.waitForFunction(() => (window as unknown as { vigilScore?: unknown }).vigilScore !== undefined);
      expect(await page.textContent('.score-status')).toMatch(/no column\(s\) temp/);
      expect(watch.errors).toEqual([]);
      expect(watch.offOrigin).toEqual([]);

      // The report `vigil score --report` wrote opens from disk, with no server and nothing fetched.
      const rpage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const rwatch = watchPage(rpage, ['file://']);
      await rpage.goto(pathToFileURL(reportPath).href);
      await rpage.waitForFunction(() => document.body.dataset.ready === 'true' && document.querySelectorAll('canvas').length >= 4);
      expect(await rpage.textContent('#summary-rows')).toContain('pump');
      const opened = cli.alert.filter((a, r) => a === 1 && cli.alert[r - 1] !== 1).length; // its alerts listed, one row each
      expect([opened > 0, await rpage.locator('.report-alerts tbody tr').count()]).toEqual([true, opened]);
      await rpage.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      expect(rwatch.errors).toEqual([]);
      expect(rwatch.offOrigin).toEqual([]);
      await rpage.close();
    } finally {
      await page.close();
      await dash.close();
    }
  });
});

/** Run the real `vigil score` CLI and read its per-row output. */
function vigilScore(model: string, data: string, out: string, report: string): { score: number[]; threshold: number[]; alert: number[] } {
  const bin = fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url));
  const res = spawnSync(process.execPath, [bin, 'score', '--model', model, '--data', data, '--out', out, '--report', report, '--quiet'], { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`vigil score failed (${res.status}): ${res.stderr}`);
  const [cols, ...rows] = csvRecords(readFileSync(out, 'utf8'), { separator: ',' }).records;
  const at = (name: string) => cols.indexOf(name);
  return { score: rows.map((r) => Number(r[at('score')])), threshold: rows.map((r) => Number(r[at('threshold')])), alert: rows.map((r) => Number(r[at('alert')])) };
}
