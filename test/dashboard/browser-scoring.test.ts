/**
 * In-browser scoring in a real browser (Debian chromium via playwright-core): a CSV and a model dropped on the page
 * are scored with onnxruntime-web and match the `vigil score` CLI within 1e-4; a card or CSV that does not fit is
 * refused with a reason; the CLI's static report renders offline, its alerts listed. Screenshots land in
 * test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import { startDashboard } from '../../dashboard/server.ts';
import { csvRecords } from '../../runtime/data/csv-records.ts';
import { fitScaler } from '../../runtime/scaling/scaler.ts';
import { mulberry32, randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { ARTIFACTS, chromiumForFile, watchPage } from './chromium.ts';

const browser = chromiumForFile();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-dash-score-'));
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
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
    const page = await browser().newPage({ viewport: { width: 1440, height: 900 } });
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
      const rpage = await browser().newPage({ viewport: { width: 1440, height: 900 } });
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
