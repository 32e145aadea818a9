/**
 * docs/dashboard.png, the picture in README.md and docs/dashboard.md, taken from the demo as it runs: `vigil demo`
 * until its first alert has closed (the failure of 2013-12-16), then the live dashboard in headless Chromium at
 * 1440 x 900. Run it again whenever the dashboard or the demo changes, so the picture shows what users will see.
 *
 *   node bin/run-ts.mjs simulators/demo/screenshot.ts [--chromium PATH (VIGIL_CHROMIUM, else /usr/bin/chromium)] [--out docs/dashboard.png] [--width 1440]
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = resolve(arg('out', join(ROOT, 'docs/dashboard.png')));
const chromium = arg('chromium', process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium');

const demo = spawn(process.execPath, [join(ROOT, 'bin/vigil.mjs'), 'demo', '--to', '2013-12-18 00:00:00'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
const stop = () => demo.exitCode === null && demo.kill('SIGINT');
process.on('exit', stop);
const url = await new Promise<string>((done, fail) => {
  let dashboard = '';
  createInterface({ input: demo.stdout! }).on('line', (line) => {
    process.stdout.write(`  | ${line}\n`);
    const m = /dashboard\s+(http:\/\/\S+)/.exec(line);
    if (m) dashboard = m[1];
    if (/\bclear\b/.test(line) && dashboard) done(dashboard);
  });
  demo.once('exit', (code) => fail(new Error(`vigil demo exited (${code}) before its first alert closed`)));
});
// A few more readings after the close, so the plot shows the machine back to normal.
await new Promise((r) => setTimeout(r, 4000));
const { chromium: browser } = await import('playwright-core');
const b = await browser.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await b.newPage({ viewport: { width: Number(arg('width', '1440')), height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForTimeout(3000);
  await page.screenshot({ path: out });
  if (errors.length) throw new Error(`the page reported errors: ${errors.join('; ')}`);
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await b.close();
  stop();
}
