/**
 * Launch Debian's chromium for the browser tests. A missing browser is a failure with instructions, never a
 * skip: CI installs it (`.ci/run`), and a test that silently passes without a browser proves nothing.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The browser binary: `VIGIL_CHROMIUM` or Debian's `/usr/bin/chromium`. */
export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots and reports from browser tests go (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url));

/** Start a headless chromium, or fail saying how to get one. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser tests need chromium at ${CHROMIUM} and it is not there. Install it with 'apt-get install -y chromium' ` +
        `(Debian/Ubuntu; .ci/run does this in CI) or point VIGIL_CHROMIUM at a Chromium or Chrome binary. ` +
        `'npx playwright install' is not needed and cannot work offline.`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/**
 * One chromium for the calling test file (call at its top level): launched before its tests, closed after them. The
 * getter returned gives it inside a test.
 */
export function chromiumForFile(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('chromiumForFile: the browser is read before the file\'s beforeAll launched it');
    return browser;
  };
}

/** Collect page errors and failed or off-origin requests, so a test can assert the page ran cleanly and offline. */
export function watchPage(page: Page, allowedOrigins: string[]): { errors: string[]; offOrigin: string[] } {
  const errors: string[] = [];
  const offOrigin: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    // EventSource reconnects and aborted streams on navigation are not page failures.
    if (!r.url().includes('/events')) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && !allowedOrigins.some((o) => u.startsWith(o))) offOrigin.push(u);
  });
  return { errors, offOrigin };
}
