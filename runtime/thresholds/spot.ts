/**
 * SPOT (Siffer et al., KDD 2017): calibrate on the first `nInit` scores (initial threshold t at quantile
 * `level`, GPD fitted to the excesses by Grimshaw's trick), then stream: a score above z_q (the level
 * exceeded with probability q) is an alarm, a score in (t, z_q] is a new peak that refits the GPD.
 * Until calibrated it decides with the card's static level.
 */
import { z } from 'zod';
import type { RestorableThreshold, ThresholdState } from './threshold.ts';
import { provisionalLevel, type Seed } from './seed.ts';
import { PotTail } from './pot.ts';
import { holdoff, HoldOff, jsonNumber, learnFromAnomalies, readNumber, readNumberOrNull } from './options.ts';

/** Parameters SPOT and DSPOT share. */
export const potFields = {
  /** Risk: the probability of a normal score exceeding the bar. */
  q: z.number().gt(0).lt(0.5).default(3e-4),
  /** Scores used for the initial calibration. */
  nInit: z.number().int().min(50).max(1_000_000).default(1000),
  /** Quantile of the calibration scores used as the peaks threshold t. */
  level: z.number().gt(0.5).lt(1).default(0.98),
  /** Most recent peaks kept for the GPD fit (bounds memory and refit cost). */
  maxPeaks: z.number().int().min(10).max(100_000).default(500),
  /** Runs declustering: excesses fewer than this many scores apart count as one peak (0: every excess, as in the paper). */
  decluster: z.number().int().min(0).max(100_000).default(10),
  /** Peaks needed before the GPD shape is fitted (fewer: exponential tail). */
  minShapePeaks: z.number().int().min(3).max(100_000).default(50),
  learnFromAnomalies,
  holdoff,
};

/** Config: `{ kind: 'spot', q, nInit, level, maxPeaks, learnFromAnomalies }`. */
export const SpotConfigSchema = z.object({ kind: z.literal('spot'), ...potFields }).strict();
/** Parsed SPOT config. */
export type SpotConfig = z.output<typeof SpotConfigSchema>;

/** Streaming peaks-over-threshold with a GPD tail. */
export class SpotThreshold implements RestorableThreshold {
  readonly kind = 'spot';
  private tail: PotTail;
  private readonly hold: HoldOff;
  /** Cached provisional level during calibration (refreshed every 50 scores, so it costs O(1) amortised). */
  private provisional = NaN;

  constructor(
    private readonly cfg: SpotConfig,
    private readonly seed?: Seed,
  ) {
    this.hold = new HoldOff(cfg.holdoff);
    this.tail = new PotTail(cfg);
  }

  current(): number {
    if (!this.tail.calibrated) return Number.isNaN(this.provisional) ? (this.seed ? this.seed.level : Infinity) : this.provisional;
    return this.tail.zq;
  }

  isAnomaly(score: number): boolean {
    return score > this.current();
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    // Calibration learns every score (the card's level only stands in); afterwards alarms are not learnt.
    if (!this.tail.calibrated) {
      this.tail.calibrate(score);
      const k = this.tail.initCount;
      if (k > 0 && k % 50 === 0) this.provisional = provisionalLevel(this.seed, this.tail.initMean(), k);
      return;
    }
    if (!this.cfg.learnFromAnomalies && this.hold.skip(flagged)) return;
    this.tail.learn(score);
  }

  toJSON(): ThresholdState {
    return { kind: this.kind, config: { ...this.cfg }, state: { ...this.tail.toJSON(), quiet: this.hold.quiet, provisional: jsonNumber(this.provisional) } };
  }

  restore(state: Record<string, unknown>): void {
    const tail = new PotTail(this.cfg);
    tail.restore(state);
    this.tail = tail;
    this.hold.quiet = readNumber(state, 'quiet');
    this.provisional = readNumberOrNull(state, 'provisional');
  }
}
