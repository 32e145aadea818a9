/**
 * At most `max` of something per `windowMs` (fixed windows, each starting at the first `take` after the last one
 * ended; a clock stepping back starts a new one). For what must stay bounded when a flood of new topics arrives: first
 * log lines of new sensors (runtime/ops/rejection-log.ts), first invalid-reading signals (runtime/alerts/invalid-signals.ts),
 * invalid-reading log lines (runtime/ops/sinks.ts).
 */
export interface WindowBudget {
  /** Whether one more may go at time `now` (ms), counting it when it may. */
  take(now: number): boolean;
}

export function windowBudget(max: number, windowMs: number): WindowBudget {
  let start = Number.NEGATIVE_INFINITY;
  let used = 0;
  return {
    take(now) {
      if (now - start >= windowMs || now < start) {
        start = now;
        used = 0;
      }
      return used++ < max;
    },
  };
}
