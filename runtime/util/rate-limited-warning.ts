/**
 * One warning line per interval, at most, for events that can come by the thousand (shed windows, dropped
 * readings, failed dead-letter writes). The first event is logged at once; later ones are summed by key (a
 * sensor, an error code) into one line at the end of the interval, so the counts of all lines add up to exactly
 * the events reported (the same as the counter beside them).
 */

/** How often at most a warning of one kind is logged (ms). */
export const WARNING_INTERVAL_MS = 10_000;

/** The part of the logger this needs. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

/** Clock and timer, injectable so a test can drive the interval. */
export interface WarningClock {
  now(): number;
  setTimeout(f: () => void, ms: number): { unref?(): unknown } | unknown;
  clearTimeout(t: unknown): void;
}

/** The real clock; timers do not keep the process alive. */
export const realClock: WarningClock = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms).unref(),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};

/** What one summary line says: `count` events since the last line, `byKey` their split (most first, at most 5). */
export type DescribeWarning = (count: number, byKey: Record<string, number>, keys: number) => [fields: object, msg: string];

/** A rate-limited warning: `add(key)` per event, `flush()` on stop to log what is still unreported. */
export interface RateLimitedWarning {
  add(key: string, n?: number): void;
  flush(): void;
}

/** Report events to `log`, at most one line per `intervalMs`. */
export function rateLimitedWarning(log: WarnLogger, describe: DescribeWarning, intervalMs = WARNING_INTERVAL_MS, clock: WarningClock = realClock): RateLimitedWarning {
  let count = 0;
  const byKey = new Map<string, number>();
  let timer: unknown;
  let lastAt = Number.NEGATIVE_INFINITY;

  const flush = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (count === 0) return;
    const top = [...byKey].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const [fields, msg] = describe(count, Object.fromEntries(top), byKey.size);
    log.warn(fields, msg);
    lastAt = clock.now();
    count = 0;
    byKey.clear();
  };

  return {
    add(key, n = 1) {
      count += n;
      byKey.set(key, (byKey.get(key) ?? 0) + n);
      if (timer !== undefined) return;
      const wait = lastAt + intervalMs - clock.now();
      if (wait <= 0) flush();
      else timer = clock.setTimeout(flush, wait);
    },
    flush,
  };
}

/** A rate-limited warning whose line also names the worst example reported since the last line. */
export interface WorstExampleWarning<T> {
  add(key: string, example: T, n?: number): void;
  flush(): void;
}

/**
 * `rateLimitedWarning` that keeps the worst example since the last line (`worse(a, b)`: a is worse than b) and hands
 * it to `describe` with the counts (the longest data gap, the largest clock step, ...).
 */
export function worstExampleWarning<T>(
  log: WarnLogger,
  describe: (count: number, byKey: Record<string, number>, keys: number, worst: T) => [fields: object, msg: string],
  worse: (a: T, b: T) => boolean,
  intervalMs = WARNING_INTERVAL_MS,
  clock: WarningClock = realClock,
): WorstExampleWarning<T> {
  let worst: T | undefined;
  const w = rateLimitedWarning(
    log,
    (count, byKey, keys) => {
      const x = worst!;
      worst = undefined;
      return describe(count, byKey, keys, x);
    },
    intervalMs,
    clock,
  );
  return {
    add(key, example, n = 1) {
      if (worst === undefined || worse(example, worst)) worst = example;
      w.add(key, n);
    },
    flush: w.flush,
  };
}
