/**
 * Score one sensor's windows in time order with the tracked state live scoring keeps (residual means, level walk,
 * input offsets, residual memory: residual-baselines.ts, level-drift.ts, input-offsets.ts), moved window after window
 * as `vigil run` moves it. The offline uses of a model (`vigil encode`, `latent`: train/uses/windows.ts) and the checks
 * of `vigil adapt` (train/adapt/tracked-scores.ts) judge windows this way, so the scores they see are the ones the
 * runtime gives, not the card's static ones: a process that drifted and is followed live is not flagged here either.
 * No Node imports.
 */
import type { Scoring } from '../model/card.ts';
import { trackedModel } from './residual-baselines.ts';
import { inputTracking, offlineBatch, settleShift, shiftInputs } from './input-offsets.ts';
import { trackedState } from './mahalanobis.ts';
import { scoreOutputs, type ModelOutputs } from './score-outputs.ts';

/** How `scoreInOrder` runs. */
export interface InOrderOptions {
  /** Windows per model call (a card whose inputs follow the residual takes at most one block: `offlineBatch`). */
  batch: number;
  /** The tracked state to start from (a `trackedState` layout; absent: the card's own start). Moved in place. */
  state?: Float64Array;
  /** Each window against the card's own level, tracking nothing (the card's static scores, in the same batches). */
  untracked?: boolean;
  /** Windows the stuck-sensor check does not judge (forward-filled rows: flatline.ts). */
  unjudged?: (i: number) => boolean;
  /** Each batch's model outputs, its reconstruction in the windows' own scale (the input offsets taken back off). */
  onBatch?: (from: number, n: number, out: ModelOutputs) => void;
}

/**
 * Scores of `count` windows (`data`, N x W x C, scaled, one sensor's, oldest first) by `run` under `scoring`, each
 * against the tracked state the windows before it left; static scores when the scoring tracks nothing. `data` is
 * left as given.
 */
export async function scoreInOrder(
  data: Float32Array, count: number, W: number, C: number, scoring: Scoring,
  run: (input: Float32Array, n: number) => Promise<ModelOutputs>, o: InOrderOptions,
): Promise<Float32Array> {
  const per = W * C;
  const model = o.untracked ? undefined : trackedModel(scoring);
  const state = model ? (o.state ?? trackedState(model)) : undefined;
  const meanOf = state && (() => state);
  const shifts = model && inputTracking(scoring);
  const batch = Math.max(1, offlineBatch(scoring, o.batch));
  const scores = new Float32Array(count);
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    // A copy: the inputs are shifted by the offsets while the model runs.
    const input = data.slice(s * per, (s + n) * per);
    const applied = shifts && meanOf ? shiftInputs(input, n, W, C, shifts, meanOf) : undefined;
    const out = await run(input, n);
    const unjudged = o.unjudged;
    const scored = scoreOutputs(input, out, n, W, C, scoring, meanOf, unjudged && ((i: number) => unjudged(s + i)), applied?.applied);
    scores.set(scored.scores.subarray(0, n), s);
    if (applied && shifts && meanOf) settleShift(input, out.reconstruction, n, W, C, scoring.span, scored, shifts, applied, meanOf, [out.reconstruction]);
    o.onBatch?.(s, n, out);
  }
  return scores;
}
