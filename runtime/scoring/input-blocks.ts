/**
 * When a sensor's input offsets (input-offsets.ts) reach its windows, so that no window's shift depends on how the
 * windows fell into batches. The offsets are learnt window after window, but a batch's windows are shifted before the
 * model runs, all at once: if each were shifted by the offsets as they stood when its batch was assembled, the same
 * window would see different offsets when readings arrive one by one (small batches), in a burst (one large batch) or
 * through `vigil score` (its own batches), and score differently (a probe: up to a tenth of a score on a fault's ramp, an
 * alert opening 2 s apart between `vigil run` and `vigil score`).
 *
 * So a sensor's windows are counted in blocks of INPUT_BLOCK, and every window of block b is shifted by the offsets as
 * they stood when the last window of block b - INPUT_LAG had been learnt (blocks before the first: as the sensor's
 * state started). A batch holds at most one block's windows of each sensor (the inference loop stops a sensor's share
 * of a batch at the end of its block: `room`), so when a block's first window is assembled, every window of the
 * blocks before the one in flight has been learnt, with up to INPUT_LAG batches in flight (a worker session takes 2).
 * The offsets thus reach the windows 16 to 48 windows late, whatever the batching; they move by at most `input`
 * (0.003 by default) of a residual per window, so that lag is far below what they follow.
 *
 * The clock lives beside the tracked state (a WeakMap on its array), not in it, and travels with it where the state
 * is saved or handed over (`clockTail`, `restoreClock`: a field of its own beside the state's, which a vigil without
 * clocks ignores), so a restart or a fleet handover at a drained point scores on exactly as an uninterrupted run
 * would. A state seeded at a swap, or one saved without a clock, starts a fresh clock, its offsets as they are then.
 */

/** Windows per block. */
export const INPUT_BLOCK = 16;
/** Blocks between the one learnt from and the one shifted by it: the batches that may be in flight at once. */
export const INPUT_LAG = 2;

interface Clock {
  /** Windows of the sensor assembled into batches so far: the next one's index. */
  assigned: number;
  /** The offsets as the state started (for blocks before INPUT_LAG). */
  start: Float64Array;
  /** The offsets at the end of block j, in slot j mod (INPUT_LAG + 1), with the block they belong to. */
  ends: { block: number; offsets: Float64Array }[];
}

const clocks = new WeakMap<Float64Array, Clock>();

function clockOf(state: Float64Array, at: number, C: number): Clock {
  let clock = clocks.get(state);
  if (!clock) {
    clock = { assigned: 0, start: state.slice(at, at + C), ends: [] };
    clocks.set(state, clock);
  }
  return clock;
}

/** Opens a saved clock (runtime/scoring/residual-baselines.ts `clocks`), so that nothing else is taken for one. */
export const CLOCK_TAG = -1.2345e300;

/** Numbers a saved clock takes for C channels: tag, windows assigned, start, then per slot its block and offsets. */
export const clockLength = (C: number): number => 2 + C + (INPUT_LAG + 1) * (1 + C);

/** The clock of `state` as numbers to append to the saved state, or undefined when it has none yet. */
export function clockTail(state: Float64Array, C: number): number[] | undefined {
  const clock = clocks.get(state);
  if (!clock) return undefined;
  const out = [CLOCK_TAG, clock.assigned, ...clock.start];
  for (let j = 0; j <= INPUT_LAG; j++) {
    const end = clock.ends[j];
    out.push(end ? end.block : -1, ...(end ? end.offsets : new Float64Array(C)));
  }
  return out;
}

/** Put back a clock saved by `clockTail` beside a restored state; false (and nothing set) when `tail` is not one. */
export function restoreClock(state: Float64Array, C: number, tail: readonly number[]): boolean {
  if (tail.length !== clockLength(C) || tail[0] !== CLOCK_TAG || !tail.every(Number.isFinite)) return false;
  const assigned = tail[1];
  if (!(Number.isSafeInteger(assigned) && assigned >= 0)) return false;
  const clock: Clock = { assigned, start: Float64Array.from(tail.slice(2, 2 + C)), ends: [] };
  for (let j = 0; j <= INPUT_LAG; j++) {
    const at = 2 + C + j * (1 + C);
    const block = tail[at];
    // A block ends in its own slot, and only once its windows were assigned.
    if (block >= 0 && Number.isSafeInteger(block) && block % (INPUT_LAG + 1) === j && (block + 1) * INPUT_BLOCK <= assigned) {
      clock.ends[j] = { block, offsets: Float64Array.from(tail.slice(at + 1, at + 1 + C)) };
    }
  }
  clocks.set(state, clock);
  return true;
}

/** Windows the sensor of `state` may still add to a batch before its block ends (1..INPUT_BLOCK). */
export function room(state: Float64Array, at: number, C: number): number {
  return INPUT_BLOCK - (clockOf(state, at, C).assigned % INPUT_BLOCK);
}

/** The next window of the sensor is assembled: its index, and the offsets it is to be shifted by (C values; not to be changed). */
export function assign(state: Float64Array, at: number, C: number): { index: number; offsets: Float64Array } {
  const clock = clockOf(state, at, C);
  const index = clock.assigned++;
  const from = Math.floor(index / INPUT_BLOCK) - INPUT_LAG;
  if (from < 0) return { index, offsets: clock.start };
  const end = clock.ends[from % (INPUT_LAG + 1)];
  // A block whose last window was never learnt (its batch failed) leaves the newest end there is in its slot, or the start.
  return { index, offsets: end && end.block <= from ? end.offsets : clock.start };
}

/**
 * The sensor's offsets were set anew (a re-anchoring, re-anchor.ts): every window assembled from now on is shifted by
 * them, not by the ends of blocks learnt before, until blocks learnt after them end. Windows already in flight keep
 * the offsets they were shifted by. Returns the index of the first window shifted by the new offsets.
 */
export function offsetsSet(state: Float64Array, at: number, C: number): number {
  const clock = clockOf(state, at, C);
  clock.start = state.slice(at, at + C);
  clock.ends = [];
  return clock.assigned;
}

/** Window `index` of the sensor has been learnt from (or passed over): at the end of a block, its offsets are kept. */
export function learnt(state: Float64Array, at: number, C: number, index: number): void {
  if ((index + 1) % INPUT_BLOCK !== 0) return;
  const block = Math.floor(index / INPUT_BLOCK);
  clockOf(state, at, C).ends[block % (INPUT_LAG + 1)] = { block, offsets: state.slice(at, at + C) };
}
