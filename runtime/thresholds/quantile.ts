/**
 * Rolling quantile: the bar is `factor` x the q-quantile (nearest rank, exact) of the last `window` scores.
 * Flagged scores are learnt as the current quantile (censored) when `learnFromAnomalies` is false: dropping
 * them would truncate the window at its own bar and walk the bar down forever, while entering them at the
 * bar keeps the exceedance rate right and, since no value above the bar is added, cannot raise it.
 */
import { z } from 'zod';
import type { RestorableThreshold, ThresholdState } from './threshold.ts';
import type { Seed } from './seed.ts';
import { SortedWindow } from './sorted-window.ts';
import { HoldOff, holdoff, learnFromAnomalies, minCountFitsWindow, readNumber, windowValues } from './options.ts';

/** Config: `{ kind: 'quantile', q, window, factor, minCount, learnFromAnomalies }`. */
export const QuantileConfigSchema = z
  .object({
    kind: z.literal('quantile'),
    /** Quantile level of the window the bar sits at. */
    q: z.number().gt(0).lt(1).default(0.99),
    /** Scores held (memory: 16 bytes each). */
    window: z.number().int().min(10).max(1_000_000).default(1000),
    /**
     * Multiplier on the quantile (>= 1). Above 1 it is what lets the bar follow an upward drift when flagged
     * scores are not learnt: scores between the quantile and the bar are learnt and can lift the quantile.
     */
    factor: z.number().min(1).default(1.3),
    /** Scores needed before the window decides; until then the card's static level does. */
    minCount: z.number().int().min(1).default(100),
    learnFromAnomalies,
    holdoff,
  })
  .strict()
  .refine(...minCountFitsWindow);
/** Parsed rolling-quantile config. */
export type QuantileConfig = z.output<typeof QuantileConfigSchema>;

/** Exact windowed quantile threshold. */
export class QuantileThreshold implements RestorableThreshold {
  readonly kind = 'quantile';
  private win: SortedWindow;
  private readonly hold: HoldOff;

  constructor(
    private readonly cfg: QuantileConfig,
    private readonly seed?: Seed,
  ) {
    this.hold = new HoldOff(cfg.holdoff);
    this.win = new SortedWindow(cfg.window);
  }

  private get warm(): boolean {
    return this.win.size >= this.cfg.minCount;
  }

  current(): number {
    if (!this.warm) return this.seed ? this.seed.level : Infinity;
    return this.cfg.factor * this.win.quantile(this.cfg.q);
  }

  isAnomaly(score: number): boolean {
    return score > this.current();
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    // Warm-up learns every score: the card's level may not match live errors, and refusing would deadlock.
    if (!this.cfg.learnFromAnomalies && this.warm && this.hold.skip(flagged)) {
      // Censored: a flagged score enters as the current quantile (see README), held-off ones not at all.
      if (flagged) this.win.push(this.win.quantile(this.cfg.q));
      return;
    }
    this.win.push(score);
  }

  toJSON(): ThresholdState {
    return { kind: this.kind, config: { ...this.cfg }, state: { values: this.win.values(), quiet: this.hold.quiet } };
  }

  restore(state: Record<string, unknown>): void {
    this.win = SortedWindow.of(this.cfg.window, windowValues(state, 'values', this.cfg.window));
    this.hold.quiet = readNumber(state, 'quiet');
  }
}
