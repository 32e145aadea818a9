/**
 * The demo (`npm start`) in a real browser (Debian chromium via playwright-core): the replayed machine is listed, the
 * recorded failure shows as an alert inside its NAB-labelled window, clicking the alert zooms the plots to it, and the
 * adaptive threshold says what it learns. Its screenshot lands in test/artifacts/.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDemo } from '../../simulators/demo/demo.ts';
import { DEMO_DEFAULTS } from '../../simulators/cli/demo.ts';
import { readIncidents } from '../../simulators/demo/nab-labels.ts';
import { ARTIFACTS, chromiumForFile, watchPage } from './chromium.ts';

const browser = chromiumForFile();

describe('the demo (npm start)', () => {
  it('serves the dashboard: the replayed machine is listed and the recorded failure shows as an alert', async () => {
    // 30,000x: the first labelled failure (about 2 days into the replay) arrives after ~6 s.
    const demo = await startDemo({ model: DEMO_DEFAULTS.model, data: DEMO_DEFAULTS.data, from: DEMO_DEFAULTS.from, speed: 30_000, dashboardPort: 0, stateFile: null, logLevel: 'error', incidents: readIncidents(DEMO_DEFAULTS.labels), onAlert: () => {} });
    const page = await browser().newPage({ viewport: { width: 1440, height: 820 } });
    const watch = watchPage(page, [demo.dashboardUrl!]);
    try {
      expect(demo.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await page.goto(demo.dashboardUrl!);
      await page.waitForSelector(`#sensor-rows tr[data-name="${demo.sensor}"]`, { timeout: 15_000 });
      expect(await page.textContent('#stats')).toContain(demo.model.name);
      await page.waitForSelector('#alert-rows tr[data-name]', { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelectorAll('#plots canvas').length >= 2);
      // The NAB-labelled window the alert landed in is shaded, and its key shown.
      expect(await page.isVisible('#label-key')).toBe(true);
      // Clicking the alert (once closed) zooms every plot to it (with a margin either side), and the view then holds still.
      await page.waitForSelector('#alert-rows tr[data-name]:not(.open)', { timeout: 30_000 });
      await page.click('#alert-rows tr[data-name]:not(.open)');
      await page.waitForFunction(() => (window as unknown as { vigil: { plots: { isZoomed: boolean } | null } }).vigil.plots?.isZoomed === true);
      const view = await page.evaluate(() => {
        const v = (window as unknown as { vigil: { plots: { shownRange: { from: number; to: number } }; raw: number[][] } }).vigil;
        const row = document.querySelector<HTMLElement>('#alert-rows tr[data-name]:not(.open)')!;
        return { ...v.plots.shownRange, start: Number(row.dataset.start), end: Number(row.dataset.end), first: v.raw[0][0], last: v.raw[v.raw.length - 1][0] };
      });
      expect(view.from).toBeLessThan(view.start);
      expect(view.to).toBeGreaterThan(view.end);
      expect(view.to - view.from).toBeLessThan((view.last - view.first) / 2);
      // The demo's adaptive threshold says what it learns from, and that the alert's windows were kept out.
      expect(await page.textContent('#detail-facts')).toMatch(/threshold learns mad: from \d+ windows; [1-9]\d* kept out \(over the bar, or just after one that was\)/);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-demo.png'), fullPage: true });
      expect(watch.errors).toEqual([]);
      expect(watch.offOrigin).toEqual([]);
    } finally {
      await page.close();
      await demo.stop();
    }
  });
});
