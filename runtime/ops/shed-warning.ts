/**
 * A warning line when windows are shed because waiting windows would pass `batch.maxPendingBytes`, at most one
 * line per interval (runtime/util/rate-limited-warning.ts): the `shed` fields of all lines add up to exactly the
 * windows shed (the same as the counter).
 */
import type { SensorWindow } from '../stream/types.ts';
import { rateLimitedWarning, realClock, WARNING_INTERVAL_MS, type WarnLogger, type WarningClock } from '../util/rate-limited-warning.ts';

export type { WarnLogger } from '../util/rate-limited-warning.ts';
/** Clock and timer, injectable so a test can drive the interval. */
export type ShedWarningClock = WarningClock;

/** How often at most a shed warning is logged (ms). */
export const SHED_WARNING_INTERVAL_MS = WARNING_INTERVAL_MS;

/** The shed reporter: `shed(window)` for each shed window, `flush()` on stop to log what is still unreported. */
export interface ShedWarning {
  shed(w: SensorWindow): void;
  flush(): void;
}

/** Report shed windows to `log`, rate-limited. */
export function shedWarning(log: WarnLogger, maxPendingBytes: number, intervalMs = SHED_WARNING_INTERVAL_MS, clock: ShedWarningClock = realClock): ShedWarning {
  const w = rateLimitedWarning(
    log,
    (count, sensors, sensorCount) => [
      { shed: count, sensors, sensorCount, maxPendingBytes },
      `inference is behind: ${count} waiting window(s) shed, oldest of the longest backlog first, because waiting windows would pass batch.maxPendingBytes (${maxPendingBytes} bytes); raise it, add CPU, or slow the sources`,
    ],
    intervalMs,
    clock,
  );
  return { shed: (win) => w.add(win.sensor), flush: w.flush };
}
