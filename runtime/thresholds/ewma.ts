/**
 * EWMA mean + k x sigma: exponentially weighted mean and variance of the scores, O(1) time and memory.
 * Seeded from the card's error mean and std as if they were `seedWeight` prior scores, so it decides
 * sensibly from the first window and hands over to live scores smoothly.
 */
import { z } from 'zod';
import type { RestorableThreshold, ThresholdState } from './threshold.ts';
import type { Seed } from './seed.ts';
import { HoldOff, holdoff, learnFromAnomalies, readNumber } from './options.ts';

/** Config: `{ kind: 'ewma', alpha, k, warmup, seedWeight, learnFromAnomalies }`. */
export const EwmaConfigSchema = z
  .object({
    kind: z.literal('ewma'),
    /** Weight of each new score (about 2/(span+1)). */
    alpha: z.number().gt(0).lt(1).default(0.01),
    /** Bar = mean + k x sigma. */
    k: z.number().positive().default(4.5),
    /** Live scores learnt unconditionally before flagged ones are refused (avoids a deadlock when the card's level is off). */
    warmup: z.number().int().min(1).default(100),
    /** How many scores the card's statistics count for at the start. */
    seedWeight: z.number().int().min(0).default(20),
    learnFromAnomalies,
    holdoff,
  })
  .strict();
/** Parsed EWMA config. */
export type EwmaConfig = z.output<typeof EwmaConfigSchema>;

/** Exponentially weighted mean + k sigma threshold. */
export class EwmaThreshold implements RestorableThreshold {
  readonly kind = 'ewma';
  private mean = 0;
  private variance = 0;
  /** Scores learnt, counting the seed as `seedWeight` of them. */
  private n = 0;
  private live = 0;
  private readonly hold: HoldOff;

  constructor(
    private readonly cfg: EwmaConfig,
    seed?: Seed,
  ) {
    this.hold = new HoldOff(cfg.holdoff);
    if (seed && cfg.seedWeight > 0) {
      this.mean = seed.mean;
      this.variance = seed.std * seed.std;
      this.n = cfg.seedWeight;
    }
  }

  current(): number {
    if (this.n === 0) return Infinity;
    return this.mean + this.cfg.k * Math.sqrt(this.variance);
  }

  isAnomaly(score: number): boolean {
    return score > this.current();
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    if (!this.cfg.learnFromAnomalies && this.live >= this.cfg.warmup && this.hold.skip(flagged)) return;
    // Plain averaging until 1/alpha scores are in, so early estimates are not dominated by the first one.
    const a = Math.max(this.cfg.alpha, 1 / (this.n + 1));
    const d = score - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    this.n++;
    this.live++;
  }

  toJSON(): ThresholdState {
    return { kind: this.kind, config: { ...this.cfg }, state: { mean: this.mean, variance: this.variance, n: this.n, live: this.live, quiet: this.hold.quiet } };
  }

  restore(s: Record<string, unknown>): void {
    this.mean = readNumber(s, 'mean');
    this.variance = readNumber(s, 'variance');
    this.n = readNumber(s, 'n');
    this.live = readNumber(s, 'live');
    this.hold.quiet = readNumber(s, 'quiet');
    if (this.variance < 0 || this.n < 0 || this.live < 0) throw new Error('threshold state: variance, n and live must be >= 0');
  }
}
