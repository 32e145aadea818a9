/**
 * Group items into arrays: flush when `size` items are held or `maxWaitMs` after the first item of a batch,
 * whichever comes first; flush the remainder when the source completes (and before passing on an error, so
 * windows already cut are not lost). The timer lives only while a partial batch is held.
 *
 * With `adaptive`, `maxWaitMs` is a budget rather than a fixed wait: the batch also goes as soon as the arrival
 * rate says the next item would not come before the budget runs out (the mean gap between items, each gap counted
 * at most twice `maxWaitMs`). Waiting only pays when it collects windows to share a model call; where they come too
 * seldom for that (a few sensors, slow data), a window goes at once instead of waiting the budget out alone.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Options of `microBatch`. */
export interface MicroBatchOptions {
  /** Flush at this many items (>= 1). */
  size: number;
  /** Flush this long after the first item of a partial batch (>= 0 ms). */
  maxWaitMs: number;
  /** Flush earlier when the next item is not expected within what is left of `maxWaitMs` (default false). */
  adaptive?: boolean;
  /** Scheduler for the wait and the clock of `adaptive` (tests pass the TestScheduler). */
  scheduler?: SchedulerLike;
}

/**
 * Weight of the newest gap in the mean gap between items: about the last ten gaps count, so a burst of one
 * socket read (gaps of 0) and the pause after it average out, and a change of rate shows within a batch or two.
 */
const GAP_WEIGHT = 0.1;

/** Batch items by count or by time since the first item of the batch. */
export function microBatch<T>({ size, maxWaitMs, adaptive = false, scheduler = asyncScheduler }: MicroBatchOptions): OperatorFunction<T, T[]> {
  if (!Number.isInteger(size) || size < 1) throw new Error(`microBatch: size must be an integer >= 1, got ${size}`);
  if (!(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) throw new Error(`microBatch: maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buf: T[] = [];
      let timer: Subscription | undefined;
      /** With `adaptive`: when the batch held must go, the last item's arrival and the mean gap (NaN: not known yet). */
      let deadline = 0;
      let lastAt = Number.NaN;
      let gap = Number.NaN;
      const flush = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (buf.length === 0) return;
        const out = buf;
        buf = [];
        subscriber.next(out);
      };
      /** Take an item's arrival (`adaptive` only): whether the next is expected too late to join the batch it starts or joins. */
      const nothingMoreSoon = (first: boolean): boolean => {
        const now = scheduler.now();
        if (first) deadline = now + maxWaitMs;
        // A quiet spell counts as two budgets: the mean comes back within a few items once data flows again, and a pair
        // of windows in the same millisecond (sensors on one second tick) does not hold the next lone ones for the whole
        // budget (capped at one budget, a single gap of 0 did for 87 windows of 1 Hz data: a review).
        const g = Math.min(now - lastAt, 2 * maxWaitMs);
        lastAt = now;
        if (g >= 0) gap = Number.isNaN(gap) ? g : gap + GAP_WEIGHT * (g - gap);
        // Past the deadline the timer is due anyway: items of one synchronous burst keep filling the batch up to size.
        return now < deadline && now + gap >= deadline;
      };
      const sub = source.subscribe({
        next: (item) => {
          // maxWaitMs 0 still batches what one socket read brings (flushed by a timer of 0 ms).
          const early = adaptive && maxWaitMs > 0 && nothingMoreSoon(buf.length === 0);
          buf.push(item);
          if (buf.length >= size) flush();
          else if (early) {
            // At the end of this turn, not at once: the rest of what one socket read brings (sensors on one tick) joins.
            timer?.unsubscribe();
            timer = scheduler.schedule(flush, 0);
          } else if (!timer) timer = scheduler.schedule(flush, maxWaitMs);
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
