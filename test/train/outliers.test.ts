/**
 * Gross outliers in training data (train/outliers.ts): a historian's sentinel made a model blind (five -9999 cells lifted
 * the bar from 4 to 1,792 and both faults of the test went unseen), with no sign but the threshold. Refused by
 * default naming the channel and its first row; `--outliers ffill` carries the last good value over them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, type Series } from '@vigil/runtime';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { run } from '../../train/cli.ts';
import { grossOutliers, handleOutliers } from '../../train/outliers.ts';
import { quietly, tempDir } from './helpers.ts';

const FAST = ['--epochs', '2', '--quiet', '--backend', 'wasm', '--window', '16'];

/** The pump series with `value` written into channel `c` at `rows`. */
function withCells(s: Series, c: number, rows: number[], value: number): Series {
  const data = Float32Array.from(s.data);
  for (const r of rows) data[r * s.channels.length + c] = value;
  return { ...s, data };
}

describe('gross outliers in training data', () => {
  const clean = pumpSeries(1000, 3).series;
  const C = clean.channels.length;

  it('finds sentinels and huge values, and not a fault ten times the normal range or a rare operating point', () => {
    expect(grossOutliers(clean)).toEqual([]);
    const sentinel = grossOutliers(withCells(clean, 2, [100, 101, 500, 700, 900], -9999));
    expect(sentinel.map((g) => [g.channel, g.count])).toEqual([[2, 5]]);
    expect(grossOutliers(withCells(clean, 0, [300], 1e30)).map((g) => [g.channel, g.count])).toEqual([[0, 1]]);
    // A spike ten normal ranges out, in five rows: a fault the training rows may hide, not a broken cell.
    const c = 1;
    const values = Array.from({ length: 1000 }, (_, r) => clean.data[r * C + c]).sort((a, b) => a - b);
    const range = values[989] - values[10];
    expect(grossOutliers(withCells(clean, c, [200, 201, 202, 203, 204], values[500] + 10 * range))).toEqual([]);
    // A second operating point in 3 % of the rows, far away: more than an outlier's share.
    expect(grossOutliers(withCells(clean, c, Array.from({ length: 30 }, (_, i) => 600 + i), values[500] + 1000 * range))).toEqual([]);
  });

  it('real rare states are no outliers, however far (a review found each refused by a gap-only rule)', () => {
    const n = 5000;
    const series = (f: (r: number) => number): Series => ({ timestamps: Float64Array.from({ length: n }, (_, r) => r * 1000), channels: ['x'], data: Float32Array.from({ length: n }, (_, r) => f(r)) });
    const noise = (r: number) => Math.sin(r * 12.9898) * 0.05;
    const cases: Record<string, (r: number) => number> = {
      'a pump off (0 in a channel near 1) for 20 rows': (r) => (r >= 1000 && r < 1020 ? 0 : 1),
      'a valve closed (100 -> 0) for 30 rows': (r) => (r >= 2000 && r < 2030 ? 0 : 100),
      'inrush current at 6x in five rows': (r) => ([100, 900, 1700, 2500, 3300].includes(r) ? 60 : 10 + noise(r)),
      'a flow idling near 0 with 40 rows of production': (r) => (r >= 4000 && r < 4040 ? 50 + noise(r) : Math.abs(noise(r))),
      'a relief at 8 bar over 5 for 3 rows': (r) => (r >= 3000 && r < 3003 ? 8 : 5 + noise(r)),
    };
    for (const [what, f] of Object.entries(cases)) expect(grossOutliers(series(f)), what).toEqual([]);
    // A sentinel of the other sign, or absurdly far, still is one.
    expect(grossOutliers(series((r) => (r === 10 ? -9999 : 10 + noise(r))))).toHaveLength(1);
    expect(grossOutliers(series((r) => (r === 10 ? 3e9 : noise(r) + 0.5)))).toHaveLength(1);
  });

  it('ffill carries the last good value over them and says so; keep keeps them', () => {
    const bad = withCells(clean, 2, [0, 1, 400], -9999);
    const notes: string[] = [];
    const filled = handleOutliers(bad, 'ffill', 'f.csv', (n) => notes.push(n));
    expect(filled.data[2]).toBe(clean.data[2 * C + 2]); // leading cells take the first good value
    expect(filled.data[400 * C + 2]).toBe(clean.data[399 * C + 2]);
    expect(Array.from(filled.filledRows!.subarray(398, 402))).toEqual([0, 0, 1, 0]);
    expect(grossOutliers(filled)).toEqual([]);
    expect(notes[0]).toMatch(/gross outliers replaced .*'[a-z_]+': 3 cell\(s\) far outside the rest \(first at .*: -9999;/);
    expect(handleOutliers(bad, 'keep', 'f.csv', () => {}).data).toBe(bad.data);
  });

  it('vigil train refuses them by default, naming channel, count and first row, and trains with --outliers ffill', async () => {
    const dir = tempDir();
    const csv = join(dir, 'pump.csv');
    const bad = withCells(clean, 4, [250, 600], -9999);
    writeFileSync(csv, toCsv(bad));
    await expect(quietly(() => run(['--data', csv, '--out', join(dir, 'm/pump'), ...FAST]))).rejects.toThrow(
      new RegExp(`gross outliers in the training data, '${bad.channels[4]}': 2 cell\\(s\\) far outside the rest \\(first at ${new Date(bad.timestamps[250]).toISOString().slice(0, 19)}.*: -9999;.*--outliers ffill`),
    );
    const { value: out } = await quietly(() => run(['--data', csv, '--out', join(dir, 'm/pump'), ...FAST, '--outliers', 'ffill']));
    expect(out).toBe(0);
    const { card } = loadModel(join(dir, 'm/pump'));
    // The scale comes from the good values (a -9999 would make it thousands).
    expect(card.scaler.scale[4]).toBeLessThan(100);
  });
});
