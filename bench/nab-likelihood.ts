/**
 * Issue 13: Numenta's anomaly likelihood (evaluate/detector/nab-likelihood.ts) as the NAB detector's calibration, alone
 * and combined with vigil's (nab-calibrate.ts), on the same model errors per seed; prints one markdown row per variant:
 * standard / reward_low_FP / reward_low_FN per seed (windows hit, FP rows at the standard threshold), then the means.
 *
 *   node bin/run-ts.mjs bench/nab-likelihood.ts [--seeds 42,43,44,1,2]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadNabCorpus, type NabFile } from '../evaluate/nab/corpus.ts';
import { scoreDetector } from '../evaluate/nab/score.ts';
import { probationaryLength } from '../evaluate/nab/sweep.ts';
import { calibrate, modelErrors } from '../evaluate/detector/nab-detector.ts';
import { maxOf, recordRatio, spatialNovelty } from '../evaluate/detector/nab-calibrate.ts';
import { anomalyLikelihood, numentaLikelihoodOptions, type AnomalyLikelihoodOptions } from '../evaluate/detector/nab-likelihood.ts';
import { parseNabDetectorConfig, type NabDetectorConfig } from '../evaluate/detector/nab-config.ts';

type Tail = AnomalyLikelihoodOptions['tail'];
type Variant = (e: Float64Array, f: NabFile, P: number, tail: Tail) => Float64Array;

/** Name, scores from errors, and whether the tail matters (it does not for raw errors, which never fall far below their mean). */
function variants(c: NabDetectorConfig['calibration']): Array<[string, Variant, boolean]> {
  const rr = (e: Float64Array, P: number) => recordRatio(e, P, { smooth: c.smooth, halfLife: c.halfLife * e.length });
  // heldOut: fit only on the rows the model did not train on (the last 20 % of the probation), not from its middle.
  const L = (raw: ArrayLike<number>, f: NabFile, P: number, floors: boolean, tail: Tail, heldOut = false) => {
    const o = numentaLikelihoodOptions(P, floors, tail);
    const lp = Math.round(0.8 * P);
    return anomalyLikelihood(raw, f.values, heldOut ? { ...o, learningPeriod: lp, estimationSamples: P - lp } : o);
  };
  const log = (e: Float64Array) => e.map((x) => Math.log(x + 1e-12));
  const sp = (f: NabFile, t: number) => spatialNovelty(f.values, t);
  const vigil = (e: Float64Array, f: NabFile, P: number) => calibrate(e, f.values, P, c);
  return [
    ['vigil (current default)', (e, f, P) => vigil(e, f, P), false],
    ['L(error)', (e, f, P, t) => L(e, f, P, false, t), false],
    ['L(error) + spatial 0.05 (NAB\'s numenta detector)', (e, f, P, t) => maxOf(L(e, f, P, false, t), sp(f, 0.05)), false],
    ['L(error) + spatial 0.02', (e, f, P, t) => maxOf(L(e, f, P, false, t), sp(f, 0.02)), false],
    ['L(error, held-out fit) + spatial 0.05', (e, f, P, t) => maxOf(L(e, f, P, false, t, true), sp(f, 0.05)), false],
    ['L(error, held-out fit) + spatial 0.02', (e, f, P, t) => maxOf(L(e, f, P, false, t, true), sp(f, 0.02)), false],
    ['L(log error)', (e, f, P, t) => L(log(e), f, P, false, t), true],
    ['L(log error) + spatial 0.05', (e, f, P, t) => maxOf(L(log(e), f, P, false, t), sp(f, 0.05)), true],
    ['L(log error) + spatial 0.02', (e, f, P, t) => maxOf(L(log(e), f, P, false, t), sp(f, 0.02)), true],
    ['L(record ratio, floors) + spatial 0.05', (e, f, P, t) => maxOf(L(rr(e, P), f, P, true, t), sp(f, 0.05)), false],
    ['max(vigil, L(error))', (e, f, P, t) => maxOf(vigil(e, f, P), L(e, f, P, false, t)), false],
    ['max(vigil, L(error, held-out fit))', (e, f, P, t) => maxOf(vigil(e, f, P), L(e, f, P, false, t, true)), false],
    ['max(vigil, L(log error))', (e, f, P, t) => maxOf(vigil(e, f, P), L(log(e), f, P, false, t)), true],
    ['max(vigil, L(record ratio, floors))', (e, f, P, t) => maxOf(vigil(e, f, P), L(rr(e, P), f, P, true, t)), false],
    ['max(vigil, L(record ratio, floors, held-out fit))', (e, f, P, t) => maxOf(vigil(e, f, P), L(rr(e, P), f, P, true, t, true)), false],
  ];
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('bench/nab-likelihood.ts').option('--seeds <list>', 'model seeds', '42,43,44,1,2').parse(argv, { from: 'user' }).opts<{ seeds: string }>();
  const seeds = o.seeds.split(',').map(Number);
  const corpus = loadNabCorpus(undefined, {});
  const errors = new Map<number, Map<string, Float64Array>>();
  const work = mkdtempSync(join(tmpdir(), 'vigil-nab-likelihood-'));
  try {
    for (const seed of seeds) {
      const cfg = parseNabDetectorConfig({ model: { seed } });
      const m = new Map<string, Float64Array>();
      for (const [i, f] of corpus.files.entries()) {
        const dir = join(work, `${seed}-${i}`);
        mkdirSync(dir);
        m.set(f.path, (await modelErrors(f, cfg, dir)).errors);
      }
      errors.set(seed, m);
      process.stderr.write(`seed ${seed}: ${corpus.files.length} models trained\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const f2 = (x: number) => x.toFixed(2);
  process.stdout.write(`| variant | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean |\n|---|${seeds.map(() => '---|').join('')}---|\n`);
  for (const [name, v, tails] of variants(parseNabDetectorConfig({}).calibration)) {
    for (const tail of tails ? (['both', 'upper'] as const) : (['both'] as const)) {
      const res = seeds.map((seed) => {
        const scores = new Map(corpus.files.map((f) => {
          const P = probationaryLength(f.values.length);
          const s = v(errors.get(seed)!.get(f.path)!, f, P, tail);
          s.fill(0, 0, P);
          return [f.path, s] as const;
        }));
        const p = scoreDetector(corpus, scores, name).profiles;
        return { s: [p.standard.normalized, p.reward_low_FP_rate.normalized, p.reward_low_FN_rate.normalized], hit: p.standard.counts.windowsHit, fp: p.standard.counts.fp };
      });
      const mean = [0, 1, 2].map((k) => res.reduce((a, r) => a + r.s[k], 0) / res.length);
      process.stdout.write(`| ${name}${tails ? `, ${tail}` : ''} | ${res.map((r) => `${r.s.map(f2).join(' / ')} (${r.hit}, ${r.fp})`).join(' | ')} | ${mean.map(f2).join(' / ')} |\n`);
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench/nab-likelihood: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
