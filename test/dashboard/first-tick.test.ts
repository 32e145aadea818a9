/**
 * The live page's first tick, in a real browser. The page's first stream (`/events`, no sensor) lands on a sensor and
 * opens that sensor's stream; the header said "connecting…" until the second stream's first tick, though the first
 * tick was already drawn. `chromium --headless --screenshot` (taken at the load event) caught the page there: sensors
 * listed, header still connecting. Here the sensor's stream is held open without an answer, so the page stays in between.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { startDashboard } from '../../dashboard/server.ts';
import type { AlertEvent, Reading, Verdict } from '../../runtime/stream/types.ts';
import { chromiumForFile, watchPage } from './chromium.ts';

const browser = chromiumForFile();

type PageState = { vigil: { ticks: number; selected: string | null } };

describe('live page, first tick', () => {
  it('says live once the first tick is drawn, before the selected sensor\'s stream answers', async () => {
    const feed = { verdicts: new Subject<Verdict>(), alerts: new Subject<AlertEvent>(), readings: new Subject<Reading>(), channels: ['flow'] };
    const dash = await startDashboard(feed, { port: 0, tickMs: 100 });
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page, [new URL(dash.url).origin]);
    // The sensor's stream: requested, never answered, so the page cannot leave the state between the two streams.
    let held = 0;
    await page.route(/\/events\?sensor=/, () => void held++);
    try {
      const t0 = Date.now();
      for (let i = 0; i < 20; i++) {
        const ts = t0 - 20_000 + i * 1000;
        feed.readings.next({ sensor: 'pump-1', ts, values: { flow: 10 + Math.sin(i / 5) }, receivedAt: Date.now() });
        feed.verdicts.next({ sensor: 'pump-1', tsFirst: ts - 5000, tsLast: ts, data: new Float32Array([0]), seq: i, receivedAt: Date.now(), score: 0.5, perChannel: new Float32Array([0.5]), provider: 'test', threshold: 1, anomaly: false });
      }
      await page.goto(dash.url);
      await page.waitForFunction(() => (window as unknown as PageState).vigil.selected === 'pump-1');
      await page.waitForSelector('#sensor-rows tr[data-name="pump-1"]');
      expect(await page.evaluate(() => (window as unknown as PageState).vigil.ticks)).toBe(1);
      expect(held).toBe(1);
      expect(await page.textContent('#conn')).toBe('live');
      expect(watch.errors).toEqual([]);
    } finally {
      await page.close();
      await dash.close();
    }
  });
});
