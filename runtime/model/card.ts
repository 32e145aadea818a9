/**
 * The model card: `NAME.json` beside `NAME.onnx`. Everything the runtime needs to feed the model and judge
 * its output travels here: input layout, window, channels, scaler, error statistics, threshold calibration.
 */
import { z } from 'zod';
import { ScalerSchema } from '../scaling/scaler.ts';
import { RangesSchema, rangesProblem } from './ranges.ts';
import { describeIssues } from '../util/describe-issues.ts';
import { LineageSchema } from './lineage.ts';

export { LineageSchema, type Lineage } from './lineage.ts';

/** Current card format version; loaders refuse other versions. */
export const CARD_FORMAT_VERSION = 1;

/** Summary statistics of reconstruction errors over a set of windows. */
export const ErrorStatsSchema = z.object({
  count: z.number().int().nonnegative(),
  mean: z.number(),
  std: z.number(),
  /** Quantiles keyed by level, e.g. `"0.99"`. */
  quantiles: z.record(z.string(), z.number()),
  max: z.number(),
  perChannel: z.object({
    mean: z.array(z.number()),
    std: z.array(z.number()),
    q99: z.array(z.number()),
  }),
});
/** Error statistics. */
export type ErrorStats = z.infer<typeof ErrorStatsSchema>;

/**
 * VAE reconstruction probability (An & Cho 2015): the model's extra output `output` holds `samples` decodes
 * of each window's trailing `rows` rows, `[N, samples, rows, C]`, from fixed seeded draws
 * z = mean + exp(logvar / 2) * eps baked into the graph; p(x|z) is Gaussian with a fixed per-channel variance
 * estimated from held-out residuals.
 */
export const ReconProbSchema = z.object({
  /** Name of the ONNX output with the decoded samples (listed in `onnx.extraOutputs`). */
  output: z.string().min(1),
  /** L: decoded samples per window. */
  samples: z.number().int().positive(),
  /** Trailing rows of the window each sample covers (>= scoring.span). */
  rows: z.number().int().positive(),
  /** Decoder variance per channel, in scaled units (> 0). */
  variance: z.array(z.number().positive()),
  /** How the variance was obtained. */
  method: z.string(),
});
/** Reconstruction-probability settings. */
export type ReconProb = z.infer<typeof ReconProbSchema>;

/**
 * Residual model of `mahalanobis` scoring (runtime/scoring/mahalanobis.ts): mean and inverse shrunk covariance
 * of the per-channel span residuals the model leaves on normal windows.
 */
export const ResidualModelSchema = z.object({
  mean: z.array(z.number()),
  /** C x C, row-major. */
  precision: z.array(z.number()),
  shrinkage: z.number().min(0).max(1),
  windows: z.number().int().positive(),
  method: z.string(),
  /** Residual mean following slow normal drift per sensor (runtime/scoring/mahalanobis.ts `ResidualTracking`). */
  tracking: z.object({ rate: z.number().min(0).max(1), below: z.number().positive(), drift: z.array(z.number().finite().nonnegative()).optional(), input: z.number().min(0).max(1).optional(), trend: z.array(z.number().finite().nonnegative()).optional(), back: z.boolean().optional() }).optional(),
  /** A multivariate EWMA of the residual, scored beside each window's own (runtime/scoring/residual-memory.ts). */
  memory: z.object({ lambda: z.number().gt(0).max(1), scale: z.number().positive().finite(), clip: z.number().positive(), method: z.string() }).optional(),
});

/**
 * How `bce` scoring keeps the log finite: the target (the scaled input) is clipped to [targetMin, targetMax] and the
 * reconstruction to [eps, 1 - eps] (live data beyond the training range scales outside [0, 1]).
 */
export const BceClipSchema = z
  .object({ targetMin: z.number(), targetMax: z.number(), eps: z.number().positive().max(0.5) })
  .refine((b) => b.targetMin < b.targetMax, { message: 'expected targetMin < targetMax', path: ['targetMax'] });
/** BCE clipping rule. */
export type BceClip = z.infer<typeof BceClipSchema>;
/** The rule of every card written before the card carried it (and of every card written since: train records it). */
export const BCE_CLIP_DEFAULT: BceClip = { targetMin: 0, targetMax: 1, eps: 1e-7 };

/** The rows a model was trained on (`card.data`, written by runtime/model/training-data.ts `trainingDataOf`). */
export const TrainingDataSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** How the hash was computed (training-data.ts `TRAINING_DATA_HASH`). */
  hash: z.string(),
  rows: z.number().int().nonnegative(),
  /** First and last timestamp (ISO 8601, UTC). */
  from: z.string(),
  to: z.string(),
  /** Sampling interval: the median step between consecutive timestamps, ms (null below two rows). */
  intervalMs: z.number().nonnegative().nullable(),
});
/** Training-data record. */
export type TrainingData = z.infer<typeof TrainingDataSchema>;

/** How a window's reconstruction becomes a score. */
export const ScoringSchema = z.object({
  /**
   * Per-element error: squared error, binary cross-entropy on [0,1]-scaled data, `recon-prob`: the VAE's
   * negative log reconstruction probability, averaged over `reconProb.samples` decodes (needs `reconProb`), or
   * `mahalanobis`: the span residual's Mahalanobis distance from the residuals of normal windows (needs `residual`).
   */
  error: z.enum(['mse', 'bce', 'recon-prob', 'mahalanobis']),
  /** Number of trailing time steps of the window averaged into the score (1..window). */
  span: z.number().int().positive(),
  /** Required when `error` is `recon-prob`. */
  reconProb: ReconProbSchema.optional(),
  /** Required when `error` is `mahalanobis`. */
  residual: ResidualModelSchema.optional(),
  /** `bce` only: the clipping rule; absent on older cards, which were scored with `BCE_CLIP_DEFAULT`. */
  bceClip: BceClipSchema.optional(),
  /** Spread (runtime/scoring/spread.ts): absent on older cards and with `vigil train --spread off`, which score without it. */
  spread: z.object({
    /** Per channel: the mean square successive difference of the scaled input on the training windows (floored). */
    reference: z.array(z.number().positive().finite()),
    /** The channels it judges: those that moved in training (indexes into `channels`). */
    channels: z.array(z.number().int().nonnegative()),
    center: z.number().finite(),
    limit: z.number().finite(),
    scale: z.number().positive().finite(),
    method: z.string(),
  }).refine((s) => s.limit > s.center, { message: 'expected limit > center', path: ['limit'] }).optional(),
  /**
   * Channels constant over the training windows (indexes into `channels`): held at their training value for the
   * model, judged on their own deviation (runtime/scoring/constant-inputs.ts). Absent: none (older cards fed them).
   */
  constant: z.array(z.number().int().nonnegative()).optional(),
  /**
   * Where each channel was in training (runtime/scoring/seen-range.ts): per channel the lowest and highest mean of a
   * window's last `span` rows, scaled. Alerts name the channels a window has outside it. Absent on older cards.
   */
  seen: z.object({ low: z.array(z.number().finite()), high: z.array(z.number().finite()), method: z.string() })
    .refine((s) => s.low.length === s.high.length && s.low.every((l, c) => l <= s.high[c]), { message: 'expected low and high of one length, low <= high' }).optional(),
  /** Stuck sensors (runtime/scoring/flatline.ts): absent on older cards, which never flag them. */
  flatline: z.object({
    /** Channels that never held exactly still over a training window (indexes into `channels`). */
    channels: z.array(z.number().int().nonnegative()),
    /** The score a window gets when one of them holds exactly still over it (above the static threshold). */
    score: z.number().positive(),
    method: z.string(),
  }).optional(),
});
/** Scoring settings. */
export type Scoring = z.infer<typeof ScoringSchema>;

/** A serialisable threshold configuration: `{ kind, ...params }`. Validated by the threshold factory. */
export const ThresholdConfigSchema = z.object({ kind: z.string() }).passthrough();
/** Threshold config. */
export type ThresholdConfig = z.infer<typeof ThresholdConfigSchema>;

/** The full model card schema. */
export const ModelCardSchema = z.object({
  format: z.literal('vigil-model-card'),
  formatVersion: z.number().int(),
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  description: z.string().optional(),
  architecture: z.object({
    kind: z.string(),
    loss: z.enum(['mse', 'bce']),
    params: z.record(z.string(), z.unknown()),
  }),
  onnx: z.object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    opset: z.number().int().min(13),
    inputName: z.string(),
    outputName: z.string(),
    /** `[-1, window, channels]`: batch first, time-major, channels fastest. */
    inputShape: z.tuple([z.literal(-1), z.number().int().positive(), z.number().int().positive()]),
    layout: z.literal('NWC'),
    /** Extra named outputs (e.g. the code `latent`, VAE `logvar`). */
    extraOutputs: z.record(z.string(), z.array(z.number())).optional(),
  }),
  window: z.number().int().positive(),
  stride: z.number().int().positive(),
  channels: z.array(z.string()).min(1),
  /**
   * Physical range per channel, `{ channel: [min, max] }` (runtime/model/ranges.ts): readings outside are refused
   * as `out_of_range` (and signalled), training rows outside are an error. Editable by hand: the checksum covers
   * only the .onnx.
   */
  ranges: RangesSchema.optional(),
  scaler: ScalerSchema,
  scoring: ScoringSchema,
  errorStats: z.object({ train: ErrorStatsSchema, validation: ErrorStatsSchema.optional() }),
  threshold: z.object({
    /** The threshold the runtime uses unless config says otherwise. */
    default: ThresholdConfigSchema,
    /** Static calibration: score level and how it was derived. */
    static: z.object({ value: z.number(), method: z.string() }),
  }),
  training: z.record(z.string(), z.unknown()),
  /** The rows the model was trained on: hash, time range, sampling interval (absent on older cards). */
  data: TrainingDataSchema.optional(),
  versions: z.record(z.string(), z.string()),
  /** Set by `vigil adapt`: the parent model, data and validation figures of a fine-tuned model. */
  lineage: LineageSchema.optional(),
});
/** A validated model card. */
export type ModelCard = z.infer<typeof ModelCardSchema>;

/**
 * The model's weights as alerts, /health and vigil_provider_info name them: the first 12 hex digits of its ONNX file's
 * sha256 (two trainings of one name and version differ only there).
 */
export function weightsOf(card: Pick<ModelCard, 'onnx'>): string {
  return card.onnx.sha256.slice(0, 12);
}

/** Validate a parsed card; throws a readable error that names the file, key and expectation. */
export function parseCard(json: unknown, where = 'model card'): ModelCard {
  const fv = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (fv !== undefined && fv !== CARD_FORMAT_VERSION) {
    throw new Error(`${where}: card format version ${String(fv)} is not supported; expected ${CARD_FORMAT_VERSION}`);
  }
  const res = ModelCardSchema.safeParse(json);
  if (!res.success) throw new Error(describeIssues(res.error, where, ModelCardSchema));
  const card = res.data;
  if (card.onnx.inputShape[1] !== card.window || card.onnx.inputShape[2] !== card.channels.length) {
    throw new Error(`${where}: onnx.inputShape ${JSON.stringify(card.onnx.inputShape)} does not match window ${card.window} x ${card.channels.length} channels; expected [-1, ${card.window}, ${card.channels.length}]`);
  }
  if (card.scaler.offset.length !== card.channels.length || card.scaler.scale.length !== card.channels.length) {
    throw new Error(`${where}: scaler has ${card.scaler.offset.length} channels; expected ${card.channels.length} (one per channel)`);
  }
  const badRanges = card.ranges && rangesProblem(card.ranges, card.channels);
  if (badRanges) throw new Error(`${where}: ${badRanges}`);
  if (card.scoring.span > card.window) throw new Error(`${where}: scoring.span ${card.scoring.span} exceeds window ${card.window}`);
  const constant = card.scoring.constant ?? [];
  const badConstant = constant.find((c, i) => c >= card.channels.length || constant.indexOf(c) !== i);
  if (badConstant !== undefined) throw new Error(`${where}: scoring.constant names channel ${badConstant}${badConstant >= card.channels.length ? `; expected indexes below ${card.channels.length}` : ' twice; expected each channel once'}`);
  const seen = card.scoring.seen;
  if (seen && seen.low.length !== card.channels.length) throw new Error(`${where}: scoring.seen has ${seen.low.length} channels; expected ${card.channels.length} (one per channel)`);
  if (card.scoring.error === 'recon-prob') checkReconProb(card, where);
  if (card.scoring.error === 'mahalanobis') checkResidual(card, where);
  return card;
}

/** A mahalanobis card must carry a residual model sized for its channels. */
function checkResidual(card: ModelCard, where: string): void {
  const r = card.scoring.residual;
  const C = card.channels.length;
  if (!r) throw new Error(`${where}: scoring.error 'mahalanobis' needs scoring.residual { mean, precision, shrinkage, windows, method }`);
  if (r.mean.length !== C || r.precision.length !== C * C) {
    throw new Error(`${where}: scoring.residual has ${r.mean.length} means and ${r.precision.length} precision entries; expected ${C} and ${C * C} (C = ${C} channels)`);
  }
  const drift = r.tracking?.drift;
  if (drift && drift.length !== C) throw new Error(`${where}: scoring.residual.tracking.drift has ${drift.length} entries; expected one per channel (${C})`);
  const trend = r.tracking?.trend;
  if (trend && trend.length !== C) throw new Error(`${where}: scoring.residual.tracking.trend has ${trend.length} entries; expected one per channel (${C})`);
  if (trend?.some((t) => t > 0) && !r.tracking?.input) throw new Error(`${where}: scoring.residual.tracking.trend moves input offsets, which need scoring.residual.tracking.input; retrain with --track-inputs on, or remove trend`);
  if (r.memory && !r.tracking) throw new Error(`${where}: scoring.residual.memory needs scoring.residual.tracking (the memory lives in each sensor's tracked state); retrain with --track above 0, or without --memory on`);
}

/** A recon-prob card must say where the samples come from, and their shape must fit the window. */
function checkReconProb(card: ModelCard, where: string): void {
  const rp = card.scoring.reconProb;
  if (!rp) throw new Error(`${where}: scoring.error 'recon-prob' needs scoring.reconProb { output, samples, rows, variance, method }`);
  if (rp.variance.length !== card.channels.length) {
    throw new Error(`${where}: scoring.reconProb.variance has ${rp.variance.length} values; expected ${card.channels.length} (one per channel)`);
  }
  if (rp.rows > card.window || rp.rows < card.scoring.span) {
    throw new Error(`${where}: scoring.reconProb.rows ${rp.rows} must be in span..window (${card.scoring.span}..${card.window}): the samples must cover the scored rows`);
  }
  const shape = card.onnx.extraOutputs?.[rp.output];
  const want = [-1, rp.samples, rp.rows, card.channels.length];
  if (!shape || shape.length !== 4 || shape.some((d, i) => d !== want[i])) {
    throw new Error(`${where}: scoring.reconProb.output '${rp.output}' must be listed in onnx.extraOutputs with shape ${JSON.stringify(want)}; got ${shape ? JSON.stringify(shape) : 'nothing'}`);
  }
}
