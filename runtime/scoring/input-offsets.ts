/**
 * Input offsets that follow a sensor's residual (`scoring.residual.tracking.input`): a channel that drifts slowly out
 * of the range the model was trained on (a bearing temperature following the ambient, a transmitter's zero) leaves
 * a residual, and an autoencoder fed inputs outside its training range also reconstructs the other channels worse,
 * differently at every operating point, which a residual mean alone cannot follow. So each sensor's windows are
 * shifted by a per-channel offset before the model sees them, and after each window scoring under the gate
 * (`tracking.below`) the offset moves a fraction `input` of the way that cancels its residual (against the card's
 * mean): the model keeps seeing inputs in the range it knows, and the residual mean tracker keeps following what is
 * left. A fault visible above the gate never moves the offset, but towards none when the trained level explains the
 * window (trained-level.ts); one creeping in under it moves it at `input` per window, the bound the residual mean
 * already had.
 *
 * The offsets live in the sensor's tracked state after the means and level uncertainties (level-drift.ts
 * `trackedState`), so they are saved, restored and handed over with them. Windows are shifted in the batch input
 * after it is assembled and put back after scoring, so the windows themselves (what the reservoir keeps for
 * fine-tuning) stay as measured. Each window is learnt as if scored one after another: a sensor with k windows in one
 * batch (a backlog) moves k sequential steps, never k times the same step. Which offsets a window is shifted by does
 * not depend on the batching either: those at the end of an earlier block of its sensor's windows (input-blocks.ts).
 */
import { spanResiduals, type ResidualModel } from './mahalanobis.ts';
import { assign, INPUT_BLOCK, learnt } from './input-blocks.ts';
import type { BatchScores } from './reconstruction.ts';
import { returnOffsets } from './trained-level.ts';

/** A shifted batch: per window (N x C) the offsets it was shifted by, and its index among its sensor's windows. */
export interface Shift {
  applied: Float64Array;
  /** Float64: a sensor's window count passes 2^31 after 250 days at 100 windows/s. */
  index: Float64Array;
}

/**
 * The most an input is shifted, in scaled units (training sd with the standard scaler). The step assumes the model
 * follows a level change of its input with its reconstruction no more than it did in training; on a channel the
 * model copies through (its residual barely answers a shift) a small lasting residual would otherwise wind the offset
 * up without bound. A level that moved further than this stays in the residual, where the level tracker and the
 * score see it. On the quality bench bounds of 2, 3 and 4 moved plant's figures by at most 0.001 F1 and 0.2 points
 * of false alarms (bench/results/quality/VARIANTS.md).
 */
export const MAX_INPUT_OFFSET = 3;

/**
 * The most a trending channel's input is shifted (`tracking.trend`): it is meant to follow the climb out of the
 * trained range, so the bound is far wider, but still one: a channel the model copies through, with a small lasting
 * residual, winds its offset up by at most its training slope per window, and stops here.
 */
export const MAX_TREND_OFFSET = 30;

/**
 * Offsets smaller than this (scaled units) are not applied: an offset learnt at rate 0.003 from residuals of sd
 * 0.1-0.3 wanders by about 0.004-0.012 on a channel that does not drift, and shifting a window by a twentieth of a
 * training sd changes nothing the model sees; the shift costs two passes over the window (about 1.8 us per window
 * of 64 x 8, 12-18 % of the conv model's own time), paid only for channels that have moved.
 */
export const MIN_INPUT_SHIFT = 0.05;

/** The residual model of a scoring whose inputs follow the residual (mahalanobis with `tracking.input`), else undefined. */
export function inputTracking(scoring: { error: string; residual?: ResidualModel }): ResidualModel | undefined {
  return scoring.error === 'mahalanobis' && scoring.residual?.tracking?.input ? scoring.residual : undefined;
}

/**
 * Windows per model call when scoring one series offline (`vigil score`, `encode`, `latent`): `requested`, but for a
 * card whose inputs follow the residual one block of the series' windows (input-blocks.ts), the most one batch may
 * hold of one sensor.
 */
export function offlineBatch(scoring: { error: string; residual?: ResidualModel }, requested: number): number {
  return inputTracking(scoring) ? Math.min(requested, INPUT_BLOCK) : requested;
}

const clamp = (v: number, bound: number): number => Math.max(-bound, Math.min(bound, v));

/** Where a tracked state's input offsets start (after C means and C level uncertainties), or -1 without them. */
export function offsetsAt(model: ResidualModel): number {
  return model.tracking?.input ? 2 * model.mean.length : -1;
}

/**
 * Shift each window of `input` (N x W x C, in its sensors' window order) by the offsets its sensor's clock gives it
 * (`stateOf(i)`, a tracked state; input-blocks.ts) and return them (N x C) with each window's index, or undefined
 * when the card does not track inputs (nothing changed). Each call assigns the windows their indices: call it once
 * per batch, as it is assembled.
 */
export function shiftInputs(input: Float32Array, n: number, W: number, C: number, model: ResidualModel, stateOf: (i: number) => Float64Array): Shift | undefined {
  const at = offsetsAt(model);
  if (at < 0) return undefined;
  const applied = new Float64Array(n * C);
  const index = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const given = assign(stateOf(i), at, C);
    index[i] = given.index;
    const base = i * W * C;
    for (let c = 0; c < C; c++) {
      const o = given.offsets[c];
      // An offset within the noise its own learning leaves is not applied (nor recorded as applied): most channels
      // of most sensors, whose windows then cost nothing here.
      if (!(Math.abs(o) >= MIN_INPUT_SHIFT)) continue;
      applied[i * C + c] = o;
      for (let t = 0; t < W; t++) input[base + t * C + c] -= o;
    }
  }
  return { applied, index };
}

/** Put back what `shiftInputs` took off (the windows' own values again, to float32 rounding: within 1e-7 of them). */
export function unshiftInputs(input: Float32Array, n: number, W: number, C: number, applied: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const base = i * W * C;
    for (let c = 0; c < C; c++) {
      const o = applied[i * C + c];
      if (o !== 0) for (let t = 0; t < W; t++) input[base + t * C + c] += o;
    }
  }
}

/**
 * Learn from a scored batch: window i (span residual r_i, N x C, measured with offsets `applied` i) scoring under
 * the gate moves its sensor's offsets o by `input` x e, e = r_i - mean - (o - applied_i): the residual it would have
 * had with the offsets as they are now, so later windows of the same sensor in the batch continue where it left off.
 * A trending channel (`trend` t > 0) moves by e clamped to +-t in every window, under the gate or not. A window that
 * scoring found back at the trained level (`back`, trained-level.ts) steps the other offsets back towards none.
 */
export function learnInputOffsets(
  residuals: Float64Array, scores: Float32Array, n: number, C: number, model: ResidualModel, shift: Shift, stateOf: (i: number) => Float64Array, back?: Uint8Array,
  /** Windows a re-anchoring took (re-anchor.ts): learnt as if over the gate (trending channels still follow the climb). */
  anchored?: Uint8Array,
  /** Windows a stuck sensor alone holds (`BatchScores.stuck`): the others learn on the statistic, the stuck one never. */
  stuck?: BatchScores['stuck'],
): void {
  const at = offsetsAt(model);
  const t = model.tracking;
  if (at < 0 || !t?.input) return;
  const { applied, index } = shift;
  const mean = model.mean;
  const trend = t.trend;
  for (let i = 0; i < n; i++) {
    const state = stateOf(i);
    const stuckAt = stuck ? stuck.channel[i] - 1 : -1;
    const below = (stuckAt >= 0 ? stuck!.statistic[i] : scores[i]) < t.below && !(anchored && anchored[i]);
    if (back && back[i]) returnOffsets(state, at, C, trend);
    for (let c = 0; c < C; c++) {
      const step = trend ? trend[c] : 0;
      if ((!below || c === stuckAt) && !(step > 0)) continue;
      const o = state[at + c];
      const e = residuals[i * C + c] - mean[c] - (o - applied[i * C + c]);
      state[at + c] = step > 0 ? clamp(o + clamp(e, step), MAX_TREND_OFFSET) : clamp(o + t.input * e, MAX_INPUT_OFFSET);
    }
    // Learnt from or passed over, the window counts on its sensor's clock.
    learnt(state, at, C, index[i]);
  }
}

/**
 * After a shifted batch is scored (`scored`: scoreOutputs' result for it, given `shift.applied`): put its windows back
 * as measured (`input`, and `also`, e.g. the reconstructions a caller keeps) and learn the offsets from the span
 * residuals it was scored with, on each window's own statistic.
 */
export function settleShift(
  input: Float32Array, output: Float32Array, n: number, W: number, C: number, span: number, scored: BatchScores,
  model: ResidualModel, shift: Shift, stateOf: (i: number) => Float64Array, also: Float32Array[] = [],
): void {
  const r = spanResiduals(input, output, n, W, C, Math.min(span, W));
  for (const x of [input, ...also]) unshiftInputs(x, n, W, C, shift.applied);
  learnInputOffsets(r, scored.own ?? scored.scores, n, C, model, shift, stateOf, scored.back, scored.anchored, scored.stuck);
}

/**
 * A tracked state seeded from a residual measured on unshifted windows (runtime/adapt/seed-residuals.ts, just
 * before a swap): for a card that tracks inputs, what the residual shows beyond the card's mean goes into the input
 * offsets, the residual mean starts at the card's (so the two do not pull against each other while the offsets
 * settle); otherwise the means as given.
 */
export function seededValues(model: ResidualModel, means: readonly number[]): number[] {
  if (offsetsAt(model) < 0) return [...means];
  const C = model.mean.length;
  return [...model.mean, ...new Array<number>(C).fill(0), ...model.mean.map((m, c) => clamp((means[c] ?? m) - m, model.tracking?.trend?.[c] ? MAX_TREND_OFFSET : MAX_INPUT_OFFSET))];
}
