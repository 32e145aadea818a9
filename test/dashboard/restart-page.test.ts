/**
 * The live page after a restart, in a real browser: the alerts closed before it are still listed (the recording,
 * dashboard/recording.ts), and clicking an alert from before the restart does not stretch the time axis over the
 * downtime: a restored open alert zooms from this run's first point (a probe: an hour of empty axis, this run's
 * minute a sliver at the right edge), one that ended before it leaves the view as it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { startDashboard } from '../../dashboard/server.ts';
import { RECORDING_SCHEMA } from '../../dashboard/recording.ts';
import type { OpenAlert } from '../../runtime/alerts/alert-bank.ts';
import type { AlertEvent, Reading, Verdict } from '../../runtime/stream/types.ts';
import { ARTIFACTS, chromiumForFile, watchPage } from './chromium.ts';

const browser = chromiumForFile();
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-restart-page-'));
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type PageState = { vigil: { plots: { isZoomed: boolean; shownRange: { from: number; to: number } } | null; raw: number[][] } };

describe('live page after a restart', () => {
  it('lists the alerts closed before it and keeps the time axis to this run when one from before is clicked', async () => {
    const t0 = Date.UTC(2026, 0, 1, 12);
    const HOUR = 3_600_000;
    // The last run: pump-1's alert closed two hours before this start; pump-2's opened an hour before and is still open.
    const recording = join(dir, 'state.json-dashboard.json');
    const closed = { sensor: 'pump-1', start: t0 - 2 * HOUR, end: t0 - 2 * HOUR + 60_000, peakScore: 3, threshold: 1, contributors: [{ channel: 'flow', share: 1 }] };
    writeFileSync(recording, JSON.stringify({ schema: RECORDING_SCHEMA, savedAt: t0 - HOUR, alerts: [closed] }));
    const open: OpenAlert = { sensor: 'pump-2', openedAt: t0 - HOUR, critical: false, peak: { score: 4, threshold: 1, perChannel: [1], tsFirst: t0 - HOUR, tsLast: t0 - HOUR } };
    const feed = { verdicts: new Subject<Verdict>(), alerts: new Subject<AlertEvent>(), readings: new Subject<Reading>(), channels: ['flow'], openAlerts: () => [open] };
    const dash = await startDashboard(feed, { port: 0, tickMs: 100, recording });
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page, [new URL(dash.url).origin]);
    try {
      // This run: a minute of 1 Hz data on both pumps.
      for (let i = 0; i < 60; i++) {
        for (const sensor of ['pump-1', 'pump-2']) {
          const ts = t0 + i * 1000;
          feed.readings.next({ sensor, ts, values: { flow: 10 + Math.sin(i / 5) }, receivedAt: Date.now() });
          feed.verdicts.next({ sensor, tsFirst: ts - 15_000, tsLast: ts, data: new Float32Array([0]), seq: i, receivedAt: Date.now(), score: 2, perChannel: new Float32Array([2]), provider: 'test', threshold: 1, anomaly: true });
        }
      }
      await page.goto(`${dash.url}#sensor=pump-2`);
      await page.waitForSelector('#alert-rows tr[data-name="pump-1"]:not(.open)');
      await page.waitForFunction(() => document.querySelectorAll('#plots canvas').length >= 2);
      await page.click('#alert-rows tr[data-name="pump-2"].open');
      await page.waitForFunction(() => (window as unknown as PageState).vigil.plots?.isZoomed === true);
      const view = await page.evaluate(() => ({ ...(window as unknown as PageState).vigil.plots!.shownRange }));
      expect(view.from).toBeGreaterThanOrEqual(t0);
      expect(view.to - view.from).toBeLessThan(5 * 60_000);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-after-restart.png'), fullPage: true });
      // pump-1's alert ended before anything this run holds: selected, nothing to zoom to, the axis left on this run.
      await page.click('#reset-zoom');
      await page.click('#alert-rows tr[data-name="pump-1"]');
      await page.waitForFunction(() => document.querySelector('#detail-name')?.textContent === 'pump-1');
      await page.waitForFunction(() => ((window as unknown as PageState).vigil.raw.length ?? 0) > 0 && (window as unknown as PageState).vigil.plots !== null);
      const after = await page.evaluate(() => ({ zoomed: (window as unknown as PageState).vigil.plots!.isZoomed, ...(window as unknown as PageState).vigil.plots!.shownRange }));
      expect(after.zoomed).toBe(false);
      expect(after.from).toBeGreaterThanOrEqual(t0);
      expect(watch.errors).toEqual([]);
    } finally {
      await page.close();
      await dash.close();
    }
  });
});
