/**
 * Group items into arrays: flush when `size` items are held or `maxWaitMs` after the first item of a batch,
 * whichever comes first; flush the remainder when the source completes (and before passing on an error, so
 * windows already cut are not lost). The timer lives only while a partial batch is held.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Options of `microBatch`. */
export interface MicroBatchOptions {
  /** Flush at this many items (>= 1). */
  size: number;
  /** Flush this long after the first item of a partial batch (>= 0 ms). */
  maxWaitMs: number;
  /** Scheduler for the wait (tests pass the TestScheduler). */
  scheduler?: SchedulerLike;
}

/** Batch items by count or by time since the first item of the batch. */
export function microBatch<T>({ size, maxWaitMs, scheduler = asyncScheduler }: MicroBatchOptions): OperatorFunction<T, T[]> {
  if (!Number.isInteger(size) || size < 1) throw new Error(`microBatch: size must be an integer >= 1, got ${size}`);
  if (!(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) throw new Error(`microBatch: maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buf: T[] = [];
      let timer: Subscription | undefined;
      const flush = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (buf.length === 0) return;
        const out = buf;
        buf = [];
        subscriber.next(out);
      };
      const sub = source.subscribe({
        next: (item) => {
          buf.push(item);
          if (buf.length >= size) flush();
          else if (!timer) timer = scheduler.schedule(flush, maxWaitMs);
        },
        error: (err) => {
          flush();
          subscriber.error(err);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
        timer = undefined;
        buf = [];
      };
    });
}
