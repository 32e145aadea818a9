/**
 * An operator's "this is normal" for one sensor: its tracked state (residual means, level walk, input offsets:
 * level-drift.ts, input-offsets.ts) is set from what its next windows show, whatever they score.
 *
 * Tracking learns only from windows under the gate, so two things leave a sensor alerting on behaviour an operator
 * knows to be normal, for as long as it lasts: a level that moved on while an incident held every tracker still (a
 * temperature that followed the ambient through a fault: the alert stays open after the fault is gone), and a new
 * duty training never saw (an assist pump started, a new set point). Nothing in the data tells either apart from a
 * fault that persists (bench/results/quality/VARIANTS.md), a person on site can. So the sensor's next `windows`
 * windows are scored and alerted as usual (the means learn nothing from them), their span residuals are averaged as
 * measured (without the input offsets they were shifted by: `r + applied`), and after the last one the state is set to where tracking
 * itself would settle on that average: the input offsets (input-offsets.ts learns them against the card's mean) take
 * the average's distance from the card's mean, up to their bound, and the residual means what is left, so the two
 * do not pull against each other afterwards (means holding it all, the offsets went on learning it and the scores
 * rose again: a unit test); a trending channel keeps its offset, which follows the climb, and its mean takes the rest.
 * Windows assembled from then on are shifted by the new offsets at once (input-blocks.ts `offsetsSet`). The level
 * walk's uncertainty is spent (the level was just measured) and the residual memory forgets. From then on the sensor
 * tracks and alerts as before, from its new level; every re-anchoring is logged with how far it moved each channel
 * (runtime/ops/re-anchors.ts).
 */
import type { ResidualModel } from './mahalanobis.ts';
import { MAX_INPUT_OFFSET, offsetsAt } from './input-offsets.ts';
import { offsetsSet } from './input-blocks.ts';
import { memoryAt } from './residual-memory.ts';
import { followsClimb } from './trained-level.ts';

/** Windows averaged by default: 16 span residuals, whose mean is within about a quarter of a residual sd of the level. */
export const ANCHOR_WINDOWS = 16;

/** The most windows an anchor may average (a request for more is refused: hours at 1 Hz, days at 5-minute data). */
export const MAX_ANCHOR_WINDOWS = 4096;

/** A sensor's re-anchoring in progress. */
export interface Anchor {
  /** Windows to average. */
  readonly windows: number;
  /** Windows averaged so far. */
  seen: number;
  /** Sum of their span residuals as measured (C). */
  readonly sum: Float64Array;
  /** Set when the last window was averaged and the state set: how far each channel's level (mean + offset) moved (C). */
  moved?: Float64Array;
}

/** A fresh anchor of `windows` windows for C channels. */
export function startAnchor(windows: number, C: number): Anchor {
  return { windows, seen: 0, sum: new Float64Array(C) };
}

/**
 * Average window i (span residuals `r`, N x C; shifted by `applied`, N x C, absent when inputs are not shifted) into
 * `anchor`; after its last window, set `state` (a tracked state of `model`) from the average. True once done.
 */
export function anchorWindow(anchor: Anchor, r: Float64Array, i: number, C: number, applied: Float64Array | undefined, state: Float64Array, model: ResidualModel): boolean {
  if (anchor.moved) return true;
  for (let c = 0; c < C; c++) anchor.sum[c] += r[i * C + c] + (applied ? applied[i * C + c] : 0);
  if (++anchor.seen < anchor.windows) return false;
  const at = offsetsAt(model);
  const trend = model.tracking?.trend;
  const moved = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const level = anchor.sum[c] / anchor.seen;
    const before = state[c] + (at >= 0 ? state[at + c] : 0);
    if (at >= 0 && !followsClimb(trend, c)) state[at + c] = Math.max(-MAX_INPUT_OFFSET, Math.min(MAX_INPUT_OFFSET, level - model.mean[c]));
    state[c] = level - (at >= 0 ? state[at + c] : 0);
    moved[c] = level - before;
  }
  if (at >= 0) offsetsSet(state, at, C);
  // The level walk's uncertainty: the level was just measured.
  if (state.length >= 2 * C) state.fill(0, C, 2 * C);
  const mem = memoryAt(model);
  if (mem >= 0 && state.length >= mem + C) state.fill(0, mem, mem + C);
  anchor.moved = moved;
  return true;
}
