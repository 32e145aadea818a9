/**
 * DSPOT (Siffer et al., KDD 2017, drift-aware SPOT): SPOT on the residual x - M, where M is the mean of the
 * last `depth` normal scores, so a slow drift of the error level moves the bar with it. The bar in score
 * units is M + z_q. Alarms enter neither the tail nor M unless `learnFromAnomalies`.
 */
import { z } from 'zod';
import type { RestorableThreshold, ThresholdState } from './threshold.ts';
import { provisionalLevel, type Seed } from './seed.ts';
import { PotTail } from './pot.ts';
import { potFields } from './spot.ts';
import { HoldOff, readNumber, readNumbers } from './options.ts';

/** Config: `{ kind: 'dspot', depth, q, nInit, level, maxPeaks, learnFromAnomalies }`. */
export const DspotConfigSchema = z
  .object({
    kind: z.literal('dspot'),
    ...potFields,
    /** Number of recent normal scores in the moving average M. */
    depth: z.number().int().min(1).max(10_000).default(100),
  })
  .strict();
/** Parsed DSPOT config. */
export type DspotConfig = z.output<typeof DspotConfigSchema>;

/** Drift-aware SPOT. */
export class DspotThreshold implements RestorableThreshold {
  readonly kind = 'dspot';
  private tail: PotTail;
  private ring: Float64Array;
  private head = 0;
  private held = 0;
  private sum = 0;
  private readonly hold: HoldOff;

  constructor(
    private readonly cfg: DspotConfig,
    private readonly seed?: Seed,
  ) {
    this.hold = new HoldOff(cfg.holdoff);
    this.tail = new PotTail(cfg);
    this.ring = new Float64Array(cfg.depth);
  }

  private get m(): number {
    return this.sum / this.held;
  }

  current(): number {
    if (this.held < this.cfg.depth) return this.seed ? this.seed.level : Infinity;
    if (!this.tail.calibrated) return provisionalLevel(this.seed, this.m, this.tail.initCount + this.held);
    return this.m + this.tail.zq;
  }

  isAnomaly(score: number): boolean {
    return score > this.current();
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    const ready = this.held === this.cfg.depth;
    if (ready && this.tail.calibrated && !this.cfg.learnFromAnomalies && this.hold.skip(flagged)) return;
    if (ready) {
      const r = score - this.m;
      if (this.tail.calibrated) this.tail.learn(r);
      else this.tail.calibrate(r);
    }
    this.push(score);
  }

  private push(x: number): void {
    if (this.held === this.cfg.depth) this.sum -= this.ring[this.head];
    else this.held++;
    this.ring[this.head] = x;
    this.head = (this.head + 1) % this.cfg.depth;
    this.sum += x;
    // Re-add from scratch once per lap so rounding in the running sum cannot accumulate over months.
    if (this.head === 0) this.sum = this.ring.reduce((a, b) => a + b, 0);
  }

  toJSON(): ThresholdState {
    // Storage order plus write position, so the once-per-lap re-add happens at the same step after restore.
    const recent = Array.from(this.ring.subarray(0, this.held));
    return { kind: this.kind, config: { ...this.cfg }, state: { recent, head: this.head, sum: this.sum, quiet: this.hold.quiet, tail: this.tail.toJSON() } };
  }

  restore(state: Record<string, unknown>): void {
    const recent = readNumbers(state, 'recent');
    if (recent.length > this.cfg.depth) throw new Error(`threshold state: ${recent.length} recent scores; expected at most depth ${this.cfg.depth}`);
    const tailState = state.tail;
    if (!tailState || typeof tailState !== 'object') throw new Error('threshold state: tail must be an object');
    const tail = new PotTail(this.cfg);
    tail.restore(tailState as Record<string, unknown>);
    this.tail = tail;
    this.ring = new Float64Array(this.cfg.depth);
    this.ring.set(recent);
    this.held = recent.length;
    this.head = readNumber(state, 'head');
    if (!Number.isInteger(this.head) || this.head < 0 || this.head >= this.cfg.depth || (this.held < this.cfg.depth && this.head !== this.held % this.cfg.depth)) {
      throw new Error(`threshold state: head ${this.head} does not fit ${this.held} recent scores of depth ${this.cfg.depth}`);
    }
    // The running sum is restored as saved (not re-added) so decisions match an uninterrupted run bit for bit.
    this.sum = readNumber(state, 'sum');
    this.hold.quiet = readNumber(state, 'quiet');
  }
}
