/**
 * `trainModel(options)`: CSV (or a Series) in; NAME.onnx, NAME.json (validated model card) and NAME.loss.svg out.
 * Read -> scale -> window -> chronological split -> fit -> export -> check the .onnx in ONNX Runtime -> score
 * train/validation windows with the runtime's own scorer -> calibrate -> card.
 */
import { rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseCard, type ModelCard, type Series } from '@vigil/runtime';
import { applyScaler, fitScaler } from '@vigil/runtime/scaling/scaler.ts';
import { CARD_FORMAT_VERSION } from '@vigil/runtime/model/card.ts';
import { rangesProblem } from '@vigil/runtime/model/ranges.ts';
import { rowCount } from '@vigil/runtime/data/series.ts';
import { sha256 } from '@vigil/runtime/model/load.ts';
import { slidingWindows } from '@vigil/runtime/window/sliding.ts';
import { trainingDataOf } from '@vigil/runtime/model/training-data.ts';
import { selectBackend, type BackendChoice } from './backend.ts';
import { defaultCode, defaultSpan, defaultStride } from './defaults.ts';
import { fit, type FitResult } from './fit.ts';
import { buildSpec } from './models/architectures.ts';
import { Autoencoder } from './models/autoencoder.ts';
import type { ModelSpec } from './models/spec.ts';
import { reconProbNoise } from './models/recon-prob.ts';
import { cardScoring, exportScored } from './score-exported.ts';
import { lossCurveSvg } from './plot.ts';
import { robustRecord, robustSetAside } from './robust.ts';
import { setAsideCsv } from './setaside-csv.ts';
import { constantChannelNotes, trainingSeries, unlabelledRows, unlabelledWindows } from './training-data.ts';
import { labelFlags } from '@vigil/runtime/data/labels.ts';
import { check, resolveOptions, type TrainOptions } from './train-options.ts';
import { trainingVersions } from './versions.ts';
import { writeModelFiles } from './write-model.ts';
import { writeFileAtomic } from '@vigil/runtime/util/atomic-write.ts';
import { makeDirs } from '@vigil/runtime/util/make-dirs.ts';

export { resolveOptions, type TrainOptions } from './train-options.ts';

/** What `trainModel` produced. */
export interface TrainResult {
  card: ModelCard;
  cardPath: string;
  onnxPath: string;
  svgPath: string;
  backend: BackendChoice;
  fit: FitResult;
  /** Robust fit: NAME.setaside.csv (absent when --contamination is 0). */
  setAsidePath?: string;
  /** Max |tfjs - ONNX Runtime| over the validation (or training) windows. */
  exportMaxAbsDiff: number;
  /** The trained tfjs model (caller disposes). */
  model: Autoencoder;
  seconds: number;
}

/** Fewest fitted windows a residual covariance is estimated from (`--score mahalanobis`). */
export const MIN_MAHALANOBIS_WINDOWS = 10;

/**
 * Read -> check -> scale -> window -> chronological split. Sets `o.stride` when it was left to the default
 * (it depends on the row count).
 */
function trainingWindows(options: TrainOptions, o: ReturnType<typeof resolveOptions>) {
  // Label columns (label, anomaly, changepoint, ...) are ground truth, never channels: every command reads CSVs by this rule.
  // Rows outside a declared physical range are not normal operation: refused, never filled.
  const series = trainingSeries(options.data, { fill: o.fill, channels: options.channels, ignore: options.ignore, sort: options.sort, rows: options.rows, ranges: o.ranges, outliers: o.outliers, onNote: options.onNote });
  const badRanges = o.ranges && rangesProblem(o.ranges, series.channels);
  check(!badRanges, `--range: ${badRanges}`);
  const rows = rowCount(series);
  const C = series.channels.length;
  const W = o.window;
  const source = typeof options.data === 'string' ? options.data : '<series>';
  check(rows >= W + 1, `${source}: ${rows} rows but --window is ${W}; expected at least ${W + 1} rows (or a shorter --window)`);
  if (o.stride === 0) o.stride = defaultStride(rows);
  // Scaled as the rows it learns from: a labelled fault's rows (left out of training below) do not set the scale either.
  const labelled = labelFlags(series);
  const fitted = unlabelledRows(series, labelled);
  const scaler = fitScaler(o.scaler, fitted, C);
  for (const note of constantChannelNotes(series.channels, scaler.floored, scaler.scale, scaler.offset, fitted)) options.onNote?.(note);
  const scaled = applyScaler(scaler, series.data);
  const all = unlabelledWindows(slidingWindows(scaled, C, W, o.stride), series, labelled, source, options.onNote);
  // Chronological hold-out: windows ending in the last fraction of rows validate; none of their rows past the
  // split were ever trained on, so validation errors look like tomorrow's data rather than yesterday's.
  const splitRow = o.validationSplit > 0 ? Math.round(rows * (1 - o.validationSplit)) : rows;
  let nTrain = 0;
  while (nTrain < all.count && all.ends[nTrain] < splitRow) nTrain++;
  const per = W * C;
  const train = { data: all.data.subarray(0, nTrain * per), count: nTrain };
  const val = { data: all.data.subarray(nTrain * per, all.count * per), count: all.count - nTrain };
  check(nTrain >= 1, `${source}: no training windows before the validation split (${rows} rows, window ${W}); lower --validation-split or --window`);
  // The bar is placed on the held-out windows (the training ones without a split): below a handful it is a guess, and a
  // model on it flags everything or nothing (a probe: --stride 1000 on 400 rows, 1 window, 100 % of a test file flagged).
  const calibration = all.count > nTrain ? all.count - nTrain : nTrain;
  check(calibration >= MIN_THRESHOLD_WINDOWS, `${source}: ${calibration} window(s) to calibrate the threshold on (${rows} rows, window ${W}, stride ${o.stride}${all.count > nTrain ? `, the last ${Math.round(100 * o.validationSplit)} % held out` : ''}); expected at least ${MIN_THRESHOLD_WINDOWS}: ${moreWindows(o.stride)}`);
  return { series, source, rows, C, W, per, scaler, all, nTrain, train, val };
}

/** Calibration windows below which `vigil train` says its threshold is unreliable. */
export const MIN_CALIBRATION_WINDOWS = 100;
/** Calibration windows below which `vigil train` refuses to place a threshold at all. */
export const MIN_THRESHOLD_WINDOWS = 10;

/**
 * What gives more calibration windows: rows, a smaller stride, a larger held-out share. Not a shorter window: every
 * held-out window ends in a held-out row, so there are as many as held-out rows / stride whatever the window.
 */
function moreWindows(stride: number): string {
  return `train on more rows${stride > 1 ? `, a smaller --stride (${stride})` : ''} or a larger --validation-split`;
}

/** Train, export, verify and describe a model. */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const o = resolveOptions(options);
  const { series, source, rows, C, W, per, scaler, all, nTrain, train, val } = trainingWindows(options, o);
  const backend = await selectBackend(o.backend);
  options.onStart?.({ backend, trainWindows: train.count, valWindows: val.count, rows, channels: series.channels });

  const code = o.code ?? defaultCode(o.base, C);
  noteUnwise(o, code, W, C, options.onNote);
  const spec = buildSpec({
    arch: o.arch, window: W, channels: C, code, hidden: o.hidden, kernel: o.kernel, base: o.base, loss: o.loss,
    noise: { kind: o.noiseKind, level: o.noise }, l1: o.l1, beta: o.beta,
  });
  const model = new Autoencoder(spec, o.seed);
  // Robust fit: the last rows of the ceil(W / stride) - 1 windows before a window lie inside it.
  const trim = o.contamination !== 0 ? { contamination: o.contamination, radius: Math.ceil(W / o.stride) - 1 } : undefined;
  const fitted = await fit(model, train, val, {
    epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, patience: o.patience, seed: o.seed, onEpoch: options.onEpoch, trim,
    engine: o.engine, threads: o.threads, onEngine: options.onEngine,
  });

  // Export, then score every window through ONNX Runtime: the card describes what the runtime will see.
  const outBase = resolve(options.out.replace(/\.(json|onnx)$/, ''));
  const name = basename(outBase);
  makeDirs(dirname(outBase));
  const versions = trainingVersions();
  const span = o.span ?? defaultSpan(W);
  // recon-prob: L decodes of the scored (trailing span) rows per window.
  const eps = o.score === 'recon-prob' ? reconProbNoise(o.samples, code, o.seed) : undefined;
  const checkSet = val.count > 0 ? { from: nTrain, count: val.count } : { from: 0, count: Math.min(nTrain, 512) };
  const out = await exportScored(model, all, checkSet, { meta: { vigil: versions.vigil, name }, eps, samples: o.samples, span });
  const g = out.graph;
  const onnxPath = `${outBase}.onnx`;
  const diff = out.maxAbsDiff;
  const L = eps ? o.samples : 0;
  // Robust fit: the final model ranks every window once more; what it sets aside stays out of the residual model,
  // the statistics and the threshold (an incident's scores would raise the bar it is measured against).
  const robust = trim && robustSetAside(all.data, out.recon, all.count, per, nTrain, trim);
  // A residual covariance from a handful of windows is noise: tiny files keep the squared error.
  let score = o.score;
  if (score === 'mahalanobis' && nTrain < MIN_MAHALANOBIS_WINDOWS) {
    score = 'error';
    options.onNote?.(`only ${nTrain} training window(s): scoring by the reconstruction error (mahalanobis needs at least ${MIN_MAHALANOBIS_WINDOWS}; more rows or a shorter --window)${o.memory === 'on' ? '; without it there is no residual memory either' : ''}`);
  }
  const { scoring, trainStats, validationStats: valStats, threshold: calib } = cardScoring(all, out, { from: 0, count: nTrain }, { from: nTrain, count: val.count }, {
    window: W, channels: C, score, loss: o.loss, span, samples: o.samples, track: o.track, rows, trackDrift: o.trackDrift === 'on', trackInputs: o.trackInputs === 'on', trackTrend: o.trackTrend === 'on', trackBack: o.trackBack === 'on', memory: o.memory === 'on', spread: o.spread === 'on', stride: o.stride, ends: all.ends, thresholdRisk: o.thresholdRisk, setAside: robust?.mask, constant: scaler.floored,
  });
  // The bar is a tail fit over the calibration windows: a handful cannot place it (a probe's 50 rows: 10, unsaid).
  const calibrated = val.count > 0 ? val.count : nTrain;
  if (calibrated < MIN_CALIBRATION_WINDOWS) {
    options.onNote?.(`the threshold is calibrated on ${calibrated} ${val.count > 0 ? 'held-out' : 'training'} window(s) (a tail fit wants ${MIN_CALIBRATION_WINDOWS} or more): expect it to be misplaced; ${moreWindows(o.stride)}`);
  }

  const card: ModelCard = parseCard({
    format: 'vigil-model-card',
    formatVersion: CARD_FORMAT_VERSION,
    name,
    version: '1',
    createdAt: new Date().toISOString(),
    description: `${o.arch} autoencoder over ${W} rows x ${C} channel(s), trained on ${source}`,
    architecture: architectureRecord(o, spec, code, eps ? L : undefined),
    onnx: {
      file: `${name}.onnx`, sha256: sha256(g.bytes), opset: g.opset, inputName: g.inputName, outputName: g.outputName,
      inputShape: [-1, W, C], layout: 'NWC', extraOutputs: g.extraOutputs,
    },
    window: W,
    stride: o.stride,
    channels: series.channels,
    ...(o.ranges ? { ranges: o.ranges } : {}),
    scaler,
    scoring,
    errorStats: { train: trainStats, ...(valStats ? { validation: valStats } : {}) },
    // Static on held-out windows detects best of every kind through the trained model (bench/defaults.ts, train/README.md).
    threshold: { default: { kind: 'static' }, static: calib },
    training: trainingRecord(o, fitted, { source, rows, nTrain, nVal: val.count, backend, diff, robust, trim }),
    // The rows trained on, after column selection, fill, sort and dedupe: hash, time range, sampling interval.
    data: trainingDataOf(series),
    versions,
  }, `model card for ${name}`);
  const cardPath = `${outBase}.json`;
  // Both files replaced whole, the card last: a kill at any point leaves the previous model or the new one loadable.
  writeModelFiles(outBase, g.bytes, card);
  const { svgPath, setAsidePath } = writeSideFiles(outBase, fitted, robust, { series, all, nTrain, title: `${name} (${o.arch}, ${W}x${C})` });
  return { card, cardPath, onnxPath, svgPath, setAsidePath, backend, fit: fitted, exportMaxAbsDiff: diff, model, seconds: (performance.now() - t0) / 1000 };
}

type Resolved = ReturnType<typeof resolveOptions>;
type SetAside = ReturnType<typeof robustSetAside>;

/** The card's `architecture` section: the options that shaped the model and its layer list (what `vigil adapt` rebuilds it from). */
function architectureRecord(o: Resolved, spec: ModelSpec, code: number, samples: number | undefined) {
  return {
    kind: o.arch,
    loss: o.loss,
    // The architecture's training-only terms (denoising noise, sparse l1, vae beta) under their own keys.
    params: { base: o.base, hidden: o.hidden, code, kernel: o.base === 'conv' ? o.kernel : undefined, ...spec.terms, samples, layers: spec.layers },
  };
}

/** The card's `training` section: the split, the optimiser, epochs and losses, the backend, the export check, the robust fit. */
function trainingRecord(o: Resolved, fitted: FitResult, r: { source: string; rows: number; nTrain: number; nVal: number; backend: BackendChoice; diff: number; robust?: SetAside; trim?: { radius: number } }) {
  // The exported weights are the best epoch's (restored after early stopping): its losses describe them, not the last epoch's.
  const shipped = fitted.history.find((h) => h.epoch === fitted.bestEpoch) ?? fitted.history[fitted.history.length - 1];
  const last = fitted.history[fitted.history.length - 1];
  return {
    data: r.source, rows: r.rows, trainWindows: r.nTrain, validationWindows: r.nVal, validationSplit: o.validationSplit, split: 'chronological',
    epochs: fitted.history.length, maxEpochs: o.epochs, bestEpoch: fitted.bestEpoch, stoppedEarly: fitted.stoppedEarly,
    batchSize: o.batchSize, learningRate: o.learningRate, optimizer: 'adam', patience: o.patience, seed: o.seed,
    loss: shipped.loss, valLoss: Number.isFinite(shipped.valLoss) ? shipped.valLoss : null, bestLoss: fitted.bestLoss,
    lastEpochLoss: last.loss, lastEpochValLoss: Number.isFinite(last.valLoss) ? last.valLoss : null,
    engine: fitted.engine, backend: r.backend.name, backendDescription: r.backend.description, seconds: fitted.seconds, exportMaxAbsDiff: r.diff,
    fill: o.fill,
    outliers: o.outliers,
    contamination: r.robust ? robustRecord(o.contamination, r.trim!.radius, r.robust, r.nTrain, r.nVal) : { setting: 0 },
  };
}

/** NAME.loss.svg, and NAME.setaside.csv after a robust fit (removed after a plain one). */
function writeSideFiles(outBase: string, fitted: FitResult, robust: SetAside | undefined, d: { series: Series; all: { ends: Int32Array }; nTrain: number; title: string }) {
  const svgPath = `${outBase}.loss.svg`;
  const windowsView = robust && { ends: d.all.ends, timestamps: d.series.timestamps, errors: robust.errors, setAside: robust.mask, validationFrom: d.nTrain };
  writeFileAtomic(svgPath, lossCurveSvg(fitted.history, fitted.bestEpoch, d.title, windowsView));
  // A plain fit leaves no list behind: a stale one from an earlier robust fit would describe another model.
  const setAsidePath = robust ? `${outBase}.setaside.csv` : undefined;
  if (robust) writeFileAtomic(setAsidePath!, setAsideCsv(d.series, d.all.ends, robust.errors, robust.mask, d.nTrain));
  else rmSync(`${outBase}.setaside.csv`, { force: true });
  return { svgPath, setAsidePath };
}

/**
 * Settings `vigil train` accepts but that make a weak detector, said once each (a probe: each was taken silently):
 * a dense code as wide as its input is no bottleneck, the model copies faults through; no held-out share calibrates
 * the bar on windows the model fitted; a BCE model's score saturates on values outside the training range.
 */
function noteUnwise(o: ReturnType<typeof resolveOptions>, code: number, W: number, C: number, onNote?: (note: string) => void): void {
  if (o.base === 'dense' && code >= W * C) onNote?.(`--code ${code} is no bottleneck for windows of ${W} x ${C} = ${W * C} values: the model can copy its input, faults included (a code well under ${W * C}, or the default, makes it learn what normal looks like)`);
  if (o.validationSplit === 0) onNote?.('--validation-split 0: the threshold is calibrated on windows the model was fitted to, which it reconstructs better than new data: expect more false alarms (the default holds the last 20 % of rows out)');
  if (o.loss === 'bce') onNote?.('--loss bce: live values outside the training range clip to 0 or 1 and its score saturates, so large faults look alike (F1 0.18 on the architecture benchmark, train/README.md); mse, the default, is the one to use on sensor data');
}
