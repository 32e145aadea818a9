/**
 * The expected band of the flag rate after an adapted model is swapped in: the share of scored windows flagged
 * over the `windows` verdicts after the swap, against the share over the `windows` before it. It leaves the band,
 * and the swap is rolled back, when it exceeds `factor` x the share before (counted as at least `floor`) or the
 * `ceiling` outright. Decided as soon as the count makes it certain (early rollback), else after `windows` verdicts.
 * Flagged windows the previous model flags too (second-opinion.ts) are excused: they are the data, not the swap.
 */
import type { RollbackConfig } from './config.ts';

/** The share of the last `n` verdicts flagged (a ring of bits). */
export class FlagRate {
  private readonly bits: Uint8Array;
  private pos = 0;
  private filled = 0;
  private flagged = 0;

  constructor(n: number) {
    this.bits = new Uint8Array(n);
  }

  push(anomaly: boolean): void {
    const b = anomaly ? 1 : 0;
    this.flagged += b - this.bits[this.pos];
    this.bits[this.pos] = b;
    this.pos = (this.pos + 1) % this.bits.length;
    if (this.filled < this.bits.length) this.filled++;
  }

  /** Share flagged over what it holds (0 when empty), and how many it holds. */
  share(): { share: number; windows: number } {
    return { share: this.filled ? this.flagged / this.filled : 0, windows: this.filled };
  }
}

/** What the watch has decided. */
export type WatchVerdict =
  | { kind: 'watching' }
  | { kind: 'kept' | 'rollback'; before: number; after: number; limit: number; windows: number; excused: number };

/** Watches the verdicts after one swap. */
export class SwapWatch {
  /** Largest share after the swap that stays in the band. */
  readonly limit: number;
  private seen = 0;
  /** Flagged and not excused. */
  private flagged = 0;
  /** Flagged, and flagged by the previous model too. */
  excused = 0;

  constructor(
    /** Share flagged before the swap. */
    readonly before: number,
    private readonly cfg: RollbackConfig,
  ) {
    this.limit = Math.min(cfg.factor * Math.max(before, cfg.floor), cfg.ceiling ?? 1);
  }

  /** Feed one verdict after the swap. */
  push(anomaly: boolean): WatchVerdict {
    this.seen++;
    if (anomaly) this.flagged++;
    return this.verdict();
  }

  /** `k` of the flagged windows are a change in the data (the previous model flags them too): they do not count. */
  excuse(k: number): WatchVerdict {
    const m = Math.min(k, this.flagged);
    this.flagged -= m;
    this.excused += m;
    return this.verdict();
  }

  private verdict(): WatchVerdict {
    const n = this.cfg.windows;
    const result = (kind: 'kept' | 'rollback'): WatchVerdict => ({ kind, before: this.before, after: this.flagged / Math.max(1, this.seen), limit: this.limit, windows: this.seen, excused: this.excused });
    if (this.flagged > this.limit * n) return result('rollback');
    return this.seen >= n ? result('kept') : { kind: 'watching' };
  }
}
