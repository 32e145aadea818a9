/**
 * Nonparametric dynamic threshold after Hundman et al. (KDD 2018, telemanom), made streaming. Every
 * `refitEvery` scores, over the last `window` (smoothed) scores: epsilon = mean + z std for the z in
 * [zMin, zMax) that maximises (dMean/mean + dStd/std) / (|anomalous scores| + |sequences|^2), subject to at
 * most `maxSequences` sequences and fewer than half the window above it. Pruning (rate `p`): sequences whose
 * peak is not at least p above the next lower peak (or the highest normal score) are not anomalies. Hence a
 * new excursion must exceed both epsilon and M/(1-p), M being the highest window score not in a kept
 * sequence; once a sequence is open (the previous score was flagged) it continues while above epsilon.
 */
import { z } from 'zod';
import type { RestorableThreshold, ThresholdState } from './threshold.ts';
import type { Seed } from './seed.ts';
import { readBool, HoldOff, holdoff, jsonNumber, learnFromAnomalies, minCountFitsWindow, readNumber, readNumberOrNull, windowValues } from './options.ts';

/** Config: `{ kind: 'telemanom', window, zMin, zMax, zStep, p, maxSequences, refitEvery, minCount, learnFromAnomalies }`. */
export const TelemanomConfigSchema = z
  .object({
    kind: z.literal('telemanom'),
    window: z.number().int().min(10).max(100_000).default(500),
    zMin: z.number().positive().default(2.5),
    zMax: z.number().positive().default(12),
    zStep: z.number().positive().default(0.5),
    /** Minimum relative drop between consecutive sequence peaks for the higher one to stay anomalous. */
    p: z.number().gt(0).lt(1).default(0.13),
    maxSequences: z.number().int().min(1).default(5),
    /** Scores between refits of epsilon (amortises the O(window x z-steps) search). */
    refitEvery: z.number().int().min(1).default(10),
    minCount: z.number().int().min(2).default(100),
    learnFromAnomalies,
    holdoff,
  })
  .strict()
  .refine((c) => c.zMin < c.zMax, { message: 'zMin must be < zMax', path: ['zMin'] })
  .refine(...minCountFitsWindow);
/** Parsed telemanom config. */
export type TelemanomConfig = z.output<typeof TelemanomConfigSchema>;

/** Streaming telemanom-style dynamic threshold. */
export class TelemanomThreshold implements RestorableThreshold {
  readonly kind = 'telemanom';
  private ring: Float64Array;
  private head = 0;
  private held = 0;
  private sinceFit = 0;
  private epsilon = NaN;
  /** Highest window score outside kept sequences (NaN before the first fit). */
  private normalMax = NaN;
  /** Whether the previous score was flagged: an open sequence continues above epsilon. */
  private open = false;
  private readonly hold: HoldOff;

  constructor(
    private readonly cfg: TelemanomConfig,
    private readonly seed?: Seed,
  ) {
    this.hold = new HoldOff(cfg.holdoff);
    this.ring = new Float64Array(cfg.window);
  }

  current(): number {
    if (!Number.isFinite(this.epsilon)) return this.seed ? this.seed.level : Infinity;
    if (this.open) return this.epsilon;
    return Math.max(this.epsilon, this.normalMax / (1 - this.cfg.p));
  }

  isAnomaly(score: number): boolean {
    return score > this.current();
  }

  decided(flagged: boolean): void {
    this.open = Number.isFinite(this.epsilon) && flagged;
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    const warm = Number.isFinite(this.epsilon);
    this.open = warm && flagged;
    if (warm && !this.cfg.learnFromAnomalies && this.hold.skip(flagged)) return;
    this.ring[this.head] = score;
    this.head = (this.head + 1) % this.cfg.window;
    if (this.held < this.cfg.window) this.held++;
    if (warm && !flagged && score > this.normalMax) this.normalMax = score;
    this.sinceFit++;
    if (this.held >= this.cfg.minCount && (!warm || this.sinceFit >= this.cfg.refitEvery)) this.refit();
  }

  /** Window values oldest first. */
  private ordered(): Float64Array {
    const out = new Float64Array(this.held);
    const start = (this.head - this.held + this.cfg.window) % this.cfg.window;
    for (let i = 0; i < this.held; i++) out[i] = this.ring[(start + i) % this.cfg.window];
    return out;
  }

  private refit(): void {
    this.sinceFit = 0;
    const e = this.ordered();
    const n = e.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += e[i];
    const mean = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (e[i] - mean) ** 2;
    const sd = Math.sqrt(ss / n);
    let best = -Infinity;
    let eps = mean + this.cfg.zMax * sd;
    for (let z = this.cfg.zMin; z < this.cfg.zMax; z += this.cfg.zStep) {
      const cand = mean + z * sd;
      let nb = 0;
      let sb = 0;
      let ssb = 0;
      let above = 0;
      let seqs = 0;
      let prevAbove = false;
      for (let i = 0; i < n; i++) {
        const v = e[i];
        if (v >= cand) {
          above++;
          if (!prevAbove) seqs++;
          prevAbove = true;
        } else {
          nb++;
          sb += v;
          ssb += v * v;
          prevAbove = false;
        }
      }
      if (above === 0 || nb === 0) continue;
      const mb = sb / nb;
      const sdb = Math.sqrt(Math.max(0, ssb / nb - mb * mb));
      const score = ((mean - mb) / (mean || 1) + (sd - sdb) / (sd || 1)) / (above + seqs * seqs);
      // ">=" as in the reference code: ties go to the higher epsilon.
      if (score >= best && seqs <= this.cfg.maxSequences && above < n / 2) {
        best = score;
        eps = cand;
      }
    }
    this.epsilon = eps;
    this.normalMax = this.prune(e, eps);
  }

  /** Prune sequences above eps; return the highest score that is not in a kept sequence. */
  private prune(e: Float64Array, eps: number): number {
    const peaks: number[] = [];
    let normal = -Infinity;
    let cur = -Infinity;
    for (let i = 0; i < e.length; i++) {
      if (e[i] >= eps) cur = Math.max(cur, e[i]);
      else {
        normal = Math.max(normal, e[i]);
        if (cur > -Infinity) peaks.push(cur);
        cur = -Infinity;
      }
    }
    if (cur > -Infinity) peaks.push(cur);
    peaks.sort((a, b) => b - a);
    const chain = [...peaks, normal];
    let keep = 0; // sequences 0..keep-1 stay anomalous
    for (let i = 0; i < peaks.length; i++) {
      if (chain[i] > 0 && (chain[i] - chain[i + 1]) / chain[i] > this.cfg.p) keep = i + 1;
    }
    return Number.isFinite(chain[keep]) ? chain[keep] : eps;
  }

  toJSON(): ThresholdState {
    const values = Array.from(this.ring.subarray(0, this.held));
    return {
      kind: this.kind,
      config: { ...this.cfg },
      state: { values, head: this.head, sinceFit: this.sinceFit, epsilon: jsonNumber(this.epsilon), normalMax: jsonNumber(this.normalMax), open: this.open, quiet: this.hold.quiet },
    };
  }

  restore(s: Record<string, unknown>): void {
    const values = windowValues(s, 'values', this.cfg.window);
    const head = readNumber(s, 'head');
    if (!Number.isInteger(head) || head < 0 || head >= this.cfg.window || (values.length < this.cfg.window && head !== values.length % this.cfg.window)) {
      throw new Error(`threshold state: head ${head} does not fit ${values.length} values of window ${this.cfg.window}`);
    }
    this.ring = new Float64Array(this.cfg.window);
    this.ring.set(values);
    this.held = values.length;
    this.head = head;
    this.sinceFit = readNumber(s, 'sinceFit');
    this.epsilon = readNumberOrNull(s, 'epsilon');
    this.normalMax = readNumberOrNull(s, 'normalMax');
    this.open = readBool(s, 'open');
    this.hold.quiet = readNumber(s, 'quiet');
  }
}
