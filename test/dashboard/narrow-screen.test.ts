/**
 * The live page on a phone (390 x 844), behind a token so the command buttons show: a shift probe found 'follow
 * live' pushed past the right edge of the screen (the plot tools did not wrap) and the alert list's severity column
 * hidden, so a critical alert read like any other. Screenshot in test/artifacts/dashboard-phone.png.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileBroker } from '../ops/aedes.ts';
import { levelFeed, uniquePrefix } from '../ops/harness.ts';
import { ARTIFACTS, chromiumForFile } from './chromium.ts';
import { alertAtNewLevel, openCommandPage } from './command-page.ts';

const broker = fileBroker();
const browser = chromiumForFile();

describe('the live page on a phone', () => {
  it('keeps every plot tool on the screen and shows an alert\'s severity', async () => {
    const prefix = uniquePrefix('dash-phone');
    const { source, runtime, page, watch, close } = await openCommandPage(browser(), broker.url, prefix);
    await page.setViewportSize({ width: 390, height: 844 });
    const t0 = Date.now() - 119 * 30_000;
    try {
      await alertAtNewLevel(runtime, levelFeed(source, prefix, t0, 30_000));
      await page.waitForFunction(() => !!document.querySelector('#alert-rows tr[data-name]') && !document.querySelector<HTMLElement>('#mark-normal')?.hidden, undefined, { timeout: 10_000 });
      const layout = await page.evaluate(() => {
        const right = (el: Element | null) => el?.getBoundingClientRect().right ?? Infinity;
        const sev = document.querySelector('#alert-rows tr td:nth-child(5)');
        return {
          pageWidth: document.documentElement.scrollWidth,
          tools: ['#mark-normal', '#maintenance', '#back-to-trained', '#reset-zoom'].map((id) => right(document.querySelector(id))),
          severity: sev && getComputedStyle(sev).display !== 'none' ? sev.textContent : null,
          severityRight: right(sev),
          listRight: right(document.querySelector('.alerts-scroll')),
        };
      });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
      expect(layout.pageWidth).toBeLessThanOrEqual(390);
      for (const r of layout.tools) expect(r).toBeLessThanOrEqual(390);
      expect(layout.severity).toMatch(/critical|warning/);
      expect(layout.severityRight).toBeLessThanOrEqual(layout.listRight);
      expect(watch.errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
