/**
 * A batch in flight in inferBatches: its windows, assembled input and hold on the model, the model call itself,
 * and its outcome until the loop takes it (batches are emitted in the order they started, whatever order their
 * calls end in). One object per batch; its answer, a promise (every real session) or an Observable (test doubles,
 * which may emit and complete later), is tied to it.
 */
import type { Shift } from '../scoring/input-offsets.ts';
import { from, type Subscription } from 'rxjs';
import type { AcquiredModel } from '../inference/model-ref.ts';
import type { ModelOutputs } from '../scoring/score-outputs.ts';
import type { SensorWindow } from './types.ts';

/** Settles a flight: an error, or the model's outputs. */
export type Settle = (flight: Flight, err: unknown, outputs?: ModelOutputs) => void;

const EMPTY_SUB = { unsubscribe() {} } as Subscription;

/** One batch's model call, from its start until it is settled or abandoned. */
export class Flight {
  /** The runner's subscription when it answered with an Observable. */
  sub: Subscription = EMPTY_SUB;
  /** The runner's promise, so a teardown can keep the session held until the native run ends. */
  thenable: PromiseLike<unknown> | undefined = undefined;
  done = false;
  /** When the call ended (performance.now()), its error, or its outputs: kept until the batches before it are out. */
  endedAt = 0;
  error: unknown = undefined;
  outputs: ModelOutputs | undefined = undefined;
  /** The input offsets its windows were shifted by (N x C) and their indices (runtime/scoring/input-offsets.ts), when the card tracks inputs. */
  shifted: Shift | undefined = undefined;
  /** Its windows' tracked states, looked up when it was shifted (scoreBatch uses them rather than look again). */
  states: Float64Array[] | undefined = undefined;

  constructor(
    readonly batch: SensorWindow[],
    /** Its assembled input (a view over the reused batch input). */
    readonly input: Float32Array,
    readonly held: AcquiredModel,
    /** When the model call started (performance.now()). */
    readonly t0: number,
    readonly assembleMs: number,
    /** Which of the loop's batch inputs `input` is a view of (free again once this batch is emitted). */
    readonly slot: number,
  ) {}

  /** Call the model; its answer (or failure) comes back through `settle`. */
  start(settle: Settle): void {
    try {
      const result = this.held.session.run(this.input, this.batch.length);
      if (isThenable(result)) {
        this.thenable = result;
        result.then(
          (r) => settle(this, undefined, r),
          (err: unknown) => settle(this, err ?? new Error('inference failed')),
        );
      } else {
        const sub = from(result).subscribe({
          next: (r) => settle(this, undefined, r),
          error: (err) => settle(this, err ?? new Error('inference failed')),
          complete: () => settle(this, new Error('inference produced no result')),
        });
        if (this.done) sub.unsubscribe();
        else this.sub = sub;
      }
    } catch (err) {
      settle(this, err ?? new Error('inference threw'));
    }
  }

  /**
   * Teardown while in flight: stop listening. A native run cannot be cancelled, so the session stays held until it
   * really ends and a swap cannot close it mid-run.
   */
  abandon(): void {
    this.sub.unsubscribe();
    const held = this.held;
    const release = () => held.release();
    if (this.thenable) this.thenable.then(release, release);
    else held.release();
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as PromiseLike<unknown> | null)?.then === 'function';
}
