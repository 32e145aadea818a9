/**
 * The clock a simulator schedules against. Production uses the system clock; tests use `VirtualClock`, which
 * jumps straight to the next wake-up, so replay timing at any speed is checked exactly and without sleeping.
 */

/** Time source and sleeper. */
export interface Clock {
  /** Current time, epoch ms. */
  now(): number;
  /** Resolve at (or just after) absolute time `at` (epoch ms); resolves at once when `at` has passed. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time with timers; an abort resolves the sleep early (callers check the signal). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil(at, signal) {
    const wait = at - Date.now();
    if (wait <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

/**
 * Virtual time: `sleepUntil` advances the clock to the wake-up time immediately. `advance(ms)` lets a test
 * charge time for work (e.g. a slow publish) so it can check that schedules do not drift.
 */
export class VirtualClock implements Clock {
  /** Number of sleeps that actually moved time forward. */
  sleeps = 0;

  constructor(private t = 0) {}

  /** Current virtual time. */
  now(): number {
    return this.t;
  }

  /** Move virtual time forward by `ms` (work that takes time). */
  advance(ms: number): void {
    this.t += ms;
  }

  /** Jump to `at` if it is in the future. */
  async sleepUntil(at: number): Promise<void> {
    if (at > this.t) {
      this.t = at;
      this.sleeps++;
    }
  }
}
