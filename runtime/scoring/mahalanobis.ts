/**
 * Residual Mahalanobis scoring (as MSET and PCA monitoring judge residuals): each window's signed
 * reconstruction residual, averaged per channel over the trailing `span` rows, is measured against the
 * residuals the model leaves on normal data: `score = (r - mean)' P (r - mean) / C`, with P the inverse of a
 * Ledoit-Wolf shrunk covariance. A fault that breaks the usual relationship between channels' residuals, or
 * moves a channel whose residual is normally tiny, scores high even when its squared error is small, and a
 * channel the model always reconstructs badly no longer dominates the score.
 */
import type { BatchScores } from './reconstruction.ts';
import { LevelWalk } from './level-drift.ts';
import { markCause } from './cause.ts';
import { memoryAt, remember, type ResidualMemory } from './residual-memory.ts';
import { invertSpd, quadraticForm } from './spd.ts';
import { backToTrained, returnMeans } from './trained-level.ts';
import { anchorAfter, anchorBefore, type Anchor, type AnchorAt } from './re-anchor.ts';

export { invertSpd } from './spd.ts';
export { residualVariance, stateFrom, trackedState } from './level-drift.ts';

/** What the card stores for Mahalanobis scoring (`scoring.residual`). */
export interface ResidualModel {
  /** Mean span residual per channel on the fitting windows (scaled units). */
  mean: number[];
  /** Inverse of the shrunk residual covariance, C x C row-major. */
  precision: number[];
  /** Ledoit-Wolf shrinkage weight towards a scaled identity, in [0, 1]. */
  shrinkage: number;
  /** Windows the covariance was estimated from. */
  windows: number;
  method: string;
  /** Following slow normal drift: see `ResidualTracking`. Absent: the mean stays as trained. */
  tracking?: ResidualTracking;
  /**
   * A persistent small shift, remembered across windows (residual-memory.ts): the window scores the larger of its own
   * statistic and the memory's. Needs `tracking` (the memory lives in the tracked state). Absent: each window alone.
   */
  memory?: ResidualMemory;
}

/**
 * How a sensor's residual mean follows slow normal change (a channel drifting out of the trained range leaves
 * a steady residual the model cannot explain): after each window scoring below `below`, the mean moves a
 * fraction `rate` of the way to that window's residual. Windows at or above `below` (well under the alert
 * level) never move it, so a fault is not learnt while it is visible, and one that creeps in below it is
 * learnt at most at `rate` per window.
 */
export interface ResidualTracking {
  rate: number;
  below: number;
  /**
   * How far each channel's residual level may wander per scored window (one per reading; with `window.stride` s
   * the runtime adds it once per s readings, so the allowance grows s times slower: more alerts, not fewer), as a
   * variance (scaled units², C values; runtime/scoring/level-drift.ts): the level is then followed as a random walk, a window is
   * scored against Σ + diag(p) with p the level's uncertainty (it grows by `drift` every window, shrinks with every
   * window learnt from), and the gain is max(`rate`, the Kalman gain). Learning stays gated on the score without p
   * (`below`). Estimated at training from the held-out windows (train/level-drift.ts `levelDrift`); a channel that
   * did not wander there has 0 and keeps its full weight and the slow `rate`. Absent: the mean moves at `rate` only.
   */
  drift?: number[];
  /**
   * Inputs follow too (runtime/scoring/input-offsets.ts): each sensor's windows are shifted by per-channel offsets
   * before the model sees them, and after each window under `below` the offsets move this fraction of the way that
   * cancels the window's residual, so a channel drifting out of the trained range stays in it for the model.
   * `vigil train` sets it to `rate` (`--track-inputs`). Absent: inputs reach the model as measured.
   */
  input?: number;
  /**
   * Channels that climbed steadily through training (train/trend.ts, `vigil train --track-trend`): their input offset
   * follows the residual in every window, under the gate or not, by at most this much per scored window (scaled units,
   * C values, 0 for a channel without a trend; one window per reading, so with `window.stride` s it follows s times
   * slower), so a climb at the pace training saw stays in the trained range while a fault shows by what it adds.
   * Needs `input`. Absent: every offset follows only under the gate.
   */
  trend?: number[];
  /**
   * false: no way back to the trained level (runtime/scoring/trained-level.ts, `vigil train --track-back off`): the
   * tracked state moves only by learning from windows under the gate. Absent or true: a window the trained level
   * explains a gate better, and puts under the gate, steps the means and offsets back towards it.
   */
  back?: boolean;
}

/** Per-channel residual of each window averaged over its trailing `span` rows: N x C. */
export function spanResiduals(input: Float32Array, output: Float32Array, n: number, window: number, channels: number, span: number): Float64Array {
  const out = new Float64Array(n * channels);
  const start = window - span;
  for (let i = 0; i < n; i++) {
    const base = i * window * channels;
    for (let t = start; t < window; t++) {
      const row = base + t * channels;
      for (let c = 0; c < channels; c++) out[i * channels + c] += input[row + c] - output[row + c];
    }
    for (let c = 0; c < channels; c++) out[i * channels + c] /= span;
  }
  return out;
}

/**
 * Fit the residual model on span residuals (N x C) of windows the model reconstructs as normal. Ledoit-Wolf
 * (2004) picks the shrinkage from the data, so a few hundred windows of many channels still give a
 * well-conditioned covariance; a small floor keeps channels whose residual never moved invertible.
 */
export function fitResidualModel(
  residuals: Float64Array, channels: number, source: string,
  /**
   * Per channel, the least residual variance to assume (scaled units²; absent or 0: none). A channel constant in
   * training (its scale floored) leaves no residual to measure, about 0, and a later change of one unit then scored in
   * the billions (a probe: a setpoint 50 -> 51 at 4,310x, an alert that never closed and hid three faults); floored at
   * its scale (1), its residual is judged as the scaler judges its value.
   */
  minVariance?: ArrayLike<number>,
): ResidualModel {
  const n = Math.floor(residuals.length / channels);
  if (n < 2) throw new Error(`fitResidualModel: need at least 2 windows, got ${n}`);
  const p = channels;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) mean[c] += residuals[i * p + c];
  for (let c = 0; c < p; c++) mean[c] /= n;
  const S = new Float64Array(p * p);
  const x = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < p; c++) x[c] = residuals[i * p + c] - mean[c];
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) S[a * p + b] += x[a] * x[b];
  }
  for (let a = 0; a < p; a++) for (let b = a; b < p; b++) S[b * p + a] = S[a * p + b] /= n;
  let trace = 0;
  for (let a = 0; a < p; a++) trace += S[a * p + a];
  const mu = trace / p;
  // Ledoit-Wolf: d2 = ||S - mu I||^2, b2 = mean ||x x' - S||^2 / n, shrinkage = min(b2, d2) / d2.
  let d2 = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) d2 += (S[a * p + b] - (a === b ? mu : 0)) ** 2;
  let b2 = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < p; c++) x[c] = residuals[i * p + c] - mean[c];
    let s = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += (x[a] * x[b] - S[a * p + b]) ** 2;
    b2 += s;
  }
  b2 /= n * n;
  const shrinkage = d2 > 0 ? Math.min(b2, d2) / d2 : 1;
  const floor = Math.max(mu * 1e-6, 1e-12);
  const cov = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) cov[a * p + b] = (1 - shrinkage) * S[a * p + b] + (a === b ? shrinkage * mu + floor : 0);
  }
  let floored = 0;
  for (let a = 0; a < p; a++) {
    const least = minVariance ? minVariance[a] : 0;
    if (!(least > cov[a * p + a])) continue;
    // Its covariances with the others go too: what it never did in training predicts nothing of them.
    for (let b = 0; b < p; b++) cov[a * p + b] = cov[b * p + a] = 0;
    cov[a * p + a] = least;
    floored++;
  }
  return {
    mean: Array.from(mean),
    precision: Array.from(invertSpd(cov, p)),
    shrinkage,
    windows: n,
    method: `Ledoit-Wolf shrunk covariance of span residuals on ${n} ${source} windows${floored ? `; ${floored} channel(s) constant in training at their scale's variance` : ''}`,
  };
}

/**
 * Scores of N windows (N x W x C, time-major) against their reconstructions. `perChannel[c]` is channel c's
 * reconstruction-based contribution (Alcala & Qin 2009), `(P d)_c² / P_cc / C`: how far the score would fall if
 * channel c's residual alone were replaced by what the others' usual relationship predicts of it (with level drift,
 * P d is (Σ + diag(p))^-1 d, over P's own diagonal). Never negative; for a fault on one channel it is about the whole
 * score, and channels that move together can add up to more than it. It names the faulty channel where the terms
 * of the sum, `d_c (P d)_c / C`, blamed healthy ones: a channel tightly coupled to others (pump speed, current and
 * pressure under the affinity laws) has a large precision, so a small side effect of a fault on its reconstruction
 * outweighed a 17-sd move of the faulty channel (a probe: a bearing fault blamed `speed` 50 %, `vibration_rms` 16 %).
 * On the bench's pumps the faulty channel tops 95 % of alerted fault rows this way, 91 % by the terms.
 */
export function mahalanobisScores(
  input: Float32Array,
  output: Float32Array,
  n: number,
  window: number,
  channels: number,
  span: number,
  model: ResidualModel,
  /** The tracked residual mean of window i's sensor (updated in place when `model.tracking` is set). */
  meanOf?: (i: number) => Float64Array,
  /** Windows nothing is learnt from where non-zero (a stuck sensor's: flatline.ts). */
  hold?: ArrayLike<number>,
  /** The input offsets each window was shifted by (N x C; input-offsets.ts), for the way back to the trained level and re-anchoring. */
  applied?: Float64Array,
  /** The re-anchoring of window i's sensor in progress (re-anchor.ts), when there is one, with the window's index. */
  anchorOf?: (i: number) => AnchorAt | undefined,
  /**
   * Per window held (`hold`) by a stuck sensor alone, 1 + that sensor's channel (flatline.ts `flatWindows`), else 0:
   * the other channels still learn from it.
   */
  stuck?: ArrayLike<number>,
): BatchScores {
  if (model.mean.length !== channels || model.precision.length !== channels * channels) {
    throw new Error(`mahalanobisScores: scoring.residual has ${model.mean.length} means and ${model.precision.length} precision entries; expected ${channels} and ${channels * channels}`);
  }
  const r = spanResiduals(input, output, n, window, channels, Math.min(span, window));
  const P = model.precision;
  const scores = new Float32Array(n);
  const perChannel = new Float32Array(n * channels);
  const d = new Float64Array(channels);
  const track = meanOf && model.tracking;
  const walk = track && track.drift?.length === channels ? new LevelWalk(model, track.drift) : undefined;
  const y = new Float64Array(channels);
  const x = new Float64Array(channels);
  const mem = meanOf && model.memory;
  const at = mem ? memoryAt(model) : -1;
  const own = at >= 0 ? new Float32Array(n) : undefined;
  // The window's sensor's memory, worked on here and written back: a view of it per window was ~90 bytes each.
  const memo = at >= 0 ? new Float64Array(channels) : undefined;
  const out: BatchScores = { scores, perChannel, ...(own ? { own } : {}) };
  const d0 = track ? new Float64Array(channels) : undefined;
  const y0 = track ? new Float64Array(channels) : undefined;
  for (let i = 0; i < n; i++) {
    const mean = meanOf ? meanOf(i) : model.mean;
    const anchored = track ? anchorOf?.(i) : undefined;
    const pending = anchored && !anchored.anchor.moved;
    if (anchored) anchorBefore(anchored.anchor, anchored.index, mean as Float64Array, model);
    for (let c = 0; c < channels; c++) d[c] = r[i * channels + c] - mean[c];
    const raw = quadraticForm(P, d, channels, y) / channels;
    // The level's uncertainty lives after the means (trackedState); a state without it is scored as certain.
    const state = walk && mean.length >= 2 * channels ? (mean as Float64Array) : undefined;
    if (state) {
      walk!.predict(state);
      walk!.weigh(y, state, x);
    }
    const weighed = state ? x : y;
    let total = 0;
    for (let a = 0; a < channels; a++) {
      total += (d[a] * weighed[a]) / channels;
      perChannel[i * channels + a] = contribution(weighed[a], P[a * channels + a], channels);
    }
    scores[i] = total;
    // The memory: the larger statistic is the score, and its channels' contributions are the window's.
    if (own) own[i] = total;
    if (at >= 0 && mean.length >= at + channels) {
      for (let c = 0; c < channels; c++) memo![c] = mean[at + c];
      const q = mem!.scale * remember(memo!, d, raw, P, channels, mem!, y);
      for (let c = 0; c < channels; c++) (mean as Float64Array)[at + c] = memo![c];
      if (q > total) {
        markCause(out, i, n, 'memory');
        for (let a = 0; a < channels; a++) perChannel[i * channels + a] = mem!.scale * contribution(y[a], P[a * channels + a], channels);
        scores[i] = q;
      }
    }
    // Learning: a window normal without the drift allowance (raw) is learnt at the Kalman gain; one only excused by it
    // at the slow rate, the bound a fault creeping in under the gate always had; one above the gate, never (it may only
    // step the state back to the trained level, trained-level.ts). Gated on
    // the window's own statistic, not the memory's: the memory only adds alerts, so a memory wrongly on where levels
    // wander cannot also stop the tracker from following them (tried: on the pump set that doubled false alarms).
    if (!track) continue;
    // An operator said the sensor's present behaviour is normal, or back to training: the window goes into the
    // average its state is set from (or is passed over: in flight, or held), whatever it scored, and teaches the
    // means and the offsets nothing (re-anchor.ts; input-offsets.ts reads `anchored`).
    const took = anchored !== undefined && anchorAfter(anchored.anchor, r, i, channels, applied, anchored.index, mean as Float64Array, model, !!(hold && hold[i]));
    // Begun or done in this window (a return to training before it was scored, anchorBefore): the alert it closes says so.
    if (pending && (anchored.anchor.moved || !anchored.anchor.announced)) markAt(out, i, anchored.anchor);
    if (took) {
      (out.anchored ??= new Uint8Array(n))[i] = 1;
      continue;
    }
    // A stuck sensor's window teaches its own channel nothing (its residual is the fault), but the other channels' levels
    // go on moving meanwhile (on the 10 Hz pumps a temperature, through 500 rows of a stuck voltage, then left the alert
    // open for want of a level learnt since): under the gate they learn from it as from any window. Nothing else that
    // holds a window (the spread past its limit) says which channel to leave out: nothing is learnt from those.
    const stuckAt = hold && hold[i] ? (stuck?.[i] ?? 0) - 1 : -1;
    if (hold && hold[i] && (stuckAt < 0 || channels < 2)) continue;
    // Far over the gate against what it learnt, normal against the trained level: the way back (trained-level.ts).
    if (stuckAt < 0 && backToTrained(r, i, channels, total, model, applied, d0!, y0!)) {
      returnMeans(mean as Float64Array, model);
      (out.back ??= new Uint8Array(n))[i] = 1;
    }
    if (!(total < track.below)) continue;
    if (state) walk!.learn(d, state, track.rate, raw < track.below, stuckAt);
    else for (let c = 0; c < channels; c++) if (c !== stuckAt) (mean as Float64Array)[c] += track.rate * d[c];
  }
  return out;
}

/** Record that the operator's re-anchoring `a` began or completed in window i (the alert it closes says so). */
function markAt(out: BatchScores, i: number, a: Anchor): void {
  (out.marks ??= [])[i] = { command: a.kind, ...(a.by !== undefined ? { by: a.by } : {}), done: a.moved !== undefined, windows: a.windows };
  a.announced = true;
}

/** Channel c's reconstruction-based contribution from `(P d)_c` and `P_cc`, per channel like the score. */
function contribution(pd: number, pcc: number, channels: number): number {
  return (pd * pd) / pcc / channels;
}
