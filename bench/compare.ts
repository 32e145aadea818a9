/**
 * Bench piece `compare`: every registered architecture (train/models/architectures.ts: dense, conv, denoising,
 * sparse, vae) with each loss (mse, bce), trained with `trainModel` defaults otherwise, on
 *  - the labelled synthetic pumps of the quality test (fixtures/synthetic-set.ts: three pumps, six fault
 *    kinds, 1,500 clean training rows each), and
 *  - a few NAB files (trained on the probationary rows, evaluated after them against the labelled windows),
 * every row scored through `scoreSeries` (the `vigil score` pipeline) with the card's default threshold.
 * Reports point-wise F1 / false-alarm rate / miss rate, event recall and detection delay, the best F1 any
 * fixed threshold could reach (separation, independent of calibration), training time (wall and CPU), ONNX
 * size and ONNX Runtime CPU windows/s.
 *
 *   node bin/run-ts.mjs bench/compare.ts [--quick] [--only conv,dense] [--nab-files a,b]
 *
 * Writes bench/results/compare.json, bench/results/COMPARE.md and bench/results/plots/compare-*.svg.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadModel, openModel, scoreSeries, type Series } from '@vigil/runtime';
import { applyScaler } from '../runtime/scaling/scaler.ts';
import { resolveSession } from '../runtime/inference/resolve.ts';
import { slidingWindows } from '../runtime/window/sliding.ts';
import { loadNabCorpus } from '../evaluate/nab/corpus.ts';
import { probationaryLength } from '../evaluate/nab/sweep.ts';
import { countConfusion, f1OfCounts, type Confusion } from '../evaluate/labels/metrics.ts';
import { ARCHITECTURES, trainModel, type TrainOptions } from '../train/index.ts';
import { emptyCounts, metricsOf, pointTruth, SYNTHETIC_SET, syntheticSet, tally, type Interval, type PooledCounts } from '@vigil/fixtures/synthetic-set.ts';
import { writePlots } from './lib/plots.ts';
import { isBenchResult, machineInfo, readResults, RESULTS_DIR, writeBenchResult, type Figure, type MachineInfo } from './lib/result.ts';

const cli = new Command('bench/compare')
  .option('--quick', 'one pump, one NAB file')
  .option('--only <archs>', 'comma list of config names (e.g. conv/mse,dense/bce) or architectures')
  .option('--render <json>', 'only rebuild COMPARE.md and the plots from an earlier compare.json')
  .option('--nab-files <list>', 'NAB files (substrings of their paths)', 'machine_temperature_system_failure,ambient_temperature_system_failure,nyc_taxi')
  .parse(process.argv);
const opts = cli.opts<{ quick?: boolean; only?: string; nabFiles: string; render?: string }>();

const LOSSES = ['mse', 'bce'] as const;
const CONFIGS = ARCHITECTURES.flatMap((arch) => LOSSES.map((loss) => ({ name: `${arch}/${loss}`, arch, loss })))
  .filter((c) => !opts.only || opts.only.split(',').some((o) => o === c.name || o === c.arch));

/** Per-config, per-data-set outcome. */
interface Outcome {
  counts: PooledCounts;
  /** Counts at each model's own best fixed threshold (an oracle: how well its scores separate the rows). */
  best: { tp: number; fp: number; fn: number };
  /** Per model (pump or NAB file): F1 at the default threshold and windows/faults found. */
  perModel: Array<{ name: string; f1: number; falseAlarmRate: number; found: string }>;
  trainWall: number;
  trainCpu: number;
  epochs: number;
  onnxBytes: number;
  windowsPerSecond: number;
}

/** Train on `train`, score `all` through the pipeline, tally rows from `from` on against `labels`. */
async function runOne(dir: string, name: string, train: Series, all: Series, labels: Interval[], from: number, o: Partial<TrainOptions>, out: Outcome): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const trained = await trainModel({ data: train, out: join(dir, name), seed: 1, ...o });
  out.trainWall += (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  out.trainCpu += (cpu.user + cpu.system) / 1e6;
  out.epochs += trained.fit.history.length;
  trained.model.dispose();
  const model = loadModel(join(dir, name));
  const { card } = model;
  out.onnxBytes = statSync(trained.onnxPath).size;
  const opened = await openModel(model);
  const res = await scoreSeries(all, opened.ref, { sensor: name, threshold: card.threshold.default }).finally(() => opened.ref.close());
  const truth = pointTruth(labels, all.timestamps.length, card.scoring.span, card.window);
  tally(out.counts, res.anomalies, truth, labels, card.window, from);
  const one = emptyCounts();
  tally(one, res.anomalies, truth, labels, card.window, from);
  const m = metricsOf(one);
  out.perModel.push({ name, f1: r3(m.f1)!, falseAlarmRate: r3(m.falseAlarmRate)!, found: `${one.detected}/${one.events}` });
  const scores: number[] = [], t: number[] = [];
  for (let r = from; r < truth.length; r++) if (truth[r] >= 0) { scores.push(res.scored[r] ? res.scores[r] : 0); t.push(truth[r]); }
  const b = bestCounts(scores, t);
  out.best.tp += b.tp; out.best.fp += b.fp; out.best.fn += b.fn;
  out.windowsPerSecond = Math.max(out.windowsPerSecond, await throughput(model.onnx, card, all));
}

/** ONNX Runtime CPU windows/s at batch 1024 over the series' windows (at least 0.3 s of runs). */
async function throughput(onnx: Uint8Array, card: ReturnType<typeof loadModel>['card'], s: Series): Promise<number> {
  const C = card.channels.length;
  const w = slidingWindows(applyScaler(card.scaler, s.data), C, card.window, 1);
  const { session } = await resolveSession(['cpu'], { onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: C });
  const n = Math.min(1024, w.count);
  const batch = w.data.subarray(0, n * card.window * C);
  await session.run(batch, n);
  let done = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300 || done < 4 * n) { await session.run(batch, n); done += n; }
  const rate = done / ((performance.now() - t0) / 1000);
  await session.close();
  return rate;
}

/** Confusion counts at the fixed threshold (a quantile of the scores) with the best point-wise F1. */
function bestCounts(scores: number[], truth: number[]): Pick<Confusion, 'tp' | 'fp' | 'fn'> {
  const sorted = [...scores].sort((a, b) => a - b);
  let best = { tp: 0, fp: 0, fn: truth.filter(Boolean).length };
  let bestF = 0;
  const flags = new Uint8Array(scores.length);
  for (let q = 0; q < 400; q++) {
    const thr = sorted[Math.floor((q / 400) * (sorted.length - 1))];
    for (let i = 0; i < scores.length; i++) flags[i] = scores[i] > thr ? 1 : 0;
    const { tp, fp, fn } = countConfusion(flags, truth);
    const f1 = f1OfCounts({ tp, fp, fn });
    if (f1 > bestF) { bestF = f1; best = { tp, fp, fn }; }
  }
  return best;
}

const fresh = (): Outcome => ({ counts: emptyCounts(), best: { tp: 0, fp: 0, fn: 0 }, perModel: [], trainWall: 0, trainCpu: 0, epochs: 0, onnxBytes: 0, windowsPerSecond: 0 });
const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

const started = new Date();
const t0 = performance.now();
const work = mkdtempSync(join(tmpdir(), 'vigil-compare-'));
const pumps = syntheticSet().slice(0, opts.quick ? 1 : undefined);
const nabNames = opts.nabFiles.split(',').slice(0, opts.quick ? 1 : undefined);
const corpus = loadNabCorpus(undefined, { only: nabNames });
const previous = opts.render ? (JSON.parse(readFileSync(opts.render, 'utf8')) as { seconds: number; startedAt: string; machine: MachineInfo; data: { command: string; rows: Record<string, unknown>[] } }) : undefined;
const rows: Record<string, unknown>[] = previous ? previous.data.rows : [];
for (const cfg of previous ? [] : CONFIGS) {
  const o: Partial<TrainOptions> = { arch: cfg.arch, loss: cfg.loss };
  const syn = fresh();
  for (const p of pumps) {
    process.stderr.write(`${cfg.name} synthetic ${p.id}...\n`);
    await runOne(work, `${cfg.arch}-${cfg.loss}-${p.id}`, p.train, p.series, p.labels, SYNTHETIC_SET.trainRows, o, syn);
  }
  const nab = fresh();
  for (const f of corpus.files) {
    process.stderr.write(`${cfg.name} NAB ${f.path}...\n`);
    const series: Series = { timestamps: f.timestamps, channels: ['value'], data: Float32Array.from(f.values), rawTimestamps: f.rawTimestamps };
    const prob = probationaryLength(f.timestamps.length);
    const train: Series = { timestamps: f.timestamps.slice(0, prob), channels: ['value'], data: series.data.slice(0, prob) };
    const labels = f.windows.map(([startRow, endRow]) => ({ startRow, endRow }));
    await runOne(work, `${cfg.arch}-${cfg.loss}-${f.path.replace(/^.*\//, '').replace(/\.csv$/, '')}`, train, series, labels, prob, o, nab);
  }
  const sm = metricsOf(syn.counts);
  const nm = metricsOf(nab.counts);
  const row = {
    config: cfg.name,
    synthetic: {
      f1: r3(sm.f1), falseAlarmRate: r3(sm.falseAlarmRate), missRate: r3(sm.missRate), precision: r3(sm.precision), recall: r3(sm.recall),
      eventRecall: r3(sm.eventRecall), faults: `${syn.counts.detected}/${syn.counts.events}`, medianDelayRows: sm.medianDelayRows, bestF1: r3(f1OfCounts(syn.best)), meanDelayRows: r3(sm.meanDelayRows), perPump: syn.perModel,
      trainWallS: r3(syn.trainWall), trainCpuS: r3(syn.trainCpu), epochs: syn.epochs, onnxBytes: syn.onnxBytes, windowsPerSecond: Math.round(syn.windowsPerSecond),
    },
    nab: {
      f1: r3(nm.f1), falseAlarmRate: r3(nm.falseAlarmRate), missRate: r3(nm.missRate), eventRecall: r3(nm.eventRecall), windows: `${nab.counts.detected}/${nab.counts.events}`,
      medianDelayRows: nm.medianDelayRows, bestF1: r3(f1OfCounts(nab.best)), meanDelayRows: r3(nm.meanDelayRows), perFile: nab.perModel, trainWallS: r3(nab.trainWall), trainCpuS: r3(nab.trainCpu), onnxBytes: nab.onnxBytes,
      windowsPerSecond: Math.round(nab.windowsPerSecond),
    },
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'tmp-compare-partial.json'), JSON.stringify(rows, null, 1));
}
rmSync(work, { recursive: true, force: true });
const seconds = previous ? previous.seconds : (performance.now() - t0) / 1000;
// A re-render describes the run it renders, not the machine it is rendered on.
const machine = previous ? previous.machine : machineInfo();
type Row = { config: string; synthetic: Record<string, number | string | null>; nab: Record<string, number | string | null> };
const R = rows as Row[];
const names = R.map((r) => r.config);
const bar = (id: string, title: string, yLabel: string, pick: (r: Row) => [number, number], caption: string, logY = false): Figure => ({
  id, title, kind: 'bar', xLabel: 'architecture / loss', yLabel, categories: names, logY, caption,
  series: [
    { name: 'synthetic pumps', points: R.map((r, i) => [i, pick(r)[0]]) },
    { name: 'NAB', points: R.map((r, i) => [i, pick(r)[1]]) },
  ],
});
const figures: Figure[] = [
  bar('compare-f1', 'Point-wise F1 at the card\'s default threshold', 'F1', (r) => [Number(r.synthetic.f1), Number(r.nab.f1)], 'Higher is better; NAB windows are wide, so NAB point-wise F1 is low for every model.'),
  bar('compare-best-f1', 'F1 at each model\'s best fixed threshold (separation)', 'F1', (r) => [Number(r.synthetic.bestF1), Number(r.nab.bestF1)], 'An oracle threshold per model, counts pooled: how well the scores separate faulty from normal rows, independent of calibration.'),
  bar('compare-false-alarms', 'False-alarm rate (share of normal rows flagged)', 'false-alarm rate', (r) => [Number(r.synthetic.falseAlarmRate), Number(r.nab.falseAlarmRate)], 'Lower is better.'),
  bar('compare-train-cpu', 'Training CPU time (all pumps / all NAB files)', 'CPU seconds', (r) => [Number(r.synthetic.trainCpuS), Number(r.nab.trainCpuS)], 'tfjs wasm backend, this machine.', true),
  bar('compare-throughput', 'ONNX Runtime CPU inference, batch 1024', 'windows/s', (r) => [Number(r.synthetic.windowsPerSecond), Number(r.nab.windowsPerSecond)], '8-channel pumps vs univariate NAB.', true),
];
type PerRow = { name: string; f1: number; falseAlarmRate: number; found: string };
const perOf = (r: Row): PerRow[] => [...((r.synthetic as unknown as { perPump?: PerRow[] }).perPump ?? []), ...((r.nab as unknown as { perFile?: PerRow[] }).perFile ?? [])];
const shortName = (name: string, config: string): string => name.replace(`${config.replace('/', '-')}-`, '');
function perNames(rs: Row[]): string[] {
  return rs.length ? perOf(rs[0]).map((p) => shortName(p.name, rs[0].config)) : [];
}
function perCells(r: Row): string[] {
  return perOf(r).map((p) => `${p.f1} / ${(100 * p.falseAlarmRate).toFixed(1)}% / ${p.found}`);
}

/** Winner and margins, computed from the rows (never typed in). */
function findings(rs: Row[]): string[] {
  const by = (k: 'synthetic' | 'nab', m: string) => [...rs].sort((a, b) => Number(b[k][m]) - Number(a[k][m]));
  const get = (name: string) => rs.find((r) => r.config === name);
  const out: string[] = [];
  const syn = by('synthetic', 'f1');
  if (syn.length > 1) {
    const [a, b] = syn;
    const d = get('dense/mse');
    out.push(`Synthetic pumps (8 channels): ${a.config} wins with F1 ${a.synthetic.f1} at ${(100 * Number(a.synthetic.falseAlarmRate)).toFixed(1)}% false alarms, ` +
      `${(Number(a.synthetic.f1) - Number(b.synthetic.f1)).toFixed(3)} ahead of ${b.config}` + (d && d !== a ? ` and ${(Number(a.synthetic.f1) - Number(d.synthetic.f1)).toFixed(3)} ahead of dense/mse (${d.synthetic.f1})` : '') + '.');
  }
  const nab = by('nab', 'f1');
  const nabBest = by('nab', 'bestF1');
  if (nab.length > 1) {
    out.push(`NAB (univariate): highest point-wise F1 ${nab[0].config} (${nab[0].nab.f1}, false alarms ${(100 * Number(nab[0].nab.falseAlarmRate)).toFixed(1)}%, windows found ${nab[0].nab.windows}); ` +
      `best separation ${nabBest[0].config} (oracle F1 ${nabBest[0].nab.bestF1}).`);
  }
  const mse = rs.filter((r) => r.config.endsWith('/mse')), bce = rs.filter((r) => r.config.endsWith('/bce'));
  if (mse.length && bce.length) {
    const mean = (xs: Row[], k: 'synthetic' | 'nab', m: string) => (xs.reduce((s, r) => s + Number(r[k][m]), 0) / xs.length).toFixed(3);
    out.push(`Loss: mean synthetic F1 mse ${mean(mse, 'synthetic', 'f1')} vs bce ${mean(bce, 'synthetic', 'f1')}; mean miss rate mse ${mean(mse, 'synthetic', 'missRate')} vs bce ${mean(bce, 'synthetic', 'missRate')}.`);
  }
  return out;
}

const rank = [...R].sort((a, b) => Number(b.synthetic.f1) - Number(a.synthetic.f1));
const command = previous ? previous.data.command : `node bin/run-ts.mjs bench/compare.ts${opts.quick ? ' --quick' : ''}${opts.only ? ` --only ${opts.only}` : ''}`;
const table = {
  title: 'Every architecture and loss (default threshold = card default)',
  columns: ['config', 'syn F1', 'syn best F1', 'syn false alarms', 'syn miss', 'faults found', 'median delay (rows)', 'NAB F1', 'NAB best F1', 'NAB false alarms', 'NAB windows found', 'train CPU s (syn / NAB)', 'ONNX KiB (syn)', 'windows/s (syn)'],
  rows: R.map((r) => [
    r.config, String(r.synthetic.f1), String(r.synthetic.bestF1), `${(100 * Number(r.synthetic.falseAlarmRate)).toFixed(1)}%`, `${(100 * Number(r.synthetic.missRate)).toFixed(1)}%`,
    String(r.synthetic.faults), String(r.synthetic.medianDelayRows), String(r.nab.f1), String(r.nab.bestF1), `${(100 * Number(r.nab.falseAlarmRate)).toFixed(1)}%`, String(r.nab.windows),
    `${Number(r.synthetic.trainCpuS).toFixed(0)} / ${Number(r.nab.trainCpuS).toFixed(0)}`, (Number(r.synthetic.onnxBytes) / 1024).toFixed(1), String(r.synthetic.windowsPerSecond),
  ]),
};
const notes = [
  `Data: ${pumps.length} synthetic pump(s) x ${SYNTHETIC_SET.rows} rows (8 channels, ${SYNTHETIC_SET.trainRows} clean training rows each, faults: ${[...new Set(pumps.flatMap((p) => p.labels.map((l) => l.type)))].join(', ')}); NAB: ${corpus.files.map((f) => f.path).join(', ')} (trained on the probationary rows).`,
  `Ranking on synthetic F1: ${rank.map((r) => `${r.config} ${r.synthetic.f1}`).join(' > ')}.`,
  ...findings(R),
  'Labels: a row is anomalous from a fault\'s first row to its last row + span - 1; the rest of the window after a fault counts neither way (fixtures/synthetic-set.ts). NAB windows are used as given.',
];
writeBenchResult({ name: 'compare', title: 'Architecture comparison (issue 6)', machine, startedAt: previous ? previous.startedAt : started.toISOString(), seconds, figures, tables: [table], notes, data: { command, rows } });
// plots/ as SUMMARY.md has it (every result's figures, one name rule, nothing stale), so both pages link the same files.
const drawn = readResults(RESULTS_DIR).map((r) => r.json).filter(isBenchResult);
const plotFiles = writePlots(RESULTS_DIR, drawn)[drawn.findIndex((r) => r.name === 'compare')];
const md = [
  '# Architecture comparison', '',
  `Reproduce: \`${command}\` (${Math.round(seconds)} s on ${machine.cpu}, ${machine.cores} cores, shared with other jobs). Raw numbers: \`compare.json\`.`, '',
  ...notes.map((n) => `- ${n}`), '',
  `| ${table.columns.join(' | ')} |`, `| ${table.columns.map(() => '---').join(' | ')} |`, ...table.rows.map((r) => `| ${r.join(' | ')} |`), '',
  ...figures.map((f, i) => `![${f.title}](plots/${plotFiles[i]})\n\n${f.caption ?? ''}\n`),
  '## Per pump and per NAB file (default threshold)', '',
  '| config | ' + perNames(R).join(' | ') + ' |', '| --- | ' + perNames(R).map(() => '---').join(' | ') + ' |',
  ...R.map((r) => `| ${r.config} | ${perCells(r).join(' | ')} |`), '',
  'Each cell: point-wise F1 / false-alarm rate / faults or windows found. NAB point-wise F1 is dominated by the longest labelled windows',
  '(a model that flags much of one long window scores well even if it misses others): read windows found and false alarms with it.',
  'windows/s and training time come from a machine shared with other jobs; identical graphs (conv, denoising, sparse) measured',
  'between the numbers in the table, so compare them within a factor of ~3 only.', '',
].join('\n');
writeFileSync(join(RESULTS_DIR, 'COMPARE.md'), `${md}\n`);
rmSync(join(RESULTS_DIR, 'tmp-compare-partial.json'), { force: true });
process.stdout.write(`${md}\n`);
