/**
 * The learning gate every adaptive threshold gets from the factory, in front of its `update()`: scores of an
 * incident, and of a guard band around it, never enter the kind's state, and the bar in force rises by at most
 * `maxRise` per `riseWindows` windows. One implementation for every kind; the kinds' own state is unchanged.
 *
 * - Before: the last `guardBefore` scores wait in a queue before they are learnt; when a score is flagged the
 *   queue is discarded, so the onset of an incident (the part of a ramp still under the bar) is not learnt.
 * - During and after: flagged scores are not learnt, nor are the `holdoff` scores after the last flagged one
 *   (the kind's `holdoff` option). An alert that closes after `closeM` quiet windows is therefore kept out
 *   whole when `holdoff` >= `closeM` (the defaults: 20 and 10).
 * - Rise: `current()` is min(the kind's level, a ceiling that moves towards it by at most a factor
 *   (1 + maxRise)^(1/riseWindows) per window), so whatever a kind learns, the bar cannot jump; it follows a
 *   fall at once.
 * - Wrong card: until `minLearnt` scores have been learnt, an incident lasting `minLearnt` windows is taken as
 *   the card's level being below live errors (everything flagged from the start) and its scores are learnt
 *   from then on; otherwise such a kind would never get a baseline of its own.
 * With `learnFromAnomalies` the gate lets every score through at once (the rise bound still holds).
 */
import { z } from 'zod';
import type { RestorableThreshold, Threshold, ThresholdState } from './threshold.ts';
import { jsonNumber, readNumber, readNumberOrNull, readNumbers } from './options.ts';

/** Gate options, accepted by every adaptive kind's config (validated once by the factory). */
export const GateConfigSchema = z
  .object({
    /** Scores held back before they are learnt; discarded when an incident starts (the guard band before it). */
    guardBefore: z.number().int().min(0).max(100_000).default(0),
    /** Largest relative rise of the bar per `riseWindows` windows (1: it may double); compounded per window. */
    maxRise: z.number().nonnegative().default(1),
    /** Windows over which the bar may rise by `maxRise` at most. */
    riseWindows: z.number().int().min(1).default(20),
    /** Scores learnt before a long incident is always kept out (until then one lasting this long is learnt). */
    minLearnt: z.number().int().min(1).default(100),
    /**
     * The bar never falls below this share of the card's static level (what normal operation scored at
     * training): a long idle stretch (machine stopped, near-perfect reconstructions) would otherwise teach a
     * bar that every normal score exceeds, and flagged scores are never learnt, so it would never recover.
     * 0 = no floor; without a card there is none.
     */
    floorShare: z.number().min(0).max(1).default(0.75),
  })
  .strict();
/** Parsed gate options. */
export type GateConfig = z.output<typeof GateConfigSchema>;
/** Names of the gate options, to split them from a kind's own. */
export const GATE_KEYS = Object.keys(GateConfigSchema.shape) as (keyof GateConfig)[];

/** What the gate settings of a kind's config need besides the gate's own. */
export interface GatedKindConfig {
  learnFromAnomalies: boolean;
  holdoff: number;
}

/** What the gate has let through and kept out so far (for logs and the dashboard). */
export interface LearningSummary {
  /** Bar in force (bounded). */
  level: number;
  /** The kind's own level, before the rise bound. */
  kindLevel: number;
  learnt: number;
  /** Scores kept out: flagged or in the guard bands (a non-finite score is ignored whole, as the threshold contract asks). */
  keptOut: number;
  /** Scores waiting in the guard band before learning. */
  pending: number;
}

/** A sensor's learning summary with the kind that learnt it (the dashboard's detail panel). */
export type ThresholdLearning = LearningSummary & { kind: string };

/** An adaptive threshold behind the learning gate. */
export class GatedThreshold implements RestorableThreshold {
  readonly kind: string;
  private pending: number[] = [];
  /** Scores after the last flagged one still to keep out. */
  private quiet = 0;
  /** Windows the current incident (flagged or held off) has lasted. */
  private run = 0;
  private learnt = 0;
  private keptOut = 0;
  private level: number;
  private ceiling: number;
  private readonly step: number;

  constructor(
    private readonly inner: RestorableThreshold,
    private readonly cfg: GateConfig & GatedKindConfig,
    /** Lowest bar allowed (`floorShare` x the card's static level; 0 without a card). */
    private readonly floor = 0,
  ) {
    this.kind = inner.kind;
    this.step = (1 + cfg.maxRise) ** (1 / cfg.riseWindows);
    this.ceiling = inner.current();
    this.level = Math.max(this.floor, this.ceiling);
  }

  current(): number {
    return this.level;
  }

  isAnomaly(score: number): boolean {
    return score > this.level;
  }

  update(score: number, flagged: boolean): void {
    if (!Number.isFinite(score)) return;
    if (this.cfg.learnFromAnomalies) this.learn(score, flagged);
    else if (flagged || this.quiet > 0) {
      this.quiet = flagged ? this.cfg.holdoff : this.quiet - 1;
      this.run++;
      this.keptOut += this.pending.length;
      this.pending.length = 0;
      if (this.learnt < this.cfg.minLearnt && this.run >= this.cfg.minLearnt) this.learn(score, false);
      else this.keptOut++;
    } else {
      this.run = 0;
      this.pending.push(score);
      if (this.pending.length > this.cfg.guardBefore) this.learn(this.pending.shift()!, false);
    }
    this.inner.decided?.(flagged);
    this.bound();
  }

  /**
   * The ceiling moves towards the kind's level by at most one step per window, up or down; the bar is the
   * lower of the two. A fall of the kind's level therefore lowers the bar at once, while the ceiling keeps
   * a short dip (telemanom's lower bar while an excursion is open) from also lowering the limit on a rise.
   */
  private bound(): void {
    const kind = this.inner.current();
    if (!Number.isFinite(this.ceiling)) this.ceiling = kind;
    else this.ceiling = Math.min(this.ceiling * this.step, Math.max(this.ceiling / this.step, kind));
    this.level = Math.max(this.floor, Math.min(kind, this.ceiling));
  }

  private learn(score: number, flagged: boolean): void {
    this.inner.update(score, flagged);
    this.learnt++;
  }

  /** What the kind has learnt and what was kept out. */
  summary(): LearningSummary {
    return { level: this.level, kindLevel: this.inner.current(), learnt: this.learnt, keptOut: this.keptOut, pending: this.pending.length };
  }

  toJSON(): ThresholdState {
    const s = this.inner.toJSON();
    const gate = { pending: this.pending.slice(), quiet: this.quiet, run: this.run, learnt: this.learnt, keptOut: this.keptOut, level: jsonNumber(this.level), ceiling: jsonNumber(this.ceiling) };
    return { ...s, state: { ...s.state, gate } };
  }

  restore(state: Record<string, unknown>): void {
    const { gate, ...own } = state;
    this.inner.restore(own);
    // A state saved before the gate existed restores the kind and starts the gate afresh.
    if (gate === undefined) {
      this.ceiling = this.inner.current();
      this.level = Math.max(this.floor, this.ceiling);
      return;
    }
    if (!gate || typeof gate !== 'object') throw new Error('threshold state: gate must be an object');
    const g = gate as Record<string, unknown>;
    const pending = readNumbers(g, 'pending');
    if (pending.length > this.cfg.guardBefore) throw new Error(`threshold state: gate holds ${pending.length} pending scores; expected at most guardBefore ${this.cfg.guardBefore}`);
    this.pending = pending;
    this.quiet = readNumber(g, 'quiet');
    this.run = readNumber(g, 'run');
    this.learnt = readNumber(g, 'learnt');
    this.keptOut = readNumber(g, 'keptOut');
    const level = readNumberOrNull(g, 'level');
    const ceiling = readNumberOrNull(g, 'ceiling');
    this.level = Math.max(this.floor, Number.isNaN(level) ? Infinity : level);
    this.ceiling = Number.isNaN(ceiling) ? Infinity : ceiling;
  }
}

/** Whether a threshold is behind the gate (adaptive kinds built by the factory are). */
export function isGated(t: Threshold): t is GatedThreshold {
  return t instanceof GatedThreshold;
}
