/**
 * The live page's maintenance button in a real browser, against a running runtime behind a token: the operator gives
 * a number of minutes, the page says until when the sensor's alerts are muted and shows it among the sensor's facts,
 * the open alert closes at the next window saying so in the alert list, and nothing opens while more anomalous
 * windows come. Screenshot in test/artifacts/dashboard-maintenance.png.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { fileBroker } from '../ops/aedes.ts';
import { levelFeed, uniquePrefix, within } from '../ops/harness.ts';
import { ARTIFACTS, chromiumForFile } from './chromium.ts';
import { alertAtNewLevel, openCommandPage } from './command-page.ts';

const broker = fileBroker();
const browser = chromiumForFile();

describe('Maintenance on the live page', () => {
  it('mutes the selected sensor for the minutes given: its alert closes saying so, and nothing opens', async () => {
    const prefix = uniquePrefix('dash-maintenance');
    const { source, runtime, page, watch, asked, close } = await openCommandPage(browser(), broker.url, prefix, '45');
    // Readings 30 s apart: the first 120 stamped before the test began, the rest 20 s after it and later (the
    // maintenance starts at the click, in data time).
    const t0 = Date.now() - 119 * 30_000 - 10_000;
    const send = levelFeed(source, prefix, t0, 30_000);
    const events: AlertEvent[] = [];
    runtime.alerts.subscribe((e) => events.push(e));
    try {
      await alertAtNewLevel(runtime, send);
      await page.waitForFunction(() => document.querySelector('#detail-state')?.textContent === 'ALERT', undefined, { timeout: 10_000 });
      expect(await page.isVisible('#maintenance')).toBe(true);
      await page.click('#maintenance');
      await page.waitForFunction(() => /p1: under maintenance until/.test(document.querySelector('#mark-said')?.textContent ?? ''), undefined, { timeout: 5000 });
      expect(asked[0]).toMatch(/Mute p1's alerts for how many minutes\?/);
      const until = runtime.maintenance('p1')!.until;
      expect(until - Date.now()).toBeGreaterThan(44 * 60_000);
      await page.waitForFunction(() => /alerts muted until .* UTC, set by 127\.0\.0\.1/.test(document.querySelector('#detail-facts')?.textContent ?? ''), undefined, { timeout: 5000 });

      const closed = within(runtime.alerts, 10_000, 'the alert closed by the maintenance', (e) => e.type === 'close');
      send(120, 170, 1);
      expect((await closed).marked).toMatchObject({ command: 'maintenance', until });
      await page.waitForFunction(() => /put under maintenance until/.test(document.querySelector('table.alerts')?.textContent ?? ''), undefined, { timeout: 10_000 });
      expect(await page.textContent('#detail-state')).toBe('MAINTENANCE: alerts muted');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-maintenance.png') });
      expect(events.filter((e) => e.type === 'open')).toHaveLength(1);
      expect(runtime.counters.windowsMuted).toBe(49);
      expect(watch.errors).toEqual([]);
      expect(watch.offOrigin).toEqual([]);
    } finally {
      await close();
    }
  });
});
