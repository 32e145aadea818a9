/**
 * The batch in flight in inferBatches: its windows, assembled input and hold on the model, and the model call
 * itself. One object per batch and no closures per batch: a promise (every real session) is settled by handlers
 * made once per subscription; an Observable (test doubles) may emit, then complete later, so its events are tied
 * to their own batch.
 */
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

  constructor(
    readonly batch: SensorWindow[],
    /** Its assembled input (a view over the reused batch input). */
    readonly input: Float32Array,
    readonly held: AcquiredModel,
    /** When the model call started (performance.now()). */
    readonly t0: number,
    readonly assembleMs: number,
  ) {}

  /** Call the model; its answer (or failure) comes back through `onResult`/`onFailure` (a promise) or `settle`. */
  start(onResult: (r: ModelOutputs) => void, onFailure: (err: unknown) => void, settle: Settle): void {
    try {
      const result = this.held.session.run(this.input, this.batch.length);
      if (isThenable(result)) {
        this.thenable = result;
        result.then(onResult, onFailure);
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
