/**
 * Bench piece `nab`: vigil's detector on the Numenta Anomaly Benchmark, scored with vigil's NAB scorer and
 * placed on the published board, plus an ablation of the calibration steps computed from the same model
 * errors (so the differences are the calibration, not training noise).
 *
 *   node bin/run-ts.mjs bench/nab.ts [--config FILE] [--quick]
 *
 * Writes bench/results/nab.json (summary for SUMMARY.md), bench/results/nab/vigil.json (per-file result),
 * bench/results/nab/README.md, and the NAB result files under bench/results/tmp/nab/vigil/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadBoard, rankOn, type Board } from '../evaluate/nab/board.ts';
import { loadNabCorpus, type NabCorpus } from '../evaluate/nab/corpus.ts';
import { readResults, writeResultFile } from '../evaluate/nab/results.ts';
import { scoreDetector, type NabResult } from '../evaluate/nab/score.ts';
import { probationaryLength } from '../evaluate/nab/sweep.ts';
import { calibrate, modelErrors } from '../evaluate/detector/nab-detector.ts';
import { parseNabDetectorConfig, readNabDetectorConfig, type NabDetectorConfig } from '../evaluate/detector/nab-config.ts';
import { machineInfo, RESULTS_DIR, writeBenchResult, type Figure } from './lib/result.ts';

const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
const QUICK_FILES = ['art_daily_jumpsup', 'art_daily_flatmiddle', 'ec2_cpu_utilization_5f5533', 'nyc_taxi', 'Twitter_volume_AAPL', 'speed_7578'];

/** Calibration variants for the ablation: name -> change to the configured calibration. */
function variants(c: NabDetectorConfig['calibration']): Array<{ name: string; cal: NabDetectorConfig['calibration']; errors: 'model' | 'none' }> {
  return [
    { name: 'vigil (full)', cal: c, errors: 'model' },
    { name: 'without spatial novelty', cal: { ...c, spatialTolerance: 0 }, errors: 'model' },
    { name: 'without new-peak filter', cal: { ...c, peakLookback: 0 }, errors: 'model' },
    { name: 'max never forgets', cal: { ...c, halfLife: 1e9 }, errors: 'model' },
    { name: 'AE error + record ratio only', cal: { ...c, spatialTolerance: 0, peakLookback: 0 }, errors: 'model' },
    { name: 'spatial novelty only (no model)', cal: { ...c, peakLookback: 0 }, errors: 'none' },
  ];
}

function cell(r: NabResult, p: string): number {
  return Math.round(r.profiles[p].normalized * 100) / 100;
}

/** Settings tried while developing the detector, with the standard / low-FP / low-FN scores they reached. */
const EXPLORED = [
  'Numbers are standard / reward_low_FP / reward_low_FN, measured with the development loop (bench/results/tmp/dev.ts: same scorer, model errors cached per model setting, seed 42 unless noted) on the 2-core shared machine, mostly before the training loop\'s last change (flat Adam, early stopping on 1% progress), so they can sit a point away from the committed run.',
  'Training noise alone is worth about a point: with the current code the default settings score 62.3 / 59.0 / 65.1 (seed 1), 63.6 / 59.8 / 67.1 (seed 2) and 64.7 / 60.1 / 68.1 (seed 42, the committed run): 63.5 +- 1.2 standard over three seeds. Averaging the errors of the three seeds\' models gives 64.9 / 61.6 / 68.1: steadier, not higher than the best single seed, at three times the training time (not the default).',
  'Calibration matters most. Dense AE, 8 h windows (<= 48 rows): plain record ratio 53.4 / 47.7 / 57.2; + spatial novelty 59.1 / 55.4 / 62.6. Spatial novelty alone, no model: about 51 (see the ablation above for this run).',
  'Window length per file from its sampling interval (rows = hours / interval, clamped to 8..48), half-life 0.3: 1 h 61.9, 2 h 63.5, 4 h 61.9; at half-life 0.1: 2 h 61.3, 8 h 59.1, 24 h (<= 96 rows) 56.8 (59.6 with 3-row smoothing). Chosen: 2 h.',
  'Forgetting the running maximum (half-life as a fraction of the file, 2 h windows): 0.1 -> 61.3, 0.2 -> 62.8, 0.3 -> 63.5, 0.4 -> 63.6, 0.5 -> 63.4, never -> see the ablation. Chosen: 0.3.',
  'Did not help: scoring span 4 instead of 1 (60.1 at 8 h), smaller model 16-2 (58.2; 62.2 with 3-row smoothing), time-of-day channels (60.0) or time of day and week (61.4), max of a 2 h and a 24 h model (62.5), starting the maximum from the validation rows only (62.8), the runtime adaptive thresholds as calibrators, score = error / threshold (SPOT 57.3, DSPOT 55.9, rolling quantile 55.1, MAD and EWMA 54.2), Numenta-style anomaly likelihood on the errors (no better than spatial novelty alone in a PCA prototype), periodic refits on the recent past (PCA prototype: -1 point).',
  'The new-peak filter is nearly neutral here (+-0.1); it is kept because it makes one incident one alert, which matters more to an operator than to NAB.',
  'Conv autoencoder (trainModel\'s default architecture): 60.9 / 55.6 / 65.9 with 8 h windows (dense: 59.1), 63.0 / 57.8 / 67.3 with 2 h windows (64.0 at half-life 0.2), i.e. level with dense within seed noise, at about three times the training time (293 s against about 100 s for the 58 files on this loaded machine).',
];

function readme(r: NabResult, seconds: number, table: { columns: string[]; rows: Array<Array<string | number>> }, notes: string[], command: string, board: Board | undefined, numenta: NabResult | undefined): string {
  const md: string[] = ['# vigil on the Numenta Anomaly Benchmark (NAB v1)', ''];
  md.push(`Reproduce: \`${command}\` (about ${Math.ceil(seconds)} s on the machine below), or \`node bin/run-ts.mjs bench/nab.ts\` for this page, the ablation and the plots in ../SUMMARY.md.`, '');
  md.push('| ' + table.columns.join(' | ') + ' |', '| ' + table.columns.map(() => '---').join(' | ') + ' |', ...table.rows.map((row) => '| ' + row.join(' | ') + ' |'), '');
  if (board) {
    md.push('Standard profile on the published board:', '');
    for (const row of rankOn(board, 'standard', { 'vigil (this run)': r.profiles.standard.normalized }).filter((x) => !['HTM Java', 'Numenta TM'].includes(x.name))) {
      md.push(`- ${row.ours ? '**' : ''}${row.name}: ${row.score.toFixed(1)}${row.ours ? '**' : ''}`);
    }
    md.push('');
  }
  md.push('How the detector works (evaluate/detector/nab-detector.ts): per file, a dense autoencoder is trained with `trainModel` on the', 'probationary rows only (first 15%, at most 750); every row is then scored by the exported ONNX model through', '`scoreSeries`, the pipeline `vigil score` uses, from the window ending at that row. The error becomes a score in [0,1]', 'causally (evaluate/detector/nab-calibrate.ts): ratio to the largest error seen so far (slowly forgotten), 1 for values', 'outside the range seen so far, and only new peaks keep their full score.', '');
  md.push(...notes.map((n) => `- ${n}`), '');
  if (numenta) md.push('The scorer itself is checked against the published numenta results in test/evaluate/nab-reference.test.ts.', '');
  md.push('## Explored', '', ...EXPLORED.map((e) => `- ${e}`), '');
  return md.join('\n');
}

/** Per file, the model's errors (train on the probationary rows, score every row), with what each file took. */
async function detect(corpus: NabCorpus, cfg: NabDetectorConfig) {
  const work = mkdtempSync(join(tmpdir(), 'vigil-nab-bench-'));
  const errors = new Map<string, Float64Array>();
  const perFile: Array<{ path: string; window: number; epochs: number; trainSeconds: number; scoreSeconds: number }> = [];
  const t0 = performance.now();
  try {
    for (const [i, f] of corpus.files.entries()) {
      const r = await modelErrors(f, cfg, work);
      errors.set(f.path, r.errors);
      perFile.push({ path: f.path, window: r.window, epochs: r.epochs, trainSeconds: r.trainSeconds, scoreSeconds: r.scoreSeconds });
      process.stderr.write(`[${String(i + 1).padStart(2)}/${corpus.files.length}] ${f.path.padEnd(58)} W=${r.window} epochs=${r.epochs} ${(r.trainSeconds + r.scoreSeconds).toFixed(1)}s\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { errors, perFile, detectSeconds: (performance.now() - t0) / 1000 };
}

/** Every calibration variant scored on the same model errors (the first is vigil as configured). */
function ablation(corpus: NabCorpus, cfg: NabDetectorConfig, errors: Map<string, Float64Array>) {
  return variants(cfg.calibration).map((v) => {
    const scores = new Map(
      corpus.files.map((f) => {
        const e = v.errors === 'model' ? errors.get(f.path)! : new Float64Array(f.values.length);
        return [f.path, calibrate(e, f.values, probationaryLength(f.values.length), v.cal)] as const;
      }),
    );
    return { ...v, scores, result: scoreDetector(corpus, scores, v.name) };
  });
}

type Variant = ReturnType<typeof ablation>[number];

/** vigil against the published board (full runs only) and the ablation, as bar charts. */
function figuresOf(board: Board | undefined, full: Variant, results: Variant[]): Figure[] {
  const figures: Figure[] = [];
  if (board) {
    const rows = rankOn(board, 'standard', { vigil: full.result.profiles.standard.normalized }).filter((r) => !['HTM Java', 'Numenta TM'].includes(r.name));
    const pick = (name: string, p: string): number => {
      if (name === 'vigil') return full.result.profiles[p].normalized;
      const key = Object.entries(board).find(([k]) => rankOn({ [k]: board[k] }, p, {})[0]?.name === name)?.[0];
      return key ? board[key][p] : NaN;
    };
    figures.push({
      id: 'board',
      title: 'NAB v1: vigil against the published board',
      kind: 'bar',
      xLabel: 'detector',
      yLabel: 'normalised NAB score',
      categories: rows.map((r) => r.name),
      highlight: ['vigil'],
      series: PROFILES.map((p) => ({ name: p, points: rows.map((r, k): [number, number] => [k, pick(r.name, p)]) })),
      caption: 'Null detector 0, perfect 100. Board numbers are the published ones; vigil measured in this run.',
    });
  }
  figures.push({
    id: 'ablation',
    title: 'What moves vigil\'s NAB score (same model errors)',
    kind: 'bar',
    xLabel: 'calibration variant',
    yLabel: 'normalised NAB score',
    categories: results.map((r) => r.name),
    series: PROFILES.map((p) => ({ name: p, points: results.map((r, k): [number, number] => [k, r.result.profiles[p].normalized]) })),
    caption: 'Every variant scores the same per-file autoencoder errors; only the causal calibration changes.',
  });
  return figures;
}

/** The scores table: every variant, and the published numenta results rescored (full runs only). */
function scoreTable(results: Variant[], numenta: NabResult | undefined) {
  return {
    title: 'Normalised NAB scores',
    columns: ['detector / variant', ...PROFILES, 'windows hit (standard)', 'FP rows (standard)'],
    rows: [
      ...results.map((r) => [r.name, ...PROFILES.map((p) => cell(r.result, p)), `${r.result.profiles.standard.counts.windowsHit}/${r.result.windows}`, r.result.profiles.standard.counts.fp]),
      ...(numenta ? [['numenta (published results, rescored here)', ...PROFILES.map((p) => cell(numenta, p)), `${numenta.profiles.standard.counts.windowsHit}/${numenta.windows}`, numenta.profiles.standard.counts.fp]] : []),
    ],
  };
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('bench/nab.ts')
    .option('--config <file>', 'detector config JSON (evaluate/detector/nab-config.ts)')
    .option('--quick', `only ${QUICK_FILES.length} files (smoke check; not comparable with the board, written to bench/results/tmp/)`)
    .parse(argv, { from: 'user' })
    .opts<{ config?: string; quick?: boolean }>();
  const cfg = o.config ? readNabDetectorConfig(o.config) : parseNabDetectorConfig({});
  const started = new Date();
  const corpus = loadNabCorpus(undefined, o.quick ? { only: QUICK_FILES } : {});
  const board: Board | undefined = o.quick ? undefined : loadBoard(corpus.root);
  // The scorer's own known answer, in the same run: the published numenta results.
  const numenta = o.quick ? undefined : scoreDetector(corpus, readResults(join(corpus.root, 'reference', 'numenta'), corpus), 'numenta');
  const { errors, perFile, detectSeconds } = await detect(corpus, cfg);
  const results = ablation(corpus, cfg, errors);
  const full = results[0];

  const outDir = o.quick ? join(RESULTS_DIR, 'tmp') : join(RESULTS_DIR, 'nab');
  mkdirSync(outDir, { recursive: true });
  const resultsDir = join(RESULTS_DIR, 'tmp', 'nab', 'vigil');
  for (const f of corpus.files) writeResultFile(resultsDir, 'vigil', f, full.scores.get(f.path)!);
  writeFileSync(join(outDir, o.quick ? 'nab-quick-vigil.json' : 'vigil.json'), `${JSON.stringify({ ...full.result, config: cfg, detectSeconds, files: perFile }, null, 2)}\n`);

  const figures = figuresOf(board, full, results);
  const table = scoreTable(results, numenta);
  const command = `npx vigil evaluate nab --detector vigil${o.config ? ` --config ${o.config}` : ''} --json bench/results/nab/vigil.json`;
  const notes = [
    `${corpus.files.length} files, ${full.result.windows} windows; detection (training + scoring) took ${detectSeconds.toFixed(0)} s on this machine.`,
    `Config: ${JSON.stringify(cfg)}`,
    `Reproduce: \`${command}\` (or \`node bin/run-ts.mjs bench/nab.ts\` for this page with the ablation).`,
    'Thresholds are optimised per profile over the whole corpus, as NAB does for every detector on the board; the calibration settings were chosen on NAB itself, so this is not a held-out score.',
  ];
  if (numenta) notes.push(`Scorer check in the same run: the published numenta results score ${cell(numenta, 'standard')} / ${cell(numenta, 'reward_low_FP_rate')} / ${cell(numenta, 'reward_low_FN_rate')} (board: 70.1 / 63.1 / 74.3).`);
  if (!o.quick) writeFileSync(join(outDir, 'README.md'), readme(full.result, detectSeconds, table, notes, command, board, numenta));
  writeBenchResult(
    {
      name: o.quick ? 'nab-quick' : 'nab',
      title: o.quick ? 'vigil on NAB (quick subset, not comparable with the board)' : 'vigil on the Numenta Anomaly Benchmark',
      machine: machineInfo(),
      startedAt: started.toISOString(),
      seconds: (Date.now() - started.getTime()) / 1000,
      figures,
      tables: [table],
      notes,
      data: { config: cfg, detectSeconds, variants: results.map((r) => ({ name: r.name, calibration: r.cal, errors: r.errors, scores: Object.fromEntries(PROFILES.map((p) => [p, r.result.profiles[p].normalized])) })) },
    },
    o.quick ? join(RESULTS_DIR, 'tmp') : RESULTS_DIR,
  );
  process.stdout.write(`${table.columns.join(' | ')}\n${table.rows.map((r) => r.join(' | ')).join('\n')}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench/nab: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
