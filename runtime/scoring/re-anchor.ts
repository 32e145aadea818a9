/**
 * An operator's word on one sensor's tracked state (residual means, level walk, input offsets: level-drift.ts,
 * input-offsets.ts): "this is normal" sets it from what the sensor's next windows show, whatever they score; "back to
 * training" (after a repair, or a mark made in error) sets it to the card's trained level.
 *
 * Tracking learns only from windows under the gate, so two things leave a sensor alerting on behaviour an operator
 * knows to be normal, for as long as it lasts: a level that moved on while an incident held every tracker still (a
 * temperature that followed the ambient through a fault: the alert stays open after the fault is gone), and a new
 * duty training never saw (an assist pump started, a new set point). Nothing in the data tells either apart from a
 * fault that persists (bench/results/quality/VARIANTS.md), a person on site can.
 *
 * "Normal" averages the span residuals of the sensor's next windows, which are scored and alerted as usual and teach
 * the means nothing. Without input offsets, the means become that average. With them, in two halves, each exact where
 * it can be: the first half's residuals, as measured (without the offsets they were shifted by, `r + applied`), set
 * the offsets where tracking itself would settle (input-offsets.ts learns them against the card's mean: the average's
 * distance from it, up to their bound; a trending channel keeps its offset, which follows the climb); the second half,
 * shifted by those offsets (the windows assembled after they were set: input-blocks.ts `offsetsSet`; windows already
 * in flight are passed over), sets the means to their own average residual, so the windows after it score about 0
 * however the model answers a shift. Setting the means from the first half alone assumed it answers one by the same
 * shift, and windows scored against means that expected other offsets (those in flight, or after a large shift)
 * scored twice as high as before (a review: a window at 23 went to 48, over its bar, and opened an alert).
 *
 * "Back to training" sets the offsets to none at once (trending ones kept) and the means to the card's at the first
 * window shifted by none, the windows in flight passed over. Both spend the level walk's uncertainty (the level was
 * just set) and clear the residual memory as soon as they set offsets; every completion is logged with how far it
 * moved each channel (runtime/ops/re-anchors.ts). Until an anchor is done, a save writes the state as it was before
 * it (`prior`): a restart in the middle leaves the level as it was learnt, and is asked for again.
 */
import type { ResidualModel } from './mahalanobis.ts';
import { MAX_INPUT_OFFSET, offsetsAt } from './input-offsets.ts';
import { clockTail, offsetsSet } from './input-blocks.ts';
import { memoryAt } from './residual-memory.ts';
import { followsClimb } from './trained-level.ts';

/** Windows averaged by default: 16 span residuals (two halves of 8 with input offsets). */
export const ANCHOR_WINDOWS = 16;

/** The most windows an anchor may average (a request for more is refused: hours at 1 Hz, days at 5-minute data). */
export const MAX_ANCHOR_WINDOWS = 4096;

/** A sensor's re-anchoring in progress. */
export interface Anchor {
  /** `normal`: set from the next windows; `trained`: back to the card's trained level. */
  readonly kind: 'normal' | 'trained';
  /** Windows to average in all (0 for `trained`). */
  readonly windows: number;
  /** Windows averaged so far, in all. */
  seen: number;
  /** Windows the first half averages (the offsets'); the rest set the means. `windows` when the card has no offsets. */
  readonly first: number;
  /** Sum of the current half's span residuals (C). */
  readonly sum: Float64Array;
  /** The first window (its index on the sensor's clock) shifted by offsets the anchor set; -1: none set yet. */
  from: number;
  /**
   * The sensor's state when the anchor began, and its input-offset clock (input-blocks.ts `clockTail`; absent: none):
   * what a save writes until the anchor is done, so a stop in the middle leaves the state as it was learnt, and what a
   * command that replaces it starts from (the offsets are set halfway: saved or built on, half-set states scored a
   * sensor still shifted as normal, unlogged, after a restart; a review).
   */
  readonly prior: Float64Array;
  readonly priorClock?: number[];
  /** Each channel's level (mean + offset) when the anchor began (C). */
  readonly before: Float64Array;
  /** Set once the state is set: how far each channel's level (mean + offset) moved (C). */
  moved?: Float64Array;
  /** Who asked (an address, a topic and id), for the alert the re-anchoring closes to say; absent: not said. */
  by?: string;
  /** Set once a window has said the anchor began (mahalanobis.ts: a verdict's `marked`, `done` false). */
  announced?: boolean;
}

/** What an operator's re-anchoring says of itself (an alert's close: `marked`). */
export interface Mark {
  command: 'normal' | 'trained';
  by?: string;
}

/**
 * A window's news of a re-anchoring (a verdict's `marked`): it began (the first window it takes, still scored
 * against the old level; `done` false) or completed (its state set in this window; `done`). A `trained` one, or one
 * whose first window completes it, says only `done`. The alert tracker needs both: with input offsets the first half
 * already quiets the windows, so a close can come before the anchor is done, and is the mark's doing all the same.
 */
export interface MarkNews extends Mark {
  done: boolean;
  /**
   * The windows the anchoring averages (`Anchor.windows`): how long the tracker waits for its `done` before it takes
   * the anchoring for lost (a rollback to a model scored before, an eviction, a clock step: no `done` ever comes).
   * Absent: ANCHOR_WINDOWS.
   */
  windows?: number;
}

/** A window's anchor, with the window's index on its sensor's clock (input-blocks.ts; 0 without input offsets). */
export interface AnchorAt {
  anchor: Anchor;
  index: number;
}

/** Each channel's level in a tracked state: its residual mean plus its input offset (C). */
function levels(state: Float64Array, model: ResidualModel): Float64Array {
  const C = model.mean.length;
  const at = offsetsAt(model);
  return Float64Array.from({ length: C }, (_, c) => state[c] + (at >= 0 ? state[at + c] : 0));
}

/**
 * Start an anchor on `state` (a tracked state of `model`): `normal` of `windows` windows (at least 2 with input
 * offsets, one per half), or `trained`, whose offsets go back to none at once. One that `replaces` an anchor in
 * progress (not done) starts from the state before that one.
 */
export function startAnchor(kind: 'normal' | 'trained', windows: number, state: Float64Array, model: ResidualModel, replaces?: Anchor): Anchor {
  const C = model.mean.length;
  const at = offsetsAt(model);
  if (replaces) {
    state.set(replaces.prior);
    if (at >= 0) offsetsSet(state, at, C);
  }
  const prior = replaces ? replaces.prior : state.slice();
  const priorClock = replaces ? replaces.priorClock : at >= 0 ? clockTail(state, C) : undefined;
  const total = kind === 'trained' ? 0 : at >= 0 ? Math.max(2, windows) : windows;
  const anchor: Anchor = { kind, windows: total, seen: 0, first: at >= 0 ? Math.ceil(total / 2) : total, sum: new Float64Array(C), from: -1, prior, ...(priorClock ? { priorClock } : {}), before: levels(prior, model) };
  if (kind === 'trained') {
    if (at >= 0) {
      for (let c = 0; c < C; c++) if (!followsClimb(model.tracking?.trend, c)) state[at + c] = 0;
      forget(state, model);
      anchor.from = offsetsSet(state, at, C);
    } else anchor.from = 0;
  }
  return anchor;
}

/** Clear the residual memory (residual-memory.ts): what it holds belongs to the level being replaced. */
function forget(state: Float64Array, model: ResidualModel): void {
  const C = model.mean.length;
  const mem = memoryAt(model);
  if (mem >= 0 && state.length >= mem + C) state.fill(0, mem, mem + C);
}

/**
 * Before window `index` (on its sensor's clock; 0 without input offsets) is scored: a `trained` anchor sets the means
 * at the first window shifted by none of the old offsets, so that window is scored against the trained level.
 */
export function anchorBefore(anchor: Anchor, index: number, state: Float64Array, model: ResidualModel): void {
  if (anchor.kind === 'trained' && !anchor.moved && index >= anchor.from) finish(anchor, state, model, model.mean);
}

/**
 * After window i (span residuals `r`, N x C; shifted by `applied`, N x C, absent without input offsets; `index` on
 * its sensor's clock; `held`: a check holds it, a stuck sensor's or a spread past its limit) is scored: true when the
 * anchor takes it (averaged, or passed over: in flight, or held), so it teaches the tracked state nothing; false once
 * the anchor is done.
 */
export function anchorAfter(anchor: Anchor, r: Float64Array, i: number, C: number, applied: Float64Array | undefined, index: number, state: Float64Array, model: ResidualModel, held = false): boolean {
  if (anchor.moved) return false;
  // In flight when the anchor set the offsets (shifted by others than those it set), or not data to set a level from.
  if (index < anchor.from || anchor.kind === 'trained' || held) return true;
  const second = anchor.seen >= anchor.first;
  for (let c = 0; c < C; c++) anchor.sum[c] += r[i * C + c] + (applied && !second ? applied[i * C + c] : 0);
  anchor.seen++;
  if (!second && anchor.seen === anchor.first && anchor.first < anchor.windows) {
    // The first half done: the offsets where tracking would settle, reaching the windows assembled from now on.
    const at = offsetsAt(model);
    for (let c = 0; c < C; c++) {
      if (followsClimb(model.tracking?.trend, c)) continue;
      state[at + c] = Math.max(-MAX_INPUT_OFFSET, Math.min(MAX_INPUT_OFFSET, anchor.sum[c] / anchor.first - model.mean[c]));
    }
    // The memory of the old level would score the second half's windows (a review: 34 against a bar of 40, falling).
    forget(state, model);
    anchor.from = offsetsSet(state, at, C);
    anchor.sum.fill(0);
  } else if (anchor.seen === anchor.windows) {
    const n = anchor.windows - (anchor.first < anchor.windows ? anchor.first : 0);
    finish(anchor, state, model, Array.from(anchor.sum, (s) => s / n));
  }
  return true;
}

/** Set the means, spend the level walk's uncertainty, clear the memory, and record how far each level moved. */
function finish(anchor: Anchor, state: Float64Array, model: ResidualModel, means: ArrayLike<number>): void {
  const C = model.mean.length;
  for (let c = 0; c < C; c++) state[c] = means[c];
  if (state.length >= 2 * C) state.fill(0, C, 2 * C);
  forget(state, model);
  const now = levels(state, model);
  anchor.moved = now.map((v, c) => v - anchor.before[c]);
}
