/**
 * Rolling median + k x MAD: robust centre and spread of the last `window` scores (exact), with the MAD
 * scaled by 1.4826 so k reads in sigmas for normal data. Flagged scores are skipped when
 * `learnFromAnomalies` is false; median and MAD barely move when a thin tail is cut, so there is no drift.
 */
import { z } from 'zod';
import type { RestorableThreshold, ThresholdState } from './threshold.ts';
import type { Seed } from './seed.ts';
import { SortedWindow } from './sorted-window.ts';
import { HoldOff, holdoff, learnFromAnomalies, minCountFitsWindow, readNumber, windowValues } from './options.ts';

/** MAD to sigma for normal data. */
const MAD_TO_SIGMA = 1.4826;

/** Config: `{ kind: 'mad', window, k, minCount, learnFromAnomalies }`. */
export const MadConfigSchema = z
  .object({
    kind: z.literal('mad'),
    window: z.number().int().min(10).max(1_000_000).default(1000),
    /** Bar = median + k x 1.4826 x MAD. */
    k: z.number().positive().default(5),
    minCount: z.number().int().min(1).default(100),
    learnFromAnomalies,
    holdoff,
  })
  .strict()
  .refine(...minCountFitsWindow);
/** Parsed median/MAD config. */
export type MadConfig = z.output<typeof MadConfigSchema>;

/** Rolling median + k MAD threshold. */
export class MadThreshold implements RestorableThreshold {
  readonly kind = 'mad';
  private win: SortedWindow;
  private level: number;
  private readonly hold: HoldOff;

  constructor(
    private readonly cfg: MadConfig,
    private readonly seed?: Seed,
  ) {
    this.hold = new HoldOff(cfg.holdoff);
    this.win = new SortedWindow(cfg.window);
    this.level = this.seedLevel();
  }

  /** The card's median + k MAD, the bar until the window is warm. */
  private seedLevel(): number {
    return this.seed ? this.seed.median + this.cfg.k * MAD_TO_SIGMA * this.seed.mad : Infinity;
  }

  private get warm(): boolean {
    return this.win.size >= this.cfg.minCount;
  }

  current(): number {
    return this.level;
  }

  isAnomaly(score: number): boolean {
    return score > this.level;
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    if (!this.cfg.learnFromAnomalies && this.warm && this.hold.skip(flagged)) return;
    this.win.push(score);
    this.recompute();
  }

  /** Cache the bar: it changes only when the window does, and `current()` is called per score. */
  private recompute(): void {
    if (!this.warm) return;
    const m = this.win.median();
    // A floor on the spread so a flat stretch of identical scores does not flag every tiny wobble.
    const mad = Math.max(this.win.mad(m), 1e-6 * Math.abs(m), 1e-12);
    this.level = m + this.cfg.k * MAD_TO_SIGMA * mad;
  }

  toJSON(): ThresholdState {
    return { kind: this.kind, config: { ...this.cfg }, state: { values: this.win.values(), quiet: this.hold.quiet } };
  }

  restore(state: Record<string, unknown>): void {
    this.win = SortedWindow.of(this.cfg.window, windowValues(state, 'values', this.cfg.window));
    this.hold.quiet = readNumber(state, 'quiet');
    this.level = this.seedLevel();
    this.recompute();
  }
}
