/**
 * A warning line when windows are shed because waiting windows would pass `batch.maxPendingBytes`, at most one
 * line per interval. The first shed is logged at once; later ones are summed into one line at the end of the
 * interval, so the `shed` fields of all lines add up to exactly the windows shed (the same as the counter).
 */
import type { SensorWindow } from '../stream/types.ts';

/** How often at most a shed warning is logged (ms). */
export const SHED_WARNING_INTERVAL_MS = 10_000;

/** The part of the logger this needs. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

/** Clock and timer, injectable so a test can drive the interval. */
export interface ShedWarningClock {
  now(): number;
  setTimeout(f: () => void, ms: number): { unref?(): unknown } | unknown;
  clearTimeout(t: unknown): void;
}

const realClock: ShedWarningClock = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms).unref(),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};

/** The shed reporter: `shed(window)` for each shed window, `flush()` on stop to log what is still unreported. */
export interface ShedWarning {
  shed(w: SensorWindow): void;
  flush(): void;
}

/** Report shed windows to `log`, rate-limited. */
export function shedWarning(log: WarnLogger, maxPendingBytes: number, intervalMs = SHED_WARNING_INTERVAL_MS, clock: ShedWarningClock = realClock): ShedWarning {
  let count = 0;
  const bySensor = new Map<string, number>();
  let timer: unknown;
  let lastAt = Number.NEGATIVE_INFINITY;

  const flush = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (count === 0) return;
    const top = [...bySensor].sort((a, b) => b[1] - a[1]).slice(0, 5);
    log.warn(
      { shed: count, sensors: Object.fromEntries(top), sensorCount: bySensor.size, maxPendingBytes },
      `inference is behind: ${count} waiting window(s) shed, oldest of the longest backlog first, because waiting windows would pass batch.maxPendingBytes (${maxPendingBytes} bytes); raise it, add CPU, or slow the sources`,
    );
    lastAt = clock.now();
    count = 0;
    bySensor.clear();
  };

  return {
    shed(w) {
      count++;
      bySensor.set(w.sensor, (bySensor.get(w.sensor) ?? 0) + 1);
      if (timer !== undefined) return;
      const wait = lastAt + intervalMs - clock.now();
      if (wait <= 0) flush();
      else timer = clock.setTimeout(flush, wait);
    },
    flush,
  };
}
