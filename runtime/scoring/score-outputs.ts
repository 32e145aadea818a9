/**
 * One entry from a model's outputs to window scores, chosen by the card: the reconstruction error (mse, bce)
 * from `reconstruction`, the residual Mahalanobis distance from `mahalanobis`, or the VAE reconstruction probability from its decoded samples.
 */
import type { Scoring } from '../model/card.ts';
import { applyFlatline, flatWindows } from './flatline.ts';
import { mahalanobisScores } from './mahalanobis.ts';
import { reconProbScores } from './recon-prob.ts';
import { reconstructionScores, type BatchScores } from './reconstruction.ts';
import { applySpread, spreadScores } from './spread.ts';
import { outsideSeen } from './seen-range.ts';
import type { AnchorAt } from './re-anchor.ts';

/** What a model run produced: the reconstruction and any extra named outputs (an `InferenceResult`). */
export interface ModelOutputs {
  reconstruction: Float32Array;
  extra: Record<string, Float32Array>;
}

/** Score N windows from the outputs of one model run, as `scoring` (the card's) says. */
export function scoreOutputs(
  input: Float32Array, outputs: ModelOutputs, n: number, window: number, channels: number, scoring: Scoring,
  /** Mahalanobis with tracking: the tracked residual mean of window i's sensor (see residual-baselines.ts). */
  meanOf?: (i: number) => Float64Array,
  /** Windows the stuck-sensor check does not judge (forward-filled rows: flatline.ts). */
  unjudged?: (i: number) => boolean,
  /** The input offsets each window was shifted by (input-offsets.ts `Shift.applied`), when its inputs were shifted. */
  applied?: Float64Array,
  /** The re-anchoring of window i's sensor in progress, when there is one (re-anchor.ts; tracked Mahalanobis only). */
  anchorOf?: (i: number) => AnchorAt | undefined,
): BatchScores {
  // Stuck sensors first: a window with one learns nothing (flatline.ts).
  const flat = scoring.flatline && scoring.flatline.channels.length > 0 ? flatWindows(input, n, window, channels, scoring.flatline.channels, unjudged) : undefined;
  // The inputs' spread next: a window past its limit learns nothing either (spread.ts).
  const spread = scoring.spread ? spreadScores(input, n, window, channels, scoring.spread, flat) : undefined;
  // Windows a stuck sensor alone holds (the spread within its limit): the other channels still learn (mahalanobis.ts).
  const stuck = flat && spread ? flat.map((f, i) => (spread.scaled[i] >= scoring.spread!.limit ? 0 : f)) : flat;
  const scored = scoreBy(input, outputs, n, window, channels, scoring, meanOf, spread ? spread.hold : flat, applied, anchorOf, stuck);
  if (stuck && stuck.some((f) => f > 0)) scored.stuck = { channel: stuck, statistic: Float32Array.from(scored.own ?? scored.scores) };
  if (spread) applySpread(scored, spread.scaled, spread.differences, scoring.spread!, channels);
  if (flat) applyFlatline(scored, flat, channels, scoring.flatline!);
  // Where the inputs are, beside what scored them: an operating point training never saw (seen-range.ts).
  const outside = outsideSeen(input, n, window, channels, scoring, applied);
  if (outside) scored.outside = outside;
  return scored;
}

function scoreBy(
  input: Float32Array, outputs: ModelOutputs, n: number, window: number, channels: number, scoring: Scoring,
  meanOf: ((i: number) => Float64Array) | undefined, hold: ArrayLike<number> | undefined, applied: Float64Array | undefined,
  anchorOf: ((i: number) => AnchorAt | undefined) | undefined, stuck: ArrayLike<number> | undefined,
): BatchScores {
  if (scoring.error === 'mahalanobis') {
    if (!scoring.residual) throw new Error("scoring 'mahalanobis' needs scoring.residual in the card (retrain with --score mahalanobis)");
    return mahalanobisScores(input, outputs.reconstruction, n, window, channels, scoring.span, scoring.residual, meanOf, hold, applied, anchorOf, stuck);
  }
  if (scoring.error !== 'recon-prob') return reconstructionScores(input, outputs.reconstruction, n, window, channels, scoring);
  const name = scoring.reconProb?.output;
  const samples = name === undefined ? undefined : outputs.extra[name];
  if (!samples) {
    throw new Error(`scoring 'recon-prob' needs the model output '${name ?? '(scoring.reconProb.output)'}'; the model gave ${['reconstruction', ...Object.keys(outputs.extra)].join(', ')} (retrain with --arch vae --score recon-prob)`);
  }
  return reconProbScores(input, samples, n, window, channels, scoring);
}
