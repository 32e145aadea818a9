import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { denoiseCsv, run } from '../../../train/cli/denoise.ts';
import { makeFixture, trainSmall, type Fixture } from './fixture.ts';

let f: Fixture;
let model: string;

beforeAll(async () => {
  f = makeFixture(900, 600, 0.3);
  model = await trainSmall(f, 'denoising', { arch: 'denoising', noise: 0.3 });
}, 120_000);

/** RMSE of a against the clean truth over rows [from, to). */
function rmse(a: Float32Array, truth: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from * 3; i < to * 3; i++) s += (a[i] - truth[i]) ** 2;
  return Math.sqrt(s / ((to - from) * 3));
}

describe('vigil denoise', () => {
  it('writes one row per input row, same timestamps and columns, in input units, closer to the truth than the input', async () => {
    const out = join(f.dir, 'clean.csv');
    const r = await denoiseCsv({ model, data: f.csv, out, mode: 'mean' });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,a,b,c');
    expect(lines.length).toBe(901);
    const raw = readFileSync(f.csv, 'utf8').trim().split('\n');
    for (const k of [1, 17, 900]) expect(lines[k].split(',')[0]).toBe(raw[k].split(',')[0]);
    // Normal rows after training: noise std 0.3 in; the reconstruction should be clearly closer to the clean signal.
    const noisy = rmse(f.series.data, f.clean, 600, f.fault.start);
    const den = rmse(r.clean, f.clean, 600, f.fault.start);
    expect(noisy).toBeGreaterThan(0.27);
    expect(den).toBeLessThan(0.7 * noisy);
    const parsed = Float32Array.from(lines.slice(1).flatMap((l) => l.split(',').slice(1).map(Number)));
    expect(Math.max(...parsed.map((x, i) => Math.abs(x - r.clean[i])))).toBeLessThan(1e-4 * 10);
  });

  it('last mode is causal: rows after t do not change row t', async () => {
    const a = await denoiseCsv({ model, data: f.csv, out: join(f.dir, 'a.csv'), mode: 'last' });
    // Rewrite the file with rows after 700 replaced by garbage-free but different values.
    const lines = readFileSync(f.csv, 'utf8').trim().split('\n');
    const changed = lines.map((l, k) => (k > 701 ? l.replace(/,([-0-9.]+),/, ',9.5,') : l));
    const other = join(f.dir, 'changed.csv');
    writeFileSync(other, `${changed.join('\n')}\n`);
    const b = await denoiseCsv({ model, data: other, out: join(f.dir, 'b.csv'), mode: 'last' });
    expect(Array.from(b.clean.subarray(0, 701 * 3))).toEqual(Array.from(a.clean.subarray(0, 701 * 3)));
    expect(Array.from(b.clean.subarray(701 * 3))).not.toEqual(Array.from(a.clean.subarray(701 * 3)));
    // The fault (level shift on b) is not reproduced: the model returns normal behaviour there.
    let shift = 0;
    for (let t = f.fault.start + 16; t <= f.fault.end; t++) shift += a.clean[t * 3 + 1] - f.clean[t * 3 + 1];
    expect(shift / (f.fault.end - f.fault.start - 15)).toBeLessThan(1.0);
  });

  it('CLI: exit 0 with a summary, clear errors for bad options and short files', async () => {
    expect(await run(['--model', model, '--data', f.csv, '--out', join(f.dir, 'c.csv'), '--quiet'])).toBe(0);
    await expect(denoiseCsv({ model, data: f.csv, out: join(f.dir, 'd.csv'), mode: 'median' as 'mean' })).rejects.toThrow(/expected last or mean/);
    const short = join(f.dir, 'short.csv');
    writeFileSync(short, readFileSync(f.csv, 'utf8').split('\n').slice(0, 6).join('\n'));
    await expect(denoiseCsv({ model, data: short, out: join(f.dir, 'e.csv') })).rejects.toThrow(/5 rows.*at least 16/);
  });
});
