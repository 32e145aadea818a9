import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreCsv } from '../../../runtime/cli/score.ts';
import { latentMap, run } from '../../../train/cli/latent.ts';
import { makeFixture, trainSmall, type Fixture } from './fixture.ts';

let f: Fixture;
let dense2: string;
let conv: string;

beforeAll(async () => {
  f = makeFixture();
  dense2 = await trainSmall(f, 'dense2', { arch: 'dense', code: 2, hidden: [16] });
  conv = await trainSmall(f, 'conv', { arch: 'conv' });
}, 120_000);

describe('vigil latent', () => {
  it('plots a 2-D code as is, flags exactly what vigil score flags, and writes a PNG', async () => {
    const out = join(f.dir, 'map.png');
    const r = await latentMap({ model: dense2, data: f.csv, out });
    expect(r.projection).toBe('code');
    expect(r.run.codeSize).toBe(2);
    expect(Array.from(r.xy)).toEqual(Array.from(r.run.latent!, (x) => x));
    const scored = await scoreCsv({ model: dense2, data: f.csv });
    const expected = Array.from(r.run.windows.ends, (e) => scored.anomalies[e]);
    expect(Array.from(r.flagged)).toEqual(expected);
    const png = readFileSync(out);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('puts the fault windows away from the normal cloud (PCA of a conv code)', async () => {
    const r = await latentMap({ model: conv, data: f.csv, out: join(f.dir, 'map.svg') });
    expect(r.projection).toBe('pca');
    expect(r.explained).toBeGreaterThan(0.3);
    const { ends } = r.run.windows;
    // Windows ending on normal training-like rows form the cloud; windows ending deep in the fault should sit far from it.
    const normal: number[] = [], fault: number[] = [];
    for (let i = 0; i < ends.length; i++) {
      if (ends[i] < 600) normal.push(i);
      else if (ends[i] >= f.fault.start + 16 && ends[i] <= f.fault.end) fault.push(i);
    }
    const mean = (idx: number[], k: number): number => idx.reduce((s, i) => s + r.xy[2 * i + k], 0) / idx.length;
    const cx = mean(normal, 0), cy = mean(normal, 1);
    const dist = (i: number): number => Math.hypot(r.xy[2 * i] - cx, r.xy[2 * i + 1] - cy);
    const sorted = normal.map(dist).sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)];
    const far = fault.filter((i) => dist(i) > p95).length / fault.length;
    expect(far).toBeGreaterThan(0.5);
    // Most fault windows are flagged, few normal ones.
    expect(fault.filter((i) => r.flagged[i]).length / fault.length).toBeGreaterThan(0.8);
    expect(normal.filter((i) => r.flagged[i]).length / normal.length).toBeLessThan(0.05);
    const svg = readFileSync(join(f.dir, 'map.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('PC1');
  });

  it('colours by a label column through the CLI, and says what is wrong with bad input', async () => {
    const out = join(f.dir, 'map.html');
    expect(await run(['--model', dense2, '--data', f.csv, '--out', out, '--color', 'label', '--quiet'])).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toMatch(/>1 \(\d+\)</);
    await expect(latentMap({ model: dense2, data: f.csv, out: join(f.dir, 'x.jpg') })).rejects.toThrow(/\.png, \.svg, \.html/);
    await expect(latentMap({ model: dense2, data: f.trainCsv, out: join(f.dir, 'y.png'), color: 'label' })).rejects.toThrow(/no column 'label'/);
    expect(existsSync(join(f.dir, 'y.png'))).toBe(false);
  });
});
