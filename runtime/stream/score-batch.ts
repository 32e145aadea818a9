/**
 * A settled batch's scores as its card says (reconstruction error, probability, tracked Mahalanobis), one score and
 * C per-channel errors per window. With tracked residual means, each window is scored against its own sensor's.
 */
import { inputTracking, settleShift, shiftInputs, unshiftInputs, type Shift } from '../scoring/input-offsets.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { BatchScores } from '../scoring/reconstruction.ts';
import { scoreOutputs, type ModelOutputs } from '../scoring/score-outputs.ts';
import type { Flight } from './flight.ts';

/** Scores of a batch: `scores[i]` per window, `perChannel[i * C + c]` per window and channel (scoring/reconstruction.ts). */
export type { BatchScores } from '../scoring/reconstruction.ts';

/** Score the outputs of `flight`'s model call; throws what scoring throws (outputs of the wrong shape). */
export function scoreBatch(flight: Flight, outputs: ModelOutputs, residuals: TrackedResiduals): BatchScores {
  const { batch, input, held } = flight;
  const { card } = held;
  // Per-sensor residual means when the card's scoring tracks drift; a swapped-in model starts from its own card.
  const baselines = residuals.for(card);
  // Each window's tracked state, looked up once per batch (a lookup moves the sensor in an LRU map).
  const states = flight.states ?? (baselines && batch.map((w) => baselines.of(w.sensor)));
  flight.states = undefined;
  const meanOf = states && ((i: number) => states[i]);
  const W = card.window;
  const C = card.channels.length;
  const applied = flight.shifted;
  // Sensors an operator marked normal (runtime/ops/re-anchors.ts), looked up only while there are any.
  const anchorOf = baselines?.anchors.any
    ? (i: number) => {
        const anchor = baselines.anchors.of(batch[i].sensor);
        return anchor && { anchor, index: applied ? applied.index[i] : 0 };
      }
    : undefined;
  const scored = scoreOutputs(input, outputs, batch.length, W, C, card.scoring, meanOf, (i) => batch[i].filled === true, applied?.applied, anchorOf);
  if (applied && meanOf && card.scoring.residual) {
    // The windows as measured again (the reservoir keeps them), then the offsets learn from this batch.
    flight.shifted = undefined;
    settleShift(input, outputs.reconstruction, batch.length, W, C, card.scoring.span, scored, card.scoring.residual, applied, meanOf);
  }
  if (anchorOf) residuals.settleAnchors();
  return scored;
}

/**
 * Shift an assembled batch's windows by their sensors' input offsets when its card tracks inputs (before the model
 * call); returns the offsets applied, for scoreBatch to learn from and put back.
 */
export function shiftBatch(flight: Flight, residuals: TrackedResiduals): Shift | undefined {
  const { batch, input, held } = flight;
  const { card } = held;
  const model = inputTracking(card.scoring);
  const baselines = model && residuals.for(card);
  if (!model || !baselines) return undefined;
  const states = batch.map((w) => baselines.of(w.sensor));
  flight.states = states;
  return shiftInputs(input, batch.length, card.window, card.channels.length, model, (i) => states[i]);
}

/** Put a shifted batch's windows back as measured (after scoring, or when its model call failed); a no-op otherwise. */
export function unshiftBatch(flight: Flight): void {
  if (!flight.shifted) return;
  const { card } = flight.held;
  unshiftInputs(flight.input, flight.batch.length, card.window, card.channels.length, flight.shifted.applied);
  flight.shifted = undefined;
}
