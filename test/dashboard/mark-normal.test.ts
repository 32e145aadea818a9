/**
 * The live page's mark normal in a real browser, against a running runtime behind a token: a sensor alerting at a new
 * level is marked normal after the operator confirms, the page says what will happen and shows the re-anchoring's
 * progress, and the sensor goes back to normal with the alert closed. Screenshot in
 * test/artifacts/dashboard-mark-normal.png.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileBroker } from '../ops/aedes.ts';
import { levelFeed, rawMessage, readingJson, uniquePrefix, within } from '../ops/harness.ts';
import { ARTIFACTS, chromiumForFile } from './chromium.ts';
import { alertAtNewLevel, openCommandPage } from './command-page.ts';

const broker = fileBroker();
const browser = chromiumForFile();

describe('Mark normal on the live page', () => {
  it('re-anchors the selected sensor after a confirmation; its alert closes', async () => {
    const prefix = uniquePrefix('dash-mark-normal');
    const { source, runtime, page, watch, asked, close } = await openCommandPage(browser(), broker.url, prefix);
    const send = levelFeed(source, prefix, Date.UTC(2026, 0, 1), 1000);
    try {
      await alertAtNewLevel(runtime, send);
      await page.waitForFunction(() => document.querySelector('#detail-state')?.textContent === 'ALERT', undefined, { timeout: 10_000 });
      expect(await page.isVisible('#mark-normal')).toBe(true);
      expect(await page.isVisible('#back-to-trained')).toBe(true);
      await page.click('#mark-normal');
      await page.waitForFunction(() => /its tracked level is set from its next 16 window/.test(document.querySelector('#mark-said')?.textContent ?? ''), undefined, { timeout: 5000 });
      expect(asked[0]).toMatch(/Treat p1's present behaviour as normal\?/);
      // The progress shows on the next ticks while no window has come.
      await page.waitForFunction(() => /re-anchoring 0 of 16 windows averaged/.test(document.querySelector('#detail-facts')?.textContent ?? ''), undefined, { timeout: 5000 });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-mark-normal.png') });
      const closed = within(runtime.alerts, 10_000, 'the alert closing', (e) => e.type === 'close');
      send(120, 180, 1);
      await closed;
      await page.waitForFunction(() => document.querySelector('#detail-state')?.textContent === 'normal', undefined, { timeout: 10_000 });
      expect(await page.textContent('#detail-facts')).not.toMatch(/re-anchoring/);
      // What was said goes once its re-anchoring is done and it was shown a few seconds.
      await page.waitForFunction(() => document.querySelector('#mark-said')?.textContent === '', undefined, { timeout: 15_000 });
      expect(runtime.edge.reAnchored).toBe(1);
      // Another sensor's address typed into the open tab selects it (a probe: only a fresh tab read the hash).
      for (let i = 0; i < 20; i++) source.next(rawMessage(`${prefix}/p2/data`, readingJson(Date.UTC(2026, 0, 1) + i * 1000, 0)));
      await page.evaluate(() => (location.hash = '#sensor=p2'));
      await page.waitForFunction(() => document.querySelector('#detail-name')?.textContent?.includes('p2'), undefined, { timeout: 5000 });
      expect(watch.errors).toEqual([]);
      expect(watch.offOrigin).toEqual([]);
    } finally {
      await close();
    }
  });
});
