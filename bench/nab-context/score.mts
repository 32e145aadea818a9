// Scratch (issue 13, nab2): score recipes over cached errors. Recipe: "a" or "a+b" (row-wise max of each calibrated).
import { readFileSync } from 'node:fs';
import { loadNabCorpus } from '../../evaluate/nab/corpus.ts';
import { scoreDetector } from '../../evaluate/nab/score.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { calibrate, samplingInterval } from '../../evaluate/detector/nab-detector.ts';
import { maxOf } from '../../evaluate/detector/nab-calibrate.ts';
import { parseNabDetectorConfig } from '../../evaluate/detector/nab-config.ts';

export function loadErrors(variant: string, seed: number): Map<string, Float64Array> {
  const idx = JSON.parse(readFileSync(`/tmp/nab2/${variant}-${seed}.bin.json`, 'utf8')) as Array<[string, number]>;
  const buf = readFileSync(`/tmp/nab2/${variant}-${seed}.bin`);
  const all = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const m = new Map<string, Float64Array>(); let o = 0;
  for (const [p, n] of idx) { m.set(p, all.slice(o, o + n)); o += n; }
  return m;
}
const c = parseNabDetectorConfig({}).calibration;
export const corpus = loadNabCorpus(undefined, {});
export function recipeScores(recipe: string, seed: number): Map<string, Float64Array> {
  // "a&b": the row-wise mean of the calibrated scores instead of the max.
  if (recipe.includes('&')) {
    const ms = recipe.split('&').map((r) => recipeScores(r, seed));
    return new Map([...ms[0].keys()].map((p) => { const o = new Float64Array(ms[0].get(p)!.length); for (const m of ms) m.get(p)!.forEach((v, i) => { o[i] += v / ms.length; }); return [p, o] as const; }));
  }
  // "v~" smooths v's error over one coarse block (k rows) before calibrating.
  // "v^" keeps only new peaks over one coarse span (k*12 rows) instead of 1% of the file.
  const parts = recipe.split('+').map((v) => [loadErrors(v.replace(/[~^]/g, ''), seed), v.includes('~'), v.includes('^')] as const);
  return new Map(corpus.files.map((f) => {
    const P = probationaryLength(f.values.length);
    const k = Math.max(1, Math.floor(Math.min(Math.round(24 * 3_600_000 / samplingInterval(f.timestamps)), Math.floor(P / 2)) / 12));
    return [f.path, maxOf(...parts.map(([e, sm, pk]) => calibrate(e.get(f.path)!, f.values, P, { ...c, smooth: sm ? k : c.smooth, peakLookback: pk ? (12 * k) / f.values.length : c.peakLookback })))] as const;
  }));
}
if (import.meta.url === `file://${process.argv[1]}`) {
  const [recipes, seedsArg] = process.argv.slice(2);
  const seeds = (seedsArg ?? '42,43,44').split(',').map(Number);
  const f2 = (x: number) => x.toFixed(2);
  process.stdout.write(`| variant | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean |\n|---|${seeds.map(() => '---|').join('')}---|\n`);
  for (const r of recipes.split(',')) {
    const res = seeds.map((seed) => {
      const p = scoreDetector(corpus, recipeScores(r, seed), r).profiles;
      return { s: [p.standard.normalized, p.reward_low_FP_rate.normalized, p.reward_low_FN_rate.normalized], hit: p.standard.counts.windowsHit, fp: p.standard.counts.fp };
    });
    const mean = [0, 1, 2].map((k) => res.reduce((a, x) => a + x.s[k], 0) / res.length);
    process.stdout.write(`| ${r} | ${res.map((x) => `${x.s.map(f2).join(' / ')} (${x.hit}, ${x.fp})`).join(' | ')} | ${mean.map(f2).join(' / ')} |\n`);
  }
}
