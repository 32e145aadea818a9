/**
 * From a fitted tfjs autoencoder to the numbers of its card, shared by `vigil train` and `vigil adapt`:
 * export the ONNX graph, run windows through ONNX Runtime (the card describes what the runtime will see) and
 * check it against tfjs, then build the scoring model, error statistics and static threshold.
 */
import { holdingConstants } from '@vigil/runtime/scoring/constant-inputs.ts';
import { FLATLINE_MIN_RANGE, movingChannels } from '@vigil/runtime/scoring/flatline.ts';
import { fitSeen } from '@vigil/runtime/scoring/seen-range.ts';
import { BCE_CLIP_DEFAULT, type ErrorStats, type Scoring } from '@vigil/runtime/model/card.ts';
import { fitResidualModel, spanResiduals, type ResidualModel } from '@vigil/runtime/scoring/mahalanobis.ts';
import { resolveSession } from '@vigil/runtime/inference/resolve.ts';
import { scoreOutputs } from '@vigil/runtime/scoring/score-outputs.ts';
import type { BatchScores } from '@vigil/runtime/scoring/reconstruction.ts';
import { applySpread, spreadReference, spreadScores, successiveDifferences } from '@vigil/runtime/scoring/spread.ts';
import { MEMORY_LAMBDA, MEMORY_PERSISTENCE, memoryClip, memoryStatistics, type ResidualMemory } from '@vigil/runtime/scoring/residual-memory.ts';
import { calibrateStatic, DEFAULT_CALIBRATION, errorStats } from './calibrate.ts';
import { trackingRate } from './tracking-rate.ts';
import { fitSpread } from './spread-calibration.ts';
import { exportOnnx, type ExportedGraph } from './export/graph.ts';
import type { WindowBatch } from './fit.ts';
import type { Autoencoder } from './models/autoencoder.ts';
import { decoderVariance } from './models/recon-prob.ts';
import { inputTrends } from './trend.ts';
import { levelDrift } from './level-drift.ts';

/** A run of windows inside a `WindowBatch`: `[from, from + count)`. */
export interface WindowRange {
  from: number;
  count: number;
}

/** What `exportScored` produced. */
export interface ExportedScored {
  graph: ExportedGraph;
  /** ONNX Runtime reconstruction of every window (N x W x C). */
  recon: Float32Array;
  /** recon-prob: ONNX Runtime sampled decodes (N x L x span x C); empty otherwise. */
  samples: Float32Array;
  /** Max |tfjs - ONNX Runtime| over `check`. */
  maxAbsDiff: number;
}

/**
 * Every window of `all` through ONNX Runtime (cpu, else wasm) in batches of 1,024: the reconstruction and, when
 * `samples` names an extra output of `per` values per window, those too.
 */
export async function reconstructAll(
  req: { onnx: Uint8Array; inputName: string; outputName: string; window: number; channels: number },
  all: WindowBatch,
  samples?: { output: string; per: number },
  /** The card's scoring, when it holds channels constant for the model (runtime/scoring/constant-inputs.ts). */
  scoring?: Scoring,
): Promise<{ recon: Float32Array; samples: Float32Array }> {
  const per = req.window * req.channels;
  const sper = samples?.per ?? 0;
  const resolved = await resolveSession(['cpu', 'wasm'], req);
  const session = scoring ? holdingConstants(resolved.session, scoring, req.window, req.channels) : resolved.session;
  const recon = new Float32Array(all.count * per);
  const extra = new Float32Array(all.count * sper);
  try {
    for (let s = 0; s < all.count; s += 1024) {
      const m = Math.min(1024, all.count - s);
      const r = await session.run(all.data.subarray(s * per, (s + m) * per), m);
      recon.set(r.reconstruction.subarray(0, m * per), s * per);
      if (samples) extra.set(r.extra[samples.output].subarray(0, m * sper), s * sper);
    }
  } finally {
    await session.close();
  }
  return { recon, samples: extra };
}

/**
 * Export `model`, reconstruct every window of `all` through ONNX Runtime and compare the `check` windows with
 * tfjs; a disagreement above 1e-3 is a bug and throws.
 */
export async function exportScored(
  model: Autoencoder, all: WindowBatch, check: WindowRange,
  o: { meta: Record<string, string>; eps?: Float32Array; samples: number; span: number },
): Promise<ExportedScored> {
  const { spec } = model;
  const W = spec.window;
  const C = spec.channels;
  const per = W * C;
  const { eps, span } = o;
  const graph = exportOnnx(spec, model.weights(), { meta: o.meta, ...(eps ? { samples: { eps, rows: span } } : {}) });
  const sper = (eps ? o.samples : 0) * span * C;
  const { recon, samples } = await reconstructAll(
    { onnx: graph.bytes, inputName: graph.inputName, outputName: graph.outputName, window: W, channels: C }, all, eps ? { output: 'samples', per: sper } : undefined,
  );
  const input = all.data.subarray(check.from * per, (check.from + check.count) * per);
  const tfRecon = model.predict(input, check.count);
  let diff = 0;
  for (let i = 0; i < tfRecon.length; i++) diff = Math.max(diff, Math.abs(tfRecon[i] - recon[check.from * per + i]));
  if (eps) {
    const tfSamples = model.decodeSamples(input, check.count, eps, span);
    for (let i = 0; i < tfSamples.length; i++) diff = Math.max(diff, Math.abs(tfSamples[i] - samples[check.from * sper + i]));
  }
  if (!(diff <= 1e-3)) throw new Error(`exported model disagrees with the trained one (max |diff| ${diff}); please report this as a bug`);
  return { graph, recon, samples, maxAbsDiff: diff };
}

/** How to score and calibrate. */
export interface CardScoringOptions {
  window: number;
  channels: number;
  score: 'mahalanobis' | 'error' | 'recon-prob';
  loss: 'mse' | 'bce';
  span: number;
  /** recon-prob: decoded draws per window (the length of `eps` / code size). */
  samples: number;
  /** mahalanobis: residual mean tracking rate (0 = off). */
  track: number;
  /** Rows of the training series (fitted and held out): a long run tracks slower (tracking-rate.ts). Absent: `track` as given. */
  rows?: number;
  /** mahalanobis with `track`: estimate each channel's level drift from the held-out windows. */
  trackDrift?: boolean;
  /** mahalanobis with track: inputs follow at the same rate (`ResidualTracking.input`). */
  trackInputs?: boolean;
  /** with trackInputs: trending channels follow in every window (`ResidualTracking.trend`) */ trackTrend?: boolean;
  /** false: no way back to the trained level (`ResidualTracking.back`; absent: on) */ trackBack?: boolean;
  /** mahalanobis with track: a residual memory beside each window's score (`ResidualModel.memory`). */
  memory?: boolean;
  /** The inputs' spread beside each window's score (`Scoring.spread`, runtime/scoring/spread.ts). */
  spread?: boolean;
  /** Rows between consecutive windows of `all` (the drift is per row: the runtime scores a window per reading). */
  stride?: number;
  /** The row each window of `all` ends on (windows touching labelled rows are left out); default: i x stride. */
  ends?: Int32Array;
  thresholdRisk: number;
  /**
   * Channels constant in training, at 0 in `all` (the scaler's floored ones): `scoring.constant`, judged against their
   * scale rather than a residual variance of about 0 (runtime/scoring/constant-inputs.ts).
   */
  constant?: readonly number[];
  /**
   * Robust fit (train/robust.ts): 1 per window of `all` set aside as a likely incident; those windows stay out of
   * the residual model, the decoder variance, the statistics and the threshold.
   */
  setAside?: Uint8Array;
}

/** A stuck sensor's window scores this many times the static threshold: an alert, whatever smoothing or k-of-n asks. */
export const FLATLINE_BAR_MULTIPLE = 2;

/** The card's scoring section, error statistics and static threshold. */
export interface CardScoring {
  scoring: Scoring;
  trainStats: ErrorStats;
  validationStats?: ErrorStats;
  threshold: { value: number; method: string };
  /** Every window's score under `scoring` (N). */
  scores: Float32Array;
}

/**
 * Every window's score under `scoring`, as a card calibrated on `all` scores them: statically (no tracked state), and
 * without the stuck-sensor check, which no window a card was calibrated on sets off (its watch list is the channels
 * that moved in every one of them).
 */
export function calibrationScores(all: WindowBatch, out: ExportedScored, window: number, channels: number, scoring: Scoring): BatchScores {
  return scoreOutputs(all.data, { reconstruction: out.recon, extra: { samples: out.samples } }, all.count, window, channels, { ...scoring, flatline: undefined });
}

/**
 * Scoring model, statistics and threshold from the ONNX outputs of `all`: the residual model (mahalanobis) is
 * fitted on the `fitted` windows (the ones the model trained on), the decoder variance (recon-prob) and the
 * static threshold on the `heldOut` windows when there are any (the fitted ones otherwise): held-out scores
 * look like tomorrow's data, the fitted windows' own residuals are smaller.
 */
export function cardScoring(all: WindowBatch, out: ExportedScored, fitted: WindowRange, heldOut: WindowRange, o: CardScoringOptions): CardScoring {
  const { window: w, channels: c } = o;
  const per = w * c;
  const { span } = o;
  const calibSet = heldOut.count > 0 ? heldOut : fitted;
  const mask = o.setAside;
  const kept = (r: WindowRange) => {
    const k: number[] = [];
    for (let i = r.from; i < r.from + r.count; i++) if (!mask![i]) k.push(i);
    return k;
  };
  // The windows of a range that were not set aside, packed (the range itself when none was).
  const sub = (a: Float32Array, r: WindowRange, n: number) => {
    if (!mask || !mask.subarray(r.from, r.from + r.count).includes(1)) return a.subarray(r.from * n, (r.from + r.count) * n);
    const k = kept(r);
    const out = new Float32Array(k.length * n);
    k.forEach((i, j) => out.set(a.subarray(i * n, (i + 1) * n), j * n));
    return out;
  };
  const size = (r: WindowRange) => (mask ? r.count - mask.subarray(r.from, r.from + r.count).reduce((t, v) => t + v, 0) : r.count);
  const sper = o.score === 'recon-prob' ? o.samples * span * c : 0;
  // Channels constant in training (the scaler floored them): held at their training value for the model at run time.
  const constant = o.constant ?? [];
  let scoring: Scoring;
  if (o.score === 'recon-prob') {
    scoring = {
      error: 'recon-prob', span,
      reconProb: {
        output: 'samples', samples: o.samples, rows: span,
        variance: decoderVariance(sub(all.data, calibSet, per), sub(out.samples, calibSet, sper), size(calibSet), w, c, o.samples, span, span),
        method: `mean squared residual of ${o.samples} sampled decodes over the last ${span} rows of the ${heldOut.count > 0 ? 'validation' : 'training'} windows, per channel (floor 1e-4)`,
      },
    };
  } else if (o.score === 'mahalanobis') {
    const least = new Float64Array(c);
    for (const k of constant) least[k] = 1;
    scoring = { error: 'mahalanobis', span, residual: fitResidualModel(spanResiduals(sub(all.data, fitted, per), sub(out.recon, fitted, per), size(fitted), w, c, span), c, size(fitted) < fitted.count ? 'training (set-aside windows left out)' : 'training', least) };
  } else {
    // bce: the clipping rule travels with the card, so the runtime scores with the rule it was calibrated under.
    scoring = o.loss === 'bce' ? { error: 'bce', span, bceClip: { ...BCE_CLIP_DEFAULT } } : { error: o.loss, span };
  }
  if (constant.length > 0) scoring.constant = [...constant];
  const sc = calibrationScores(all, out, w, c, scoring);
  const stats = (r: WindowRange) => errorStats(sub(sc.scores, r, 1), sub(sc.perChannel, r, c), c);
  const threshold = calibrateStatic(sub(sc.scores, calibSet, 1), { ...DEFAULT_CALIBRATION, risk: o.thresholdRisk });
  // The calibration windows' span residuals, for the level drift and the memory (computed once, when one needs them).
  let calibResiduals: Float64Array | undefined;
  const calibRes = () => (calibResiduals ??= spanResiduals(sub(all.data, calibSet, per), sub(out.recon, calibSet, per), size(calibSet), w, c, span));
  // Only windows well under the alert level move a sensor's residual mean (runtime/scoring/mahalanobis.ts).
  if (scoring.residual && o.track > 0) {
    // Inputs follow where an input out of the trained range has other channels to spoil (input-offsets.ts); with one
    // channel the residual mean alone follows it (on NAB's one-channel files shifting too only added 2 false alarms).
    // A long training run saw its slow changes itself: the trackers remember for a share of it (tracking-rate.ts).
    const rate = trackingRate(o.track, o.rows ?? 0);
    scoring.residual.tracking = { rate, below: 0.5 * threshold.value, ...(o.trackInputs && c >= 2 ? { input: rate } : {}), ...(o.trackBack === false ? { back: false } : {}) };
    // With held-out windows, they are the calibration windows.
    if (o.trackDrift && size(heldOut) >= 2) scoring.residual.tracking.drift = levelDrift(scoring.residual, calibRes(), size(fitted), w, o.stride ?? 1);
    // All windows, at their rows (set-aside ones too: a trend is the rows', not the fit's).
    const trend = o.trackTrend && scoring.residual.tracking.input ? inputTrends(all.data, all.count, w, c, o.ends ? (i) => o.ends![i] : (i) => i * (o.stride ?? 1)) : [];
    if (trend.some((t) => t > 0)) scoring.residual.tracking.trend = trend;
    if (o.memory) scoring.residual.memory = fitMemory(scoring.residual, calibRes(), threshold.value, o.thresholdRisk, o.stride ?? 1, heldOut.count > 0 ? 'held-out' : 'training');
  }
  // The checks on the inputs alone (the spread, the stuck-sensor watch, the seen range) are fitted on every window the
  // model was given, fitted and held-out alike, set-aside ones (labelled faults, vigil adapt's canaries) excepted.
  const every = { from: 0, count: all.count };
  const given = { data: sub(all.data, every, per), count: size(every), source: mask ? 'training and held-out (set-aside windows left out)' : 'training and held-out' };
  // The inputs' spread (runtime/scoring/spread.ts): reference, median and limit on those windows; then every window's
  // score with it, as the runtime will score it.
  if (o.spread) {
    const diffs = successiveDifferences(given.data, given.count, w, c);
    const spread = fitSpread(spreadReference(diffs, c), diffs, threshold.value, o.thresholdRisk, given.source);
    if (spread) {
      scoring.spread = spread;
      // The differences of every window are those computed above unless some were set aside.
      const s = spreadScores(all.data, all.count, w, c, spread, undefined, given.count === all.count ? diffs : undefined);
      applySpread(sc, s.scaled, s.differences, spread, c);
    }
  }
  // Stuck sensors: channels that moved in every one of those windows (runtime/scoring/flatline.ts). No window of `all`
  // holds a watched channel still, so the scores above are what they would be with the check.
  const watched = movingChannels(given.data, given.count, w, c);
  if (watched.length > 0) {
    scoring.flatline = { channels: watched, score: FLATLINE_BAR_MULTIPLE * threshold.value, method: `channels that moved by >= ${FLATLINE_MIN_RANGE} (scaled) in each of the ${given.count} training and held-out windows${mask ? ' (set-aside windows left out)' : ''}; a window where one holds exactly still scores ${FLATLINE_BAR_MULTIPLE}x the static threshold` };
  }
  // Where the inputs were (runtime/scoring/seen-range.ts): alerts name channels a window has outside it.
  scoring.seen = fitSeen(given.data, given.count, w, c, span, given.source);
  return { scoring, trainStats: stats(fitted), ...(heldOut.count > 0 ? { validationStats: stats(heldOut) } : {}), threshold, scores: sc.scores };
}

/** Windows the memory's limit needs beyond its warm-up (about 1 / λ windows) to be calibrated at all. */
const MEMORY_MIN_WINDOWS = 20;

/**
 * The memory's calibration: its statistic over the calibration windows in time order (the first 1 / λ left out: the
 * memory starts at 0 and fills over them), a static limit at the same risk as the bar, and the scale that maps that
 * limit onto the bar. Windows `stride` rows apart are averaged with the weight `stride` streamed windows would
 * have had. Throws, saying what it needs, with too few windows for a limit.
 */
export function fitMemory(
  model: ResidualModel, residuals: Float64Array, bar: number, risk: number, stride: number, source: string,
  more = 'give more rows (or a larger --validation-split)',
): ResidualMemory {
  const lambda = 1 - (1 - MEMORY_LAMBDA) ** stride;
  // Calibrated unclipped, every window in: on normal windows the clip (a multiple of this limit) hardly ever acts.
  const q = memoryStatistics(residuals, model, { lambda, clip: Infinity });
  const warm = Math.ceil(1 / lambda - 1e-9);
  const need = `the residual memory's limit needs at least ${warm + MEMORY_MIN_WINDOWS} ${source} windows in time order`;
  if (q.length - warm < MEMORY_MIN_WINDOWS) throw new Error(`${need}, got ${q.length}: ${more}, or leave the memory off`);
  const limit = calibrateStatic(q.subarray(warm), { ...DEFAULT_CALIBRATION, risk });
  if (!(limit.value > 0)) throw new Error(`${need} whose residuals vary; on these ${q.length} its limit came out ${limit.value}: leave the memory off`);
  return {
    lambda: MEMORY_LAMBDA,
    scale: bar / limit.value,
    clip: Math.min(bar, memoryClip(limit.value)),
    method: `EWMA (lambda ${MEMORY_LAMBDA}) of the span residual, limit ${limit.value.toPrecision(4)} on ${q.length - warm} ${source} windows in order (${limit.method}), scaled onto the bar; a window enters it shrunk to the lower of the bar and what ${MEMORY_PERSISTENCE} windows in a row need to pass that limit`,
  };
}
