/**
 * What holds the QoS 1 intake (runtime/mqtt/intake-gate.ts): what vigil has acknowledged and not yet scored. The
 * windows waiting for inference and the batches in flight are weighed against two bounds, and the nearer one speaks:
 * - memory: their bytes against `batch.maxPendingBytes`;
 * - time: how long scoring them would take at the recent pace (busy ms per window over the last batches, decayed; the
 *   warm-up's of the model in service before its first batch) against `batch.stopDrainMs`.
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

/**
 * A model's warm-up (ops/serving.ts): its card, and the time its first calls took for the windows they scored. Slower
 * than later calls, so a cautious guess at its pace until its first batch.
 */
export interface Warmup {
  card: object;
  ms: number;
  windows: number;
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

  /** `warmup`: the warm-up of the model in service (the one at start, then each hot reload's). */
  constructor(
    private readonly gate: Pick<IntakeGate, 'update'>,
    private readonly o: IntakePressureOptions,
    private readonly warmup: () => Warmup | undefined = () => undefined,
  ) {}

  /** The windows waiting and in flight changed: `bytes` they take, `windows` of them. */
  readonly pending = (bytes: number, windows: number): void => {
    this.bytes = bytes;
    this.windows = windows;
    this.gate.update(this.level());
  };

  /** A batch was scored: its times set the pace. */
  readonly batch = (b: BatchTimes): void => {
    if (b.card !== this.card) {
      // A swapped-out model's last batch, landing after the first of the model in service: none of its pace.
      if (this.card !== undefined && this.warmup()?.card === this.card) return;
      // A review: an hour of a fast model's pace let a model 100x slower, swapped in, take 9x too much for its first batches.
      this.card = b.card;
      this.busyMs = 0;
      this.scored = 0;
    }
    this.busyMs = PACE_DECAY * this.busyMs + b.inferMs + b.assembleMs + b.scoreMs;
    this.scored = PACE_DECAY * this.scored + b.size;
  };

  /**
   * The pace, ms per window (0: none yet): the warm-up's of the model in service while none of its batches has come,
   * at the start and after a hot reload (before, the swapped-out model's pace held until the new model's first batch:
   * a model 100x slower swapped in was let hold 100x the readings its drain could score, one 100x faster a hundredth
   * of them; its batches still in flight go on into its own pace, unused); without a usable warm-up, the batches' so far.
   */
  private msPerWindow(): number {
    const w = this.warmup();
    if (w && w.card !== this.card && w.ms > 0 && w.windows > 0) return w.ms / w.windows;
    return this.scored > 0 ? this.busyMs / this.scored : 0;
  }

  /** How long scoring what waits would take at the recent pace (ms; 0 with no pace yet: no batch, no warm-up guess). */
  drainMs(): number {
    return this.windows * this.msPerWindow();
  }

  /**
   * Readings the reorder stage may hold: as many as the part of the stop's drain the waiting windows do not take can
   * score at the recent pace (or the model's warm-up's before its first batch, `msPerWindow`), at least
   * LEAST_REORDER_READINGS; only those with no pace at all (a probe: a restart into a shuffled backlog held 21,143
   * readings, all acknowledged, before any window was cut); any number without a drain.
   */
  readonly heldRoom = (): number => {
    const { stopDrainMs, pauseIntakeAt, stride } = this.o;
    if (!(stopDrainMs > 0)) return Number.POSITIVE_INFINITY;
    const pace = this.msPerWindow();
    if (!(pace > 0)) return LEAST_REORDER_READINGS;
    return Math.max(LEAST_REORDER_READINGS, Math.floor(((1 - pauseIntakeAt) * stopDrainMs * stride) / pace));
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
