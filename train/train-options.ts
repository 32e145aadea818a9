/**
 * The options of `trainModel`: what each means, their defaults (from `OPTION_TABLE`, the one table `vigil train`
 * builds its flags from) and the checks that reject bad values with what was expected.
 */
import type { FillPolicy, Series } from '@vigil/runtime';
import { describeIssues } from '@vigil/runtime/util/describe-issues.ts';
import { RangesSchema, type Ranges } from '@vigil/runtime/model/ranges.ts';
import type { Scaler } from '@vigil/runtime/scaling/scaler.ts';
import type { BackendChoice } from './backend.ts';
import { defaultHidden, OPTION_TABLE } from './defaults.ts';
import { TRAIN_ENGINES, type TrainEngineName } from './engine.ts';
import type { EpochInfo } from './fit.ts';
import { OUTLIER_POLICIES, type OutlierPolicy } from './outliers.ts';
import { architecture, ARCHITECTURES, bodyOf, SAMPLING_ARCHITECTURES, type ArchName } from './models/architectures.ts';
import { parseContamination, type Contamination } from './robust.ts';

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
  /** Gross outliers in the training data (train/outliers.ts): error (default) | ffill | keep. */
  outliers?: OutlierPolicy;
  span?: number;
  /** Window score: reconstruction error, or (vae) reconstruction probability. */
  score?: 'mahalanobis' | 'error' | 'recon-prob';
  /** recon-prob: decoded draws per window. */
  samples?: number;
  /** mahalanobis: residual mean tracking rate per clearly normal window (0 = off). */
  track?: number;
  /** mahalanobis with track: level uncertainty per channel from the held-out windows (`ResidualTracking.drift`). */
  trackDrift?: 'on' | 'off';
  /** mahalanobis with track: inputs shifted by offsets that follow the residual (`ResidualTracking.input`). */
  trackInputs?: 'on' | 'off';
  /** mahalanobis with track inputs: trending channels' offsets follow in every window (`ResidualTracking.trend`). */
  trackTrend?: 'on' | 'off';
  trackBack?: 'on' | 'off';
  /** mahalanobis with track: a MEWMA of the residual scored beside each window (`ResidualModel.memory`). */
  memory?: 'on' | 'off';
  /** The inputs' spread scored beside each window (`Scoring.spread`, runtime/scoring/spread.ts). */
  spread?: 'on' | 'off';
  /** Robust fit: 'auto', or the share of windows to set aside (0 = off, the plain fit). See train/robust.ts. */
  contamination?: Contamination;
  channels?: string[];
  /** Columns that are neither channels nor kept. */
  ignore?: string[];
  /** Sort rows by time (a repeated timestamp keeps its first row) instead of failing on the first out of order. */
  sort?: boolean;
  /** Data rows to train on (`--rows`): [from, to), counted from 0 after the header (after --sort). */
  rows?: { from: number; to: number };
  /** Physical range per channel (`--range CH=MIN:MAX`): recorded in the card; a training row outside is an error. */
  ranges?: Ranges;
  backend?: string;
  /** What computes the gradient steps (train/engine.ts): auto | onnxruntime | tfjs. */
  engine?: TrainEngineName;
  /** ONNX Runtime intra-op threads of the onnxruntime engine. */
  threads?: number;
  /** Told what the data reader and scaler did on their own (label columns set aside, constant channels). */
  onNote?: (note: string) => void;
  /** Called after each epoch (progress bars). */
  onEpoch?: (e: EpochInfo) => void | Promise<void>;
  /** Told which engine computes the gradient steps, before the first epoch. */
  onEngine?: (name: string) => void;
  /** Called once the backend is chosen and the data is windowed, before the first epoch. */
  onStart?: (info: { backend: BackendChoice; trainWindows: number; valWindows: number; rows: number; channels: string[] }) => void;
}

type Table = typeof OPTION_TABLE;
/** Each option's default from the table, typed, so resolving an option needs no cast. */
const D = Object.fromEntries(Object.entries(OPTION_TABLE).map(([k, v]) => [k, 'default' in v ? v.default : undefined])) as
  { [K in keyof Table]: Table[K] extends { default: infer V } ? V : undefined };

/** Throw `msg` unless `cond`. */
export function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** Reject an unknown --engine or a --threads that is not a positive integer. */
export function checkEngine(engine: string | undefined, threads: number | undefined): void {
  check(engine === undefined || (TRAIN_ENGINES as readonly string[]).includes(engine), `--engine must be one of ${TRAIN_ENGINES.join(', ')}, got '${engine}'`);
  check(threads === undefined || (Number.isInteger(threads) && threads >= 1), `--threads must be a whole number >= 1, got ${threads}`);
}

/** Resolve defaults and reject bad values with what was expected. */
export function resolveOptions(o: TrainOptions) {
  const arch = o.arch ?? D.arch;
  architecture(arch); // unknown names are rejected with the list of known ones
  const base = bodyOf(arch, o.base ?? D.base);
  check(base === 'dense' || base === 'conv', `--base must be dense or conv, got '${base}'`);
  // --base picks the body of the architectures that have none of their own; elsewhere it was silently ignored (a probe).
  check(o.base === undefined || o.base === base, `--base ${o.base} applies to --arch ${ARCHITECTURES.filter((a) => architecture(a).body === 'base').join(', ')} (their body); --arch ${arch} is ${base} through and through`);
  const loss = o.loss ?? D.loss;
  check(loss === 'mse' || loss === 'bce', `--loss must be mse or bce, got '${loss}'`);
  const scaler: Scaler['kind'] = o.scaler ?? (loss === 'bce' ? 'minmax' : 'standard');
  check(scaler === 'standard' || scaler === 'minmax', `--scaler must be standard or minmax, got '${scaler}'`);
  check(!(loss === 'bce' && scaler !== 'minmax'), '--loss bce needs --scaler minmax (BCE compares values in [0, 1])');
  checkEngine(o.engine, o.threads);
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
    outliers: (o.outliers ?? D.outliers) as OutlierPolicy,
    backend: o.backend ?? D.backend,
    engine: o.engine ?? (D.engine as TrainEngineName),
    threads: o.threads ?? D.threads,
    hidden: o.hidden ?? defaultHidden(base),
    code: o.code,
    span: o.span,
    // Mahalanobis needs signed residuals of an mse model; a bce model keeps its own error.
    score: o.score ?? (loss === 'bce' ? 'error' : D.score),
    samples: o.samples ?? D.samples,
    track: o.track ?? D.track,
    trackDrift: o.trackDrift ?? D.trackDrift,
    trackInputs: o.trackInputs ?? D.trackInputs,
    trackTrend: o.trackTrend ?? D.trackTrend,
    trackBack: o.trackBack ?? D.trackBack,
    memory: o.memory ?? D.memory,
    spread: o.spread ?? D.spread,
    contamination: parseContamination(o.contamination ?? D.contamination),
    ranges: o.ranges && checkedRanges(o.ranges),
  };
  // 0 stands for the default inside (it depends on the rows); given, 0 is refused like any other non-stride.
  check(o.stride === undefined || (Number.isInteger(o.stride) && o.stride >= 1), `--stride must be an integer >= 1, got ${o.stride}`);
  // Each with its own least value, so the message a 0 gets names a value that is taken (a probe: '>= 1' for --window 0,
  // then '>= 2' for --window 1).
  for (const [k, least] of [['window', 2], ['epochs', 1], ['batchSize', 1], ['patience', 1], ['kernel', 1]] as const) {
    check(Number.isInteger(r[k]) && r[k] >= least, `--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} must be an integer >= ${least}, got ${r[k]}`);
  }
  check(Number.isInteger(r.seed), `--seed must be an integer, got ${r.seed}`);
  check(r.learningRate > 0 && r.learningRate < 1, `--lr must be in (0, 1), got ${r.learningRate}`);
  check(r.validationSplit >= 0 && r.validationSplit < 0.9, `--validation-split must be in [0, 0.9), got ${r.validationSplit}`);
  check(r.thresholdRisk > 0 && r.thresholdRisk < 0.1, `--threshold-risk must be in (0, 0.1), got ${r.thresholdRisk}`);
  check(['error', 'ffill', 'zero'].includes(r.fill), `--fill must be error, ffill or zero, got '${r.fill}'`);
  check(OUTLIER_POLICIES.includes(r.outliers), `--outliers must be ${OUTLIER_POLICIES.join(', ')}, got '${r.outliers}'`);
  check(r.noiseKind === 'gaussian' || r.noiseKind === 'mask', `--noise-kind must be gaussian or mask, got '${r.noiseKind}'`);
  // A mask drops each input with probability --noise: at 1 or more every input is dropped and the model learns nothing.
  check(r.noiseKind !== 'mask' || (r.noise > 0 && r.noise < 1), `--noise-kind mask drops each input with probability --noise, which must be in (0, 1), got ${r.noise}`);
  check(['mahalanobis', 'error', 'recon-prob'].includes(r.score), `--score must be mahalanobis, error or recon-prob, got '${r.score}'`);
  check(r.score !== 'mahalanobis' || loss === 'mse', '--score mahalanobis measures signed residuals of an mse model; use --loss mse or --score error');
  check(r.score !== 'recon-prob' || architecture(arch).samplesCode === true, `--score recon-prob needs --arch ${SAMPLING_ARCHITECTURES.join(' or ')} (it samples the code), got --arch ${arch}`);
  check(r.score !== 'recon-prob' || loss === 'mse', '--score recon-prob models p(x|z) as a Gaussian; use --loss mse');
  check(r.trackDrift === 'on' || r.trackDrift === 'off', `--track-drift must be on or off, got '${r.trackDrift}'`);
  check(r.trackInputs === 'on' || r.trackInputs === 'off', `--track-inputs must be on or off, got '${r.trackInputs}'`);
  check(r.trackTrend === 'on' || r.trackTrend === 'off', `--track-trend must be on or off, got '${r.trackTrend}'`);
  check(r.trackBack === 'on' || r.trackBack === 'off', `--track-back must be on or off, got '${r.trackBack}'`);
  check(r.memory === 'on' || r.memory === 'off', `--memory must be on or off, got '${r.memory}'`);
  check(r.spread === 'on' || r.spread === 'off', `--spread must be on or off, got '${r.spread}'`);
  check(r.track >= 0 && r.track <= 0.1, `--track must be in [0, 0.1], got ${r.track}`);
  // The memory lives in the tracked residual state: without it the option would be dropped without a word.
  check(r.memory === 'off' || (r.score === 'mahalanobis' && r.track > 0), `--memory on needs --score mahalanobis and --track > 0 (it runs in the tracked residual state), got --score ${r.score} --track ${r.track}`);
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
