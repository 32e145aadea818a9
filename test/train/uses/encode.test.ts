import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreCsv } from '../../../runtime/cli/score.ts';
import { encodeCsv, run } from '../../../train/cli/encode.ts';
import { makeFixture, trainSmall, type Fixture } from './fixture.ts';

let f: Fixture;
let model: string;

beforeAll(async () => {
  f = makeFixture();
  model = await trainSmall(f, 'dense4', { arch: 'dense', code: 4, hidden: [24] });
}, 120_000);

describe('vigil encode', () => {
  it('writes one code row per window with the runtime score, and reports compression and error', async () => {
    const out = join(f.dir, 'codes.csv');
    const r = await encodeCsv({ model, data: f.csv, out });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,code_1,code_2,code_3,code_4,score');
    expect(lines.length - 1).toBe(900 - 16 + 1);
    expect(r.ratio).toBe((16 * 3) / 4);
    // The score column is the score vigil score gives the row the window ends at (same scorer, same model).
    const scored = await scoreCsv({ model, data: f.csv });
    for (const i of [0, 100, 500, 884]) {
      const row = lines[i + 1].split(',');
      expect(Number(row[5])).toBeCloseTo(scored.scores[r.run.windows.ends[i]], 4);
      expect(row[0]).toBe(readFileSync(f.csv, 'utf8').split('\n')[r.run.windows.ends[i] + 1].split(',')[0]);
    }
    // Reconstruction error: below the noise-free signal's spread, and finite per channel in input units.
    expect(r.rmseScaled).toBeGreaterThan(0);
    expect(r.rmseScaled).toBeLessThan(0.8);
    for (const e of r.rmse) expect(Number.isFinite(e) && e > 0).toBe(true);
  });

  it('non-overlapping windows with --stride = window, through the CLI', async () => {
    const out = join(f.dir, 'codes16.csv');
    expect(await run(['--model', model, '--data', f.csv, '--out', out, '--stride', '16', '--quiet'])).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').length - 1;
    expect(rows).toBe(Math.floor((900 - 16) / 16) + 1);
    const r = await encodeCsv({ model, data: f.csv, out, stride: 16 });
    expect(r.fileRatio).toBeCloseTo((900 * 3) / (Math.ceil(900 / 16) * 4), 6);
    await expect(run(['--model', model, '--data', f.csv, '--out', out, '--stride', '0'])).rejects.toThrow(/--stride must be an integer >= 1/);
  });
});
