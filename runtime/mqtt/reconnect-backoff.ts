/**
 * When to try the broker again after losing it. The first attempt goes out at once (a broker that restarts is back
 * within a second or two, and with a persistent session every moment away is readings the broker must queue, or
 * loses if it lost the session); then every `minMs` for the first `quickMs` of the outage; then exponential
 * backoff from `minMs` doubling up to `maxMs`; every delay with +-20% jitter so a fleet does not stampede. A
 * connection that lasted less than `STABLE_MS` does not start a fresh outage: a client kicked again and again (two
 * processes with one client id, a broker refusing us after CONNACK) backs off instead of hammering the broker.
 */

/** A connection this long (ms) counts as restored: the next drop starts again with an immediate attempt. */
export const STABLE_MS = 10_000;

/** The first attempt after a drop waits at most this long (ms), jittered from 1 ms. */
export const FIRST_ATTEMPT_MAX_MS = 50;

/** The `broker.reconnect` settings. */
export interface ReconnectSettings {
  minMs: number;
  maxMs: number;
  quickMs: number;
}

/** Exponential delay: `minMs` doubling per `attempt` (0-based) up to `maxMs`, +-20% jitter. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, rand = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * rand())));
}

/** The reconnect schedule of one client: tell it when the connection comes and goes, ask it for the next delay. */
export class ReconnectBackoff {
  private connectedAt: number | undefined;
  private outageStart: number | undefined;
  private attempts = 0;
  /** Attempts since the quick phase ended (the exponent). */
  private slow = 0;

  constructor(
    private readonly cfg: ReconnectSettings,
    private readonly rand: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The broker accepted us. */
  connected(): void {
    this.connectedAt = this.now();
  }

  /** The connection (or an attempt at one) closed: start an outage unless the last connection was short-lived. */
  dropped(): void {
    const t = this.now();
    if (this.connectedAt !== undefined) {
      const lasted = t - this.connectedAt;
      this.connectedAt = undefined;
      if (lasted < STABLE_MS && this.outageStart !== undefined) return;
    } else if (this.outageStart !== undefined) return;
    this.outageStart = t;
    this.attempts = 0;
    this.slow = 0;
  }

  /** Delay (ms, >= 1) before the next attempt. */
  nextDelay(): number {
    const { minMs, maxMs, quickMs } = this.cfg;
    if (this.attempts++ === 0) return Math.max(1, Math.round(this.rand() * Math.min(FIRST_ATTEMPT_MAX_MS, minMs)));
    if (this.now() - (this.outageStart ?? this.now()) < quickMs) return backoffDelay(0, minMs, maxMs, this.rand);
    return backoffDelay(this.slow++, minMs, maxMs, this.rand);
  }
}
