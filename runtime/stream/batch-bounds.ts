/**
 * How much the next batch may take under the model in service: how many batches may be in flight at once, and, with
 * a card whose inputs follow the residual, how many more windows each sensor may add before its input block ends
 * (runtime/scoring/input-blocks.ts). Read afresh at each batch, so a hot reload's card takes effect at once.
 */
import type { ModelRef } from '../inference/model-ref.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import { inputTracking, offsetsAt } from '../scoring/input-offsets.ts';
import { INPUT_LAG, room } from '../scoring/input-blocks.ts';
import type { BatchRooms } from './pending-queue.ts';

/**
 * Batches the session in service takes at once; with input offsets at most INPUT_LAG, the batches in flight whose
 * blocks may not have been learnt when the next is assembled (runtime/scoring/input-blocks.ts).
 */
export function flightSlots(ref: ModelRef): number {
  const { session, card } = ref.current;
  const n = session.concurrency ?? 1;
  return inputTracking(card.scoring) ? Math.min(n, INPUT_LAG) : n;
}

/**
 * With a card whose inputs follow the residual: how many more windows each sensor may add to a batch, the rest of
 * its block; undefined otherwise (no limit).
 */
export function blockRoom(ref: ModelRef, residuals: TrackedResiduals): ((sensor: string) => number) | undefined {
  const { card } = ref.current;
  const model = inputTracking(card.scoring);
  const baselines = model && residuals.for(card);
  if (!model || !baselines) return undefined;
  const at = offsetsAt(model);
  const C = card.channels.length;
  return (sensor) => room(baselines.of(sensor), at, C);
}

/**
 * How many of the first `n` of `windows` one batch takes in arrival order: all of them without a `cap`, else up to
 * the first window whose sensor has no room left in its block (it and the windows after it wait for a later batch).
 */
export function fitBlocks(windows: readonly { sensor: string }[], n: number, cap: ((sensor: string) => number) | undefined, counted: BatchRooms): number {
  if (!cap) return n;
  const rooms = counted.begin(cap);
  for (let k = 0; k < n; k++) {
    const s = windows[k].sensor;
    if (rooms.of(s) <= 0) return k;
    rooms.use(s, 1);
  }
  return n;
}
