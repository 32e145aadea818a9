/**
 * A settled batch's scores as its card says (reconstruction error, probability, tracked Mahalanobis), one score and
 * C per-channel errors per window. With tracked residual means, each window is scored against its own sensor's.
 */
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import { scoreOutputs, type ModelOutputs } from '../scoring/score-outputs.ts';
import type { Flight } from './flight.ts';

/** Scores of a batch: `scores[i]` per window, `perChannel[i * C + c]` per window and channel. */
export interface BatchScores {
  scores: Float32Array;
  perChannel: Float32Array;
}

/** Score the outputs of `flight`'s model call; throws what scoring throws (outputs of the wrong shape). */
export function scoreBatch(flight: Flight, outputs: ModelOutputs, residuals: TrackedResiduals): BatchScores {
  const { batch, input, held } = flight;
  const { card } = held;
  // Per-sensor residual means when the card's scoring tracks drift; a swapped-in model starts from its own card.
  const baselines = residuals.for(card);
  const meanOf = baselines && ((i: number) => baselines.of(batch[i].sensor));
  return scoreOutputs(input, outputs, batch.length, card.window, card.channels.length, card.scoring, meanOf);
}
