/**
 * `trainModel(options)`: CSV (or a Series) in; NAME.onnx, NAME.json (validated model card) and NAME.loss.svg out.
 * Read -> scale -> window -> chronological split -> fit -> export -> check the .onnx in ONNX Runtime -> score
 * train/validation windows with the runtime's own scorer -> calibrate -> card.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  applyScaler, CARD_FORMAT_VERSION, describeIssues, fitScaler, parseCard, RangesSchema, rangesProblem, rowCount, sha256, slidingWindows, trainingDataOf, type FillPolicy,
  type ModelCard, type Ranges, type Scaler, type Series,
} from '@vigil/runtime';
import { selectBackend, type BackendChoice } from './backend.ts';
import { defaultCode, defaultHidden, defaultSpan, defaultStride, OPTION_TABLE } from './defaults.ts';
import { fit, type EpochInfo, type FitResult } from './fit.ts';
import { architecture, bodyOf, buildSpec, SAMPLING_ARCHITECTURES, type ArchName } from './models/architectures.ts';
import { Autoencoder } from './models/autoencoder.ts';
import { reconProbNoise } from './models/recon-prob.ts';
import { cardScoring, exportScored } from './score-exported.ts';
import { lossCurveSvg } from './plot.ts';
import { parseContamination, robustRecord, robustSetAside, type Contamination } from './robust.ts';
import { setAsideCsv } from './setaside-csv.ts';
import { constantChannelNotes, trainingSeries } from './training-data.ts';
import { trainingVersions } from './versions.ts';
import { writeModelFiles } from './write-model.ts';
import { writeFileAtomic } from '@vigil/runtime/util/atomic-write.ts';

/** Options of `trainModel`; everything but data/out has a default (see `OPTION_TABLE`). */
export interface TrainOptions {
  /** CSV path, or an already-read series. */
  data: string | Series;
  /** `DIR/NAME`: where NAME.onnx, NAME.json and NAME.loss.svg go. */
  out: string;
  arch?: ArchName;
  window?: number;
  stride?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  code?: number;
  hidden?: number[];
  kernel?: number;
  base?: 'dense' | 'conv';
  loss?: 'mse' | 'bce';
  noise?: number;
  noiseKind?: 'gaussian' | 'mask';
  l1?: number;
  beta?: number;
  seed?: number;
  validationSplit?: number;
  /** Static threshold calibration: accepted chance that a normal window scores above it. */
  thresholdRisk?: number;
  scaler?: Scaler['kind'];
  fill?: FillPolicy;
  span?: number;
  /** Window score: reconstruction error, or (vae) reconstruction probability. */
  score?: 'mahalanobis' | 'error' | 'recon-prob';
  /** recon-prob: decoded draws per window. */
  samples?: number;
  /** mahalanobis: residual mean tracking rate per clearly normal window (0 = off). */
  track?: number;
  /** Robust fit: 'auto', or the share of windows to set aside (0 = off, the plain fit). See train/robust.ts. */
  contamination?: Contamination;
  channels?: string[];
  /** Columns that are neither channels nor kept. */
  ignore?: string[];
  /** Sort rows by time (a repeated timestamp keeps its first row) instead of failing on the first out of order. */
  sort?: boolean;
  /** Physical range per channel (`--range CH=MIN:MAX`): recorded in the card; a training row outside is an error. */
  ranges?: Ranges;
  backend?: string;
  /** Told what the data reader and scaler did on their own (label columns set aside, constant channels). */
  onNote?: (note: string) => void;
  /** Called after each epoch (progress bars). */
  onEpoch?: (e: EpochInfo) => void | Promise<void>;
  /** Called once the backend is chosen and the data is windowed, before the first epoch. */
  onStart?: (info: { backend: BackendChoice; trainWindows: number; valWindows: number; rows: number; channels: string[] }) => void;
}

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

type Table = typeof OPTION_TABLE;
/** Each option's default from the table, typed, so resolving an option needs no cast. */
const D = Object.fromEntries(Object.entries(OPTION_TABLE).map(([k, v]) => [k, 'default' in v ? v.default : undefined])) as
  { [K in keyof Table]: Table[K] extends { default: infer V } ? V : undefined };

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** Resolve defaults and reject bad values with what was expected. */
export function resolveOptions(o: TrainOptions) {
  const arch = o.arch ?? D.arch;
  architecture(arch); // unknown names are rejected with the list of known ones
  const base = bodyOf(arch, o.base ?? D.base);
  check(base === 'dense' || base === 'conv', `--base must be dense or conv, got '${base}'`);
  const loss = o.loss ?? D.loss;
  check(loss === 'mse' || loss === 'bce', `--loss must be mse or bce, got '${loss}'`);
  const scaler: Scaler['kind'] = o.scaler ?? (loss === 'bce' ? 'minmax' : 'standard');
  check(scaler === 'standard' || scaler === 'minmax', `--scaler must be standard or minmax, got '${scaler}'`);
  check(!(loss === 'bce' && scaler !== 'minmax'), '--loss bce needs --scaler minmax (BCE compares values in [0, 1])');
  const r = {
    arch, base, loss, scaler,
    window: o.window ?? D.window,
    stride: o.stride ?? 0,
    epochs: o.epochs ?? D.epochs,
    batchSize: o.batchSize ?? D.batchSize,
    learningRate: o.learningRate ?? D.learningRate,
    patience: o.patience ?? D.patience,
    kernel: o.kernel ?? D.kernel,
    noise: o.noise ?? D.noise,
    noiseKind: o.noiseKind ?? D.noiseKind,
    l1: o.l1 ?? D.l1,
    beta: o.beta ?? D.beta,
    seed: o.seed ?? D.seed,
    validationSplit: o.validationSplit ?? D.validationSplit,
    thresholdRisk: o.thresholdRisk ?? D.thresholdRisk,
    fill: o.fill ?? D.fill,
    backend: o.backend ?? D.backend,
    hidden: o.hidden ?? defaultHidden(base),
    code: o.code,
    span: o.span,
    // Mahalanobis needs signed residuals of an mse model; a bce model keeps its own error.
    score: o.score ?? (loss === 'bce' ? 'error' : D.score),
    samples: o.samples ?? D.samples,
    track: o.track ?? D.track,
    contamination: parseContamination(o.contamination ?? D.contamination),
    ranges: o.ranges && checkedRanges(o.ranges),
  };
  check(r.stride === 0 || (Number.isInteger(r.stride) && r.stride >= 1), `--stride must be an integer >= 1, got ${r.stride}`);
  for (const k of ['window', 'epochs', 'batchSize', 'patience', 'kernel'] as const) {
    check(Number.isInteger(r[k]) && r[k] >= 1, `--${k} must be an integer >= 1, got ${r[k]}`);
  }
  check(r.window >= 2, `--window must be >= 2, got ${r.window}`);
  check(Number.isInteger(r.seed), `--seed must be an integer, got ${r.seed}`);
  check(r.learningRate > 0 && r.learningRate < 1, `--lr must be in (0, 1), got ${r.learningRate}`);
  check(r.validationSplit >= 0 && r.validationSplit < 0.9, `--validation-split must be in [0, 0.9), got ${r.validationSplit}`);
  check(r.thresholdRisk > 0 && r.thresholdRisk < 0.1, `--threshold-risk must be in (0, 0.1), got ${r.thresholdRisk}`);
  check(['error', 'ffill', 'zero'].includes(r.fill), `--fill must be error, ffill or zero, got '${r.fill}'`);
  check(r.noiseKind === 'gaussian' || r.noiseKind === 'mask', `--noise-kind must be gaussian or mask, got '${r.noiseKind}'`);
  check(['mahalanobis', 'error', 'recon-prob'].includes(r.score), `--score must be mahalanobis, error or recon-prob, got '${r.score}'`);
  check(r.score !== 'mahalanobis' || loss === 'mse', '--score mahalanobis measures signed residuals of an mse model; use --loss mse or --score error');
  check(r.score !== 'recon-prob' || architecture(arch).samplesCode === true, `--score recon-prob needs --arch ${SAMPLING_ARCHITECTURES.join(' or ')} (it samples the code), got --arch ${arch}`);
  check(r.score !== 'recon-prob' || loss === 'mse', '--score recon-prob models p(x|z) as a Gaussian; use --loss mse');
  check(r.track >= 0 && r.track <= 0.1, `--track must be in [0, 0.1], got ${r.track}`);
  check(Number.isInteger(r.samples) && r.samples >= 1 && r.samples <= 256, `--samples must be an integer in 1..256, got ${r.samples}`);
  check(r.span === undefined || (Number.isInteger(r.span) && r.span >= 1 && r.span <= r.window), `--span must be an integer in 1..window (${r.window}), got ${r.span}`);
  return r;
}

/** `--range` values as the card will hold them, or a message naming the key and what was expected. */
function checkedRanges(ranges: Ranges): Ranges | undefined {
  const res = RangesSchema.safeParse(ranges);
  if (!res.success) throw new Error(describeIssues(res.error, '--range').replace('\n  ', ' '));
  return Object.keys(res.data).length ? res.data : undefined;
}

/** Fewest fitted windows a residual covariance is estimated from (`--score mahalanobis`). */
export const MIN_MAHALANOBIS_WINDOWS = 10;

/** Train, export, verify and describe a model. */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const o = resolveOptions(options);
  // Label columns (label, anomaly, changepoint, ...) are ground truth, never channels: every command reads CSVs by this rule.
  // Rows outside a declared physical range are not normal operation: refused, never filled.
  const series = trainingSeries(options.data, { fill: o.fill, channels: options.channels, ignore: options.ignore, sort: options.sort, ranges: o.ranges, onNote: options.onNote });
  const badRanges = o.ranges && rangesProblem(o.ranges, series.channels);
  check(!badRanges, `--range: ${badRanges}`);
  const rows = rowCount(series);
  const C = series.channels.length;
  const W = o.window;
  const source = typeof options.data === 'string' ? options.data : '<series>';
  check(rows >= W + 1, `${source}: ${rows} rows but --window is ${W}; expected at least ${W + 1} rows (or a shorter --window)`);

  if (o.stride === 0) o.stride = defaultStride(rows);
  const backend = await selectBackend(o.backend);
  const scaler = fitScaler(o.scaler, series.data, C);
  for (const note of constantChannelNotes(series.channels, scaler.floored, scaler.scale, scaler.offset)) options.onNote?.(note);
  const scaled = applyScaler(scaler, series.data);
  const all = slidingWindows(scaled, C, W, o.stride);
  // Chronological hold-out: windows ending in the last fraction of rows validate; none of their rows past the
  // split were ever trained on, so validation errors look like tomorrow's data rather than yesterday's.
  const splitRow = o.validationSplit > 0 ? Math.round(rows * (1 - o.validationSplit)) : rows;
  let nTrain = 0;
  while (nTrain < all.count && all.ends[nTrain] < splitRow) nTrain++;
  const per = W * C;
  const train = { data: all.data.subarray(0, nTrain * per), count: nTrain };
  const val = { data: all.data.subarray(nTrain * per, all.count * per), count: all.count - nTrain };
  check(nTrain >= 1, `${source}: no training windows before the validation split (${rows} rows, window ${W}); lower --validation-split or --window`);
  options.onStart?.({ backend, trainWindows: train.count, valWindows: val.count, rows, channels: series.channels });

  const code = o.code ?? defaultCode(o.base, C);
  const spec = buildSpec({
    arch: o.arch, window: W, channels: C, code, hidden: o.hidden, kernel: o.kernel, base: o.base, loss: o.loss,
    noise: { kind: o.noiseKind, level: o.noise }, l1: o.l1, beta: o.beta,
  });
  const model = new Autoencoder(spec, o.seed);
  // Robust fit: the last rows of the ceil(W / stride) - 1 windows before a window lie inside it.
  const trim = o.contamination !== 0 ? { contamination: o.contamination, radius: Math.ceil(W / o.stride) - 1 } : undefined;
  const fitted = await fit(model, train, val, {
    epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, patience: o.patience, seed: o.seed, onEpoch: options.onEpoch, trim,
  });

  // Export, then score every window through ONNX Runtime: the card describes what the runtime will see.
  const outBase = resolve(options.out.replace(/\.(json|onnx)$/, ''));
  const name = basename(outBase);
  mkdirSync(dirname(outBase), { recursive: true });
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
    options.onNote?.(`only ${nTrain} training window(s): scoring by the reconstruction error (mahalanobis needs at least ${MIN_MAHALANOBIS_WINDOWS}; more rows or a shorter --window)`);
  }
  const { scoring, trainStats, validationStats: valStats, threshold: calib } = cardScoring(all, out, { from: 0, count: nTrain }, { from: nTrain, count: val.count }, {
    window: W, channels: C, score, loss: o.loss, span, samples: o.samples, track: o.track, thresholdRisk: o.thresholdRisk, setAside: robust?.mask,
  });

  const last = fitted.history[fitted.history.length - 1];
  const card: ModelCard = parseCard({
    format: 'vigil-model-card',
    formatVersion: CARD_FORMAT_VERSION,
    name,
    version: '1',
    createdAt: new Date().toISOString(),
    description: `${o.arch} autoencoder over ${W} rows x ${C} channel(s), trained on ${source}`,
    architecture: {
      kind: o.arch,
      loss: o.loss,
      // The architecture's training-only terms (denoising noise, sparse l1, vae beta) under their own keys.
      params: { base: o.base, hidden: o.hidden, code, kernel: o.base === 'conv' ? o.kernel : undefined, ...spec.terms, samples: eps ? L : undefined, layers: spec.layers },
    },
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
    training: {
      data: source, rows, trainWindows: nTrain, validationWindows: val.count, validationSplit: o.validationSplit, split: 'chronological',
      epochs: fitted.history.length, maxEpochs: o.epochs, bestEpoch: fitted.bestEpoch, stoppedEarly: fitted.stoppedEarly,
      batchSize: o.batchSize, learningRate: o.learningRate, optimizer: 'adam', patience: o.patience, seed: o.seed,
      loss: last.loss, valLoss: Number.isFinite(last.valLoss) ? last.valLoss : null, bestLoss: fitted.bestLoss,
      backend: backend.name, backendDescription: backend.description, seconds: fitted.seconds, exportMaxAbsDiff: diff,
      fill: o.fill,
      contamination: robust ? robustRecord(o.contamination, trim!.radius, robust, nTrain, val.count) : { setting: 0 },
    },
    // The rows trained on, after column selection, fill, sort and dedupe: hash, time range, sampling interval.
    data: trainingDataOf(series),
    versions,
  }, `model card for ${name}`);
  const cardPath = `${outBase}.json`;
  // Both files replaced whole, the card last: a kill at any point leaves the previous model or the new one loadable.
  writeModelFiles(outBase, g.bytes, card);
  const svgPath = `${outBase}.loss.svg`;
  const windowsView = robust && { ends: all.ends, timestamps: series.timestamps, errors: robust.errors, setAside: robust.mask, validationFrom: nTrain };
  writeFileAtomic(svgPath, lossCurveSvg(fitted.history, fitted.bestEpoch, `${name} (${o.arch}, ${W}x${C})`, windowsView));
  // A plain fit leaves no list behind: a stale one from an earlier robust fit would describe another model.
  const setAsidePath = robust ? `${outBase}.setaside.csv` : undefined;
  if (robust) writeFileAtomic(setAsidePath!, setAsideCsv(series, all.ends, robust.errors, robust.mask, nTrain));
  else rmSync(`${outBase}.setaside.csv`, { force: true });
  return { card, cardPath, onnxPath, svgPath, setAsidePath, backend, fit: fitted, exportMaxAbsDiff: diff, model, seconds: (performance.now() - t0) / 1000 };
}
