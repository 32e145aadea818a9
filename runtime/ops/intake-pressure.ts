/**
 * What holds the QoS 1 intake (runtime/mqtt/intake-gate.ts): what vigil has acknowledged and not yet scored. The
 * windows waiting for inference and the batches in flight are weighed against two bounds, and the nearer one speaks:
 * - memory: their bytes against `batch.maxPendingBytes`;
 * - time: how long scoring them would take at the recent pace (busy ms per window over the last batches, decayed)
 *   against `batch.stopDrainMs`.
 * The gate pauses at `pauseIntakeAt` of either and resumes under `resumeIntakeAt` of both. Without the time bound a
 * slow model's acknowledged backlog could reach the memory bound (a probe: 43,000 windows at 2,500 windows/s, 17 s
 * of work): a stop's drain (5 s) abandoned most of it, and a kill -9 lost all of it, readings the broker had been told
 * were taken. With it, a stop scores everything acknowledged within its drain, and a crash loses at most about
 * `stopDrainMs` of scoring: the waiting windows `pauseIntakeAt` of it, and the readings the reorder stage holds
 * (acknowledged too, and windows once let go) the rest (`heldRoom`, its moving bound; a probe: a shuffled burst's
 * 32,768 held readings were 7-13 s of a slow model's scoring, abandoned at a stop).
 */
import type { IntakeGate } from '../mqtt/intake-gate.ts';
import { LEAST_REORDER_READINGS } from './reorder-limits.ts';

/** How fast the pace forgets: each batch's weight against the ones before it. */
const PACE_DECAY = 0.9;

/** Options of `IntakePressure`. */
export interface IntakePressureOptions {
  maxPendingBytes: number;
  stopDrainMs: number;
  /** The gate's pause mark, as a share of both bounds: the held readings get the rest of the drain. */
  pauseIntakeAt: number;
  /** Readings a window steps (`window.stride`): a held reading is that share of a window. */
  stride: number;
}

/** One batch, as inferBatches reports it (inference-loop.ts BatchReport). */
interface BatchTimes {
  /** The model's card: the pace of one model says nothing of another's (a hot reload starts it afresh). */
  card: object;
  size: number;
  inferMs: number;
  assembleMs: number;
  scoreMs: number;
}

/** The intake's load on one scale for the gate: bytes, the time bound expressed as its share of `maxPendingBytes`. */
export class IntakePressure {
  private bytes = 0;
  private windows = 0;
  /** Decayed sums of batches' busy ms and sizes: their ratio is the pace (ms per window). */
  private busyMs = 0;
  private scored = 0;
  private card: object | undefined;

  constructor(
    private readonly gate: Pick<IntakeGate, 'update'>,
    private readonly o: IntakePressureOptions,
  ) {}

  /** The windows waiting and in flight changed: `bytes` they take, `windows` of them. */
  readonly pending = (bytes: number, windows: number): void => {
    this.bytes = bytes;
    this.windows = windows;
    this.gate.update(this.level());
  };

  /**
   * The pace before the first batch, from the model's warm-up (`ms` for `windows`: its first calls, slower than later
   * ones, so a cautious guess), replaced by the first batch's. Without it the reorder stage could hold only a few
   * readings until then (a review: 1,000 sensors with 0.9 s of jitter lost 6.7 % of their readings out of order).
   */
  guess(ms: number, windows: number): void {
    if (this.scored > 0 || !(ms > 0 && windows > 0)) return;
    this.busyMs = ms;
    this.scored = windows;
  }

  /** A batch was scored: its times set the pace. */
  readonly batch = (b: BatchTimes): void => {
    if (b.card !== this.card) {
      // A review: an hour of a fast model's pace let a model 100x slower, swapped in, take 9x too much for its first batches.
      this.card = b.card;
      this.busyMs = 0;
      this.scored = 0;
    }
    this.busyMs = PACE_DECAY * this.busyMs + b.inferMs + b.assembleMs + b.scoreMs;
    this.scored = PACE_DECAY * this.scored + b.size;
  };

  /** How long scoring what waits would take at the recent pace (ms; 0 with no pace yet: no batch, no warm-up guess). */
  drainMs(): number {
    return this.scored > 0 ? (this.windows * this.busyMs) / this.scored : 0;
  }

  /**
   * Readings the reorder stage may hold: as many as the part of the stop's drain the waiting windows do not take can
   * score at the recent pace (or the warm-up's, `guess`), at least LEAST_REORDER_READINGS; only those with no pace at
   * all (a probe: a restart into a shuffled backlog held 21,143 readings, all acknowledged, before any window was cut);
   * any number without a drain.
   */
  readonly heldRoom = (): number => {
    const { stopDrainMs, pauseIntakeAt, stride } = this.o;
    if (!(stopDrainMs > 0)) return Number.POSITIVE_INFINITY;
    if (!(this.scored > 0 && this.busyMs > 0)) return LEAST_REORDER_READINGS;
    return Math.max(LEAST_REORDER_READINGS, Math.floor(((1 - pauseIntakeAt) * stopDrainMs * stride * this.scored) / this.busyMs));
  };

  /** Bytes of what waits. */
  memoryBytes(): number {
    return this.bytes;
  }

  /** The load the gate judges: the memory in bytes, or the drain time as the same share of maxPendingBytes, whichever is more. */
  level(): number {
    const { maxPendingBytes, stopDrainMs } = this.o;
    return Math.max(this.bytes, stopDrainMs > 0 ? (this.drainMs() / stopDrainMs) * maxPendingBytes : 0);
  }
}
