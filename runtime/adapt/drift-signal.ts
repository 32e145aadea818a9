/**
 * The drift signal that starts an adaptation (config `adapt.trigger.kind: drift`, docs/adapt.md "Trigger"): have
 * the scores of recent windows outside any incident moved above the scores the model was calibrated on?
 *
 * Reference: the card's score statistics (`errorStats.validation`, else `train`): the mean and standard deviation of
 * the scores of windows the model never fitted, the same numbers its threshold was calibrated from. Evidence: the
 * mean score of the last `windows` windows, all sensors, that are outside an incident and its guard band, gated as
 * the reservoir gates (reservoir.ts): a window waits `guardMs` of data time before it counts, an anomalous window of
 * its sensor (or an open alert) meanwhile discards every window still waiting, and the sensor's windows stay out
 * for `guardMs` after it. So a fault never counts, nor the onset of a ramp under the bar just before it is flagged.
 * It fires when that mean is `z` standard errors above the card's mean: a two-sample test of means, the standard
 * error from the card's standard deviation and both samples' sizes (the card's windows and the recent ones), each
 * counted once every `spacing` windows (overlapping windows repeat the same rows). One-sided: scores falling is not
 * what adaptation repairs.
 */
import type { ModelCard } from '../model/card.ts';
import type { Detection } from '../stream/types.ts';
import { lruGet } from '../util/lru.ts';
import type { TriggerConfig } from './config.ts';

/** The calibration a drift is measured against. */
export interface DriftReference {
  mean: number;
  std: number;
  /** Windows they were measured on (the reference's own uncertainty enters the test). */
  count: number;
  /** Where it comes from, for the log line. */
  from: string;
}

/** The signal now. */
export interface DriftReading {
  /** Windows the mean is over (the test waits until `windows` are in). */
  windows: number;
  mean: number;
  reference: DriftReference;
  /** Standard errors above the reference mean. */
  z: number;
  fired: boolean;
}

/** A card's score statistics: validation windows when it has them (never fitted), else training windows. */
export function driftReference(card: Pick<ModelCard, 'errorStats' | 'version'>): DriftReference {
  const v = card.errorStats.validation;
  const s = v && v.count > 1 ? v : card.errorStats.train;
  return { mean: s.mean, std: s.std, count: s.count, from: `version ${card.version}'s ${s === v ? 'validation' : 'training'} scores (${s.count} windows)` };
}

/**
 * The calibration of the bar in force: an adapted model that kept its parent's threshold (`vigil adapt --threshold
 * keep`, or `auto` on reservoir windows) is measured against the scores that bar was calibrated on, its parent's
 * (`parentCard`: the parent's card, or undefined when it is not kept), and so on up the lineage. Its own card's
 * statistics are not that: they are of held-out windows scored without tracked residual means, above what the
 * runtime scores today's normal (in bench/adapt-drift.ts the signal sat 2-6 standard errors below zero on them).
 */
export function calibrationReference(card: ModelCard, parentCard: (version: string) => ModelCard | undefined): DriftReference {
  let at = card;
  for (let hops = 0; hops < 100; hops++) {
    const t = at.lineage?.validation.threshold;
    const parent = at.lineage && t && t.after === t.before ? parentCard(at.lineage.parent.version) : undefined;
    if (!parent) break;
    at = parent;
  }
  return driftReference(at);
}

/** Windows per independent one when `spacing` is unset: half the windows that share a row. */
export function defaultSpacing(card: Pick<ModelCard, 'window' | 'stride'>): number {
  return Math.max(1, card.window / card.stride / 2);
}

interface SensorGate {
  guardUntil: number;
  /** Scores waiting out the guard band, with their data time. */
  waiting: { ts: number; score: number }[];
}

/** Sensors tracked at most (the least recently heard from is forgotten). */
const MAX_SENSORS = 100_000;

/** The drift signal of one model. */
export class DriftSignal {
  private readonly ring: Float64Array;
  private pos = 0;
  private filled = 0;
  private sum = 0;
  private readonly sensors = new Map<string, SensorGate>();
  private readonly spacing: number;

  constructor(
    readonly reference: DriftReference,
    private readonly cfg: Pick<TriggerConfig, 'windows' | 'z'> & { spacing: number },
    private readonly guardMs: number,
  ) {
    this.ring = new Float64Array(cfg.windows);
    this.spacing = cfg.spacing;
  }

  /** Feed one detection. */
  observe(d: Detection): void {
    const v = d.verdict;
    const g = lruGet(this.sensors, v.sensor, () => ({ guardUntil: -Infinity, waiting: [] as SensorGate['waiting'] }), MAX_SENSORS);
    if (v.anomaly || d.alertOpen || d.alert) {
      g.waiting.length = 0;
      g.guardUntil = Math.max(g.guardUntil, v.tsLast + this.guardMs);
      return;
    }
    this.release(g, v.tsLast);
    if (v.tsLast < g.guardUntil || !Number.isFinite(v.score)) return;
    g.waiting.push({ ts: v.tsLast, score: v.score });
    // Bounded: more than a ring's worth waiting adds nothing the ring could hold.
    if (g.waiting.length > this.ring.length) g.waiting.shift();
    this.release(g, v.tsLast);
  }

  /** The signal now; undefined until `windows` windows are in. */
  reading(): DriftReading | undefined {
    if (this.filled < this.ring.length) return undefined;
    const mean = this.sum / this.filled;
    // Two samples: the card's mean is itself measured on a few hundred overlapping windows.
    const se = this.reference.std * Math.sqrt(this.spacing * (1 / this.filled + 1 / Math.max(1, this.reference.count)));
    const z = se > 0 ? (mean - this.reference.mean) / se : mean > this.reference.mean ? Infinity : 0;
    return { windows: this.filled, mean, reference: this.reference, z, fired: z >= this.cfg.z };
  }

  /** Start collecting evidence afresh (after an attempt: what it was based on is spent). */
  reset(): void {
    this.pos = 0;
    this.filled = 0;
    this.sum = 0;
  }

  /** Waiting windows at least guardMs older than `now` count. */
  private release(g: SensorGate, now: number): void {
    while (g.waiting.length && g.waiting[0].ts <= now - this.guardMs) this.push(g.waiting.shift()!.score);
  }

  private push(score: number): void {
    if (this.filled === this.ring.length) this.sum -= this.ring[this.pos];
    else this.filled++;
    this.ring[this.pos] = score;
    this.sum += score;
    this.pos = (this.pos + 1) % this.ring.length;
    // Once per lap, so rounding in the running sum cannot build up over a long run.
    if (this.pos === 0) this.sum = this.ring.reduce((a, x) => a + x, 0);
  }
}

/** One line about a reading, for the decision log. */
export function describeDrift(r: DriftReading): string {
  return `mean score of the last ${r.windows} windows outside alerts ${r.mean.toFixed(3)} against ${r.reference.mean.toFixed(3)} in ${r.reference.from}: ${r.z.toFixed(1)} standard errors above`;
}
