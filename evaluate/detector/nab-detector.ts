/**
 * vigil's detector on NAB, run the way NAB requires: each file on its own, in order; a fresh autoencoder
 * trained with `trainModel` on the probationary rows only (the first 15%, at most 750); every row then scored
 * by the exported ONNX model through the same pipeline as `vigil score` (runtime/stream/score-series.ts),
 * from the window ending at that row (no look-ahead); the error calibrated to [0,1]
 * causally (nab-calibrate.ts). Writes NAB result files and returns their folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadModel, type Series } from '@vigil/runtime';
import { openModel } from '@vigil/runtime/inference/open-model.ts';
import { scoreSeries } from '@vigil/runtime/stream/score-series.ts';
import { trainModel } from '@vigil/train/train.ts';
import type { NabRunOptions } from '../cli.ts';
import { loadNabCorpus, type NabFile } from '../nab/corpus.ts';
import { writeResultFile } from '../nab/results.ts';
import { probationaryLength } from '../nab/sweep.ts';
import { startBroker } from '@vigil/simulators';
import { detectorAdapt, streamThroughRuntime, writeReplay } from './nab-adapt.ts';
import { keepNewPeaks, maxOf, recordRatio, spatialNovelty } from './nab-calibrate.ts';
import { parseNabDetectorConfig, readNabDetectorConfig, type NabDetectorConfig } from './nab-config.ts';

/** Median spacing of the first rows, in ms: NAB files are regular, with the odd gap. */
export function samplingInterval(timestamps: Float64Array): number {
  const d: number[] = [];
  for (let i = 1; i < Math.min(timestamps.length, 1001); i++) d.push(timestamps[i] - timestamps[i - 1]);
  d.sort((a, b) => a - b);
  return d[d.length >> 1] ?? 60_000;
}

/** Window length for a file: `hours` of data at its sampling interval, clamped, and short enough to train on. */
export function windowFor(file: NabFile, cfg: NabDetectorConfig['window'], probation: number): number {
  const rows = Math.round((cfg.hours * 3_600_000) / samplingInterval(file.timestamps));
  return Math.max(2, Math.min(Math.max(cfg.min, Math.min(cfg.max, rows)), Math.floor(probation / 4)));
}

const DAY_MS = 86_400_000;

/**
 * The file as a series: `value`, plus time-of-day (and day-of-week) as sine/cosine channels when asked, so
 * the autoencoder can learn what a value looks like at that hour (nights differ from days). Derived from the
 * row's own timestamp only.
 */
export function withTimeFeatures(file: NabFile, features: NabDetectorConfig['timeFeatures']): Series {
  const names = ['value', ...(features === 'none' ? [] : ['tod_sin', 'tod_cos']), ...(features === 'day+week' ? ['dow_sin', 'dow_cos'] : [])];
  const C = names.length;
  const n = file.values.length;
  const data = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const t = file.timestamps[i];
    const row = [file.values[i]];
    if (features !== 'none') {
      const a = (2 * Math.PI * (((t % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
      row.push(Math.sin(a), Math.cos(a));
    }
    if (features === 'day+week') {
      const b = (2 * Math.PI * (((t % (7 * DAY_MS)) + 7 * DAY_MS) % (7 * DAY_MS))) / (7 * DAY_MS);
      row.push(Math.sin(b), Math.cos(b));
    }
    data.set(row, i * C);
  }
  return { timestamps: file.timestamps, channels: names, data };
}

/** What one file's run produced. */
export interface FileRun {
  path: string;
  window: number;
  epochs: number;
  trainSeconds: number;
  scoreSeconds: number;
  provider: string;
  scores: Float64Array;
  /** With adaptation on (config `adapt`): its decisions by outcome, and the version serving at the end. */
  adaptation?: { decisions: Record<string, number>; version: string };
}

/**
 * Reconstruction error per row (0 before the first full window), from a model trained on the probation rows (written
 * to `workDir`/<file name>); `offline` false trains only (errors empty: the runtime will score).
 */
export async function modelErrors(
  file: NabFile,
  cfg: NabDetectorConfig,
  workDir: string,
  offline = true,
): Promise<Omit<FileRun, 'scores' | 'path'> & { errors: Float64Array }> {
  const n = file.values.length;
  const probation = probationaryLength(n);
  const W = windowFor(file, cfg.window, probation);
  const all = withTimeFeatures(file, cfg.timeFeatures);
  const C = all.channels.length;
  const series: Series = { timestamps: all.timestamps.slice(0, probation), channels: all.channels, data: all.data.slice(0, probation * C) };
  const m = cfg.model;
  const t0 = performance.now();
  const trained = await trainModel({
    data: series,
    out: join(workDir, basename(file.path, '.csv')),
    arch: m.arch,
    window: W,
    hidden: m.hidden,
    code: m.code,
    epochs: m.epochs,
    patience: m.patience,
    batchSize: m.batchSize,
    learningRate: m.learningRate,
    span: Math.min(m.span, W),
    seed: m.seed,
    backend: m.backend,
    memory: m.memory,
    validationSplit: 0.2,
  });
  trained.model.dispose();
  const t1 = performance.now();

  const meta = { window: W, epochs: trained.fit.history.length, trainSeconds: (t1 - t0) / 1000 };
  if (!offline) return { ...meta, scoreSeconds: 0, provider: '', errors: new Float64Array(0) };
  // Score every row from the exported files through the runtime pipeline `vigil score` uses (scoreSeries).
  const model = loadModel(trained.cardPath);
  const opened = await openModel(model, { providers: ['cpu', 'wasm'] });
  let errors: Float64Array;
  try {
    const res = await scoreSeries(all, opened.ref, { sensor: basename(file.path, '.csv'), threshold: model.card.threshold.default, batch: 4096 });
    errors = res.scores;
  } finally {
    await opened.ref.close();
  }
  const provider = opened.resolved.provider;
  return { ...meta, scoreSeconds: (performance.now() - t1) / 1000, provider, errors };
}

/** Errors -> NAB anomaly scores in [0,1], causally (see nab-calibrate.ts). */
export function calibrate(errors: ArrayLike<number>, values: ArrayLike<number>, probation: number, c: NabDetectorConfig['calibration']): Float64Array {
  const n = errors.length;
  let scores = recordRatio(errors, probation, { smooth: c.smooth, halfLife: c.halfLife * n });
  if (c.peakLookback > 0) scores = keepNewPeaks(scores, Math.max(1, Math.round(c.peakLookback * n)), c.peakDamp);
  if (c.spatialTolerance > 0) scores = maxOf(scores, spatialNovelty(values, c.spatialTolerance));
  // NAB ignores the probationary rows; score them 0 so nothing there can look like a detection.
  scores.fill(0, 0, probation);
  return scores;
}

/**
 * Score one file: train on its probationary rows, score all rows with ONNX Runtime (or, with `brokerUrl` and config
 * `adapt`, through the runtime with adaptation on), calibrate.
 */
export async function detectFile(file: NabFile, cfg: NabDetectorConfig, workDir: string, brokerUrl?: string): Promise<FileRun> {
  const { errors, ...meta } = await modelErrors(file, cfg, workDir, !cfg.adapt);
  const probation = probationaryLength(file.values.length);
  if (!cfg.adapt) return { path: file.path, ...meta, scores: calibrate(errors, file.values, probation, cfg.calibration) };
  if (!brokerUrl) throw new Error('NAB detector config `adapt: true` streams each file through the runtime, which needs an MQTT broker: pass its URL (runNabDetector starts an embedded one)');
  const name = basename(file.path, '.csv');
  const all = withTimeFeatures(file, cfg.timeFeatures);
  const replay = await writeReplay(workDir, all, probation);
  const run = await streamThroughRuntime(file, all, join(workDir, name), name, brokerUrl, detectorAdapt(workDir, replay));
  return { path: file.path, ...meta, scoreSeconds: run.seconds, provider: run.provider, adaptation: { decisions: run.decisions, version: run.version }, scores: calibrate(run.errors, file.values, probation, cfg.calibration) };
}

/** Run over the corpus and write `<outDir>/<category>/vigil_<name>.csv` plus `run.json`; returns `outDir`. */
export async function runNabDetector(o: NabRunOptions): Promise<string> {
  const cfg = o.config ? readNabDetectorConfig(o.config) : parseNabDetectorConfig({});
  const corpus = loadNabCorpus(o.corpusRoot, { only: o.only });
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-nab-'));
  mkdirSync(o.outDir, { recursive: true });
  const runs: Array<Omit<FileRun, 'scores'>> = [];
  const t0 = performance.now();
  let broker: Awaited<ReturnType<typeof startBroker>> | undefined;
  try {
    if (cfg.adapt) broker = await startBroker();
    for (const [i, f] of corpus.files.entries()) {
      const dir = join(workDir, String(i));
      mkdirSync(dir);
      const r = await detectFile(f, cfg, dir, broker?.url);
      writeResultFile(o.outDir, 'vigil', f, r.scores);
      const { scores: _s, ...meta } = r;
      runs.push(meta);
      const adapted = r.adaptation ? ` adaptation ${Object.entries(r.adaptation.decisions).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'} (v${r.adaptation.version} at the end)` : '';
      o.log(`[${String(i + 1).padStart(2)}/${corpus.files.length}] ${f.path.padEnd(58)} W=${String(r.window).padStart(2)} epochs=${String(r.epochs).padStart(3)} train ${r.trainSeconds.toFixed(1)}s score ${r.scoreSeconds.toFixed(1)}s${adapted}`);
    }
  } finally {
    await broker?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(o.outDir, 'run.json'), `${JSON.stringify({ detector: 'vigil', config: cfg, seconds, files: runs }, null, 2)}\n`);
  o.log(`vigil on NAB: ${corpus.files.length} files in ${seconds.toFixed(0)} s`);
  return o.outDir;
}
