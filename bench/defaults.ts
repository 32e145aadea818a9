/**
 * Which threshold (and score smoothing) should a freshly trained model's card default to, and how should its
 * static level be calibrated? Trains the default conv autoencoder on (a) the three labelled synthetic pumps of
 * test/quality (8 channels, 1 Hz, 1,500 clean training rows each) and (b) univariate NAB files (trained on
 * NAB's probationary first 15%), scores every row once through `scoreSeries`, then replays the raw window
 * scores through every threshold kind with smoothing off and on, exactly as `applyThresholds` does (smooth,
 * then `decide`). Metrics are counted on the rows after training: pooled point-wise F1, false-alarm rate,
 * events detected (fixtures/synthetic-set.ts rules). Writes bench/results/defaults.json.
 *
 *   node bin/run-ts.mjs bench/defaults.ts [--nab a,b,...] [--no-cache]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadModel, openModel, scoreSeries, type ModelCard, type Series } from '@vigil/runtime';
import { loadNabCorpus } from '../evaluate/nab/corpus.ts';
import { probationaryLength } from '../evaluate/nab/sweep.ts';
import { createThreshold } from '../runtime/thresholds/factory.ts';
import { decide } from '../runtime/thresholds/threshold.ts';
import { createSmoother } from '../runtime/scoring/smoothing.ts';
import { calibrateStatic } from '../train/calibrate.ts';
import { trainModel } from '../train/index.ts';
import { emptyCounts, metricsOf, pointTruth, syntheticSet, SYNTHETIC_SET, tally, type Interval, type PooledCounts } from '@vigil/fixtures/synthetic-set.ts';
import { machineInfo, writeBenchResult, type Table } from './lib/result.ts';

/** One scored stream: raw window scores per row plus what is needed to judge them. */
interface Stream {
  set: 'synthetic' | 'nab';
  id: string;
  scores: number[];
  scored: number[];
  labels: Interval[];
  from: number;
  card: ModelCard;
  /** Raw scores of the card's validation windows (for static calibration variants). */
  validation: number[];
  /** Raw scores of the card's training windows (in-sample). */
  training: number[];
}

const NAB_DEFAULT = [
  'realKnownCause/machine_temperature_system_failure.csv',
  'realKnownCause/ambient_temperature_system_failure.csv',
  'realKnownCause/cpu_utilization_asg_misconfiguration.csv',
  'realKnownCause/ec2_request_latency_system_failure.csv',
  'realKnownCause/nyc_taxi.csv',
];

/** Threshold configs compared; `static@...` are calibration variants of the static level. */
const THRESHOLDS: Array<{ name: string; config: (s: Stream) => Record<string, unknown> }> = [
  { name: 'static (card: POT risk 1e-3)', config: () => ({ kind: 'static' }) },
  { name: 'static POT on training windows', config: (s) => ({ kind: 'static', value: calibrateStatic(Float32Array.from(s.training)).value }) },
  { name: 'static POT risk 1e-4', config: (s) => ({ kind: 'static', value: calibrateStatic(Float32Array.from(s.validation), { tailQuantile: 0.9, risk: 1e-4 }).value }) },
  { name: 'static POT risk 1e-5', config: (s) => ({ kind: 'static', value: calibrateStatic(Float32Array.from(s.validation), { tailQuantile: 0.9, risk: 1e-5 }).value }) },
  { name: 'static card x 1.5', config: (s) => ({ kind: 'static', value: 1.5 * s.card.threshold.static.value }) },
  { name: 'static card x 2', config: (s) => ({ kind: 'static', value: 2 * s.card.threshold.static.value }) },
  { name: 'quantile', config: () => ({ kind: 'quantile' }) },
  { name: 'ewma', config: () => ({ kind: 'ewma' }) },
  { name: 'mad', config: () => ({ kind: 'mad' }) },
  { name: 'spot', config: () => ({ kind: 'spot' }) },
  { name: 'dspot', config: () => ({ kind: 'dspot' }) },
  { name: 'telemanom', config: () => ({ kind: 'telemanom' }) },
];

const SMOOTHING: Array<{ name: string; config: Record<string, unknown> }> = [
  { name: 'none', config: { kind: 'none' } },
  { name: 'mean 3', config: { kind: 'mean', window: 3 } },
  { name: 'ewma 0.5', config: { kind: 'ewma', alpha: 0.5 } },
];

/** Score every row of `series` with the model trained on `train`; cached by id so replays are cheap. */
async function scoreStream(set: Stream['set'], id: string, train: Series, series: Series, labels: Interval[], from: number, work: string, cache: string | null): Promise<Stream> {
  const file = cache ? join(cache, `${id.replace(/\W+/g, '_')}.json`) : '';
  if (cache && existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as Stream;
    if (Array.isArray(cached.training) && Array.isArray(cached.validation)) return cached;
  }
  const t0 = performance.now();
  const trained = await trainModel({ data: train, out: join(work, id.replace(/\W+/g, '_')), seed: 1 });
  trained.model.dispose();
  const model = loadModel(trained.cardPath);
  const card = model.card;
  const opened = await openModel(model, { providers: ['cpu'] });
  const res = await scoreSeries(series, opened.ref, { sensor: id, threshold: { kind: 'static' }, batch: 2048 }).finally(() => opened.ref.close());
  // Window i of the training file ends at row i + W - 1 (stride 1 for files this short); the last ones are validation.
  const tr = card.training as { trainWindows: number; validationWindows: number };
  const v0 = card.window - 1 + tr.trainWindows;
  const validation = Array.from(res.scores.subarray(v0, v0 + tr.validationWindows));
  const training = Array.from(res.scores.subarray(card.window - 1, v0));
  const s: Stream = { set, id, scores: Array.from(res.scores), scored: Array.from(res.scored), labels, from, card, validation, training };
  // The static replay must reproduce the pipeline's own static decisions: a check that the replay is faithful.
  const replay = replayFlags(s, { kind: 'static' }, { kind: 'none' });
  const diff = replay.reduce((n, f, r) => n + (f !== res.anomalies[r] ? 1 : 0), 0);
  if (diff) throw new Error(`${id}: offline replay disagrees with the pipeline on ${diff} rows`);
  process.stderr.write(`${id}: trained (${card.training.epochs} epochs, stride ${card.stride}) and scored ${s.scores.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (card.stride !== 1) throw new Error(`${id}: stride ${card.stride}: validation windows cannot be located by row`);
  if (cache) writeFileSync(file, JSON.stringify(s));
  return s;
}

/** Flags per row from replaying the raw scores through a fresh threshold, as applyThresholds does. */
function replayFlags(s: Stream, threshold: Record<string, unknown>, smoothing: Record<string, unknown>, start = 0): Uint8Array {
  const t = createThreshold(threshold, s.card);
  const m = createSmoother(smoothing);
  const flags = new Uint8Array(s.scores.length);
  for (let r = start; r < s.scores.length; r++) if (s.scored[r]) flags[r] = decide(t, m.smooth(s.scores[r])).anomaly ? 1 : 0;
  return flags;
}

/** Pooled counts of one config over a set of streams. */
function pooled(streams: Stream[], th: (typeof THRESHOLDS)[number], sm: (typeof SMOOTHING)[number], live: boolean): PooledCounts {
  const c = emptyCounts();
  for (const s of streams) {
    const flags = replayFlags(s, th.config(s), sm.config, live ? s.from : 0);
    const truth = pointTruth(s.labels, s.scores.length, s.card.scoring.span, s.card.window);
    tally(c, flags, truth, s.labels, s.card.window, s.from);
  }
  return c;
}

const cmd = new Command('bench/defaults')
  .description('threshold kind x smoothing on labelled synthetic pumps and NAB files; writes bench/results/defaults.json')
  .option('--nab <files>', 'NAB files (comma-separated, relative to data/)', NAB_DEFAULT.join(','))
  .option('--cache <dir>', 'keep scored streams here between runs', join(tmpdir(), 'vigil-bench-defaults'))
  .option('--no-cache', 'train and score everything again');
cmd.parse(process.argv);
const opts = cmd.opts<{ nab: string; cache: string | false }>();
const started = new Date();
const t0 = performance.now();
const cache = opts.cache ? opts.cache : null;
if (cache) mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'vigil-defaults-'));

const streams: Stream[] = [];
for (const p of syntheticSet()) {
  streams.push(await scoreStream('synthetic', p.id, p.train, p.series, p.labels, SYNTHETIC_SET.trainRows, work, cache));
}
const corpus = loadNabCorpus(undefined, { only: opts.nab.split(',').filter(Boolean) });
for (const f of corpus.files) {
  const n = f.values.length;
  const probation = probationaryLength(n);
  const series: Series = { timestamps: f.timestamps, channels: ['value'], data: Float32Array.from(f.values) };
  const train: Series = { timestamps: f.timestamps.slice(0, probation), channels: ['value'], data: Float32Array.from(f.values.subarray(0, probation)) };
  const labels = f.windows.map(([startRow, endRow]) => ({ startRow, endRow }));
  streams.push(await scoreStream('nab', f.path, train, series, labels, probation, work, cache));
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const rows: Array<Record<string, string | number>> = [];
const tables: Table[] = [];
for (const [set, live] of [['synthetic', false], ['nab', false], ['synthetic', true], ['nab', true]] as const) {
  const mine = streams.filter((s) => s.set === set);
  const table: Table = {
    title: `${set === 'synthetic' ? `synthetic pumps (${mine.length} x 8 channels, 1 Hz)` : `NAB (${mine.length} univariate files)`}: pooled over rows after training; ` +
      (live ? 'thresholds start after the training rows (a live deployment)' : 'thresholds see the training rows first (vigil score on the whole file)'),
    columns: ['threshold', 'smoothing', 'F1', 'precision', 'recall', 'false alarms', 'events detected', 'median delay (rows)'],
    rows: [],
  };
  for (const th of THRESHOLDS) {
    for (const sm of SMOOTHING) {
      const c = pooled(mine, th, sm, live);
      const m = metricsOf(c);
      rows.push({ set, start: live ? 'after training' : 'row 0', threshold: th.name, smoothing: sm.name, f1: m.f1, precision: m.precision, recall: m.recall, falseAlarmRate: m.falseAlarmRate, detected: c.detected, events: c.events, medianDelayRows: m.medianDelayRows ?? -1 });
      table.rows.push([th.name, sm.name, m.f1.toFixed(3), m.precision.toFixed(3), m.recall.toFixed(3), pct(m.falseAlarmRate), `${c.detected}/${c.events}`, m.medianDelayRows ?? '-']);
    }
  }
  tables.push(table);
  const w = [30, 9, 6, 9, 6, 12, 8, 6];
  console.log(`\n${table.title}`);
  console.log(table.columns.map((h, i) => h.slice(0, w[i]).padEnd(w[i])).join(' '));
  for (const r of table.rows) console.log(r.map((x, i) => String(x).padEnd(w[i])).join(' '));
}

const file = writeBenchResult({
  name: 'defaults',
  title: 'Card default threshold and smoothing: every kind on labelled synthetic pumps and NAB',
  machine: machineInfo(),
  startedAt: started.toISOString(),
  seconds: (performance.now() - t0) / 1000,
  figures: [],
  tables,
  notes: [
    'Default conv autoencoder (train defaults, seed 1). Synthetic: trained on the clean first 1,500 rows of each pump; NAB: on the probationary first 15%.',
    'Every row is scored once through scoreSeries; raw scores are replayed through each threshold and smoother as applyThresholds does (checked: the static replay matches the pipeline row for row).',
    'Point-wise truth per fixtures/synthetic-set.ts pointTruth; counted on rows after training; events = labelled faults/windows starting after training.',
  ],
  data: { rows, streams: streams.map((s) => ({ set: s.set, id: s.id, rows: s.scores.length, from: s.from, events: s.labels.filter((l) => l.startRow >= s.from).length, staticValue: s.card.threshold.static.value })) },
});
console.log(`\nwrote ${file}`);
