/**
 * The drift signal that starts an adaptation (config `adapt.trigger.kind: drift`, docs/adapt.md "Trigger"): have
 * the scores of recent windows outside any incident moved above those the model scored when it went live?
 *
 * Reference: the first `windows` windows the model scored in service (outside incidents, gated as below): their
 * mean and standard deviation. Not the card's score statistics: those are of held-out windows scored without tracked
 * residual levels, well above what the runtime scores today's normal (in bench/adapt-drift.ts the signal sat 2-6
 * standard errors below zero on them, and a drift pushed the scores over the bar, where no window counts any more,
 * before it fired). Evidence: the mean score of the last `windows` windows, all sensors, that are outside an incident
 * and its guard band, gated as the reservoir gates (reservoir.ts): a window waits `guardMs` of data time before it
 * counts, an anomalous window of its sensor (or an open alert) meanwhile discards every window still waiting, and
 * the sensor's windows stay out for `guardMs` after it. So a fault never counts, nor the onset of a ramp under the
 * bar just before it is flagged. It fires when that mean is `z` standard errors above the reference's: a two-sample
 * test of means, the standard error from the reference's standard deviation and both samples' sizes, each counted
 * once every `spacing` windows (overlapping windows repeat the same rows). One-sided: scores falling is not what
 * adaptation repairs. A model swapped in gets a new signal (its own reference); an attempt spends the evidence only.
 */
import type { ModelCard } from '../model/card.ts';
import type { Detection } from '../stream/types.ts';
import { lruGet } from '../util/lru.ts';
import type { TriggerConfig } from './config.ts';

/** The scores a drift is measured against. */
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

  /** Set once the first `windows` windows are in. */
  reference: DriftReference | undefined;
  /** Welford's running mean and sum of squared deviations of the reference windows. */
  private refMean = 0;
  private refM2 = 0;
  private refCount = 0;
  private readonly onReference: ((r: DriftReference) => void) | undefined;

  constructor(
    private readonly cfg: Pick<TriggerConfig, 'windows' | 'z'> & { spacing: number },
    private readonly guardMs: number,
    /** Whose scores, for the log line ("version 2"). */
    private readonly model: string,
    o: {
      /** A reference measured before a restart, for the same model version. */
      restored?: Pick<DriftReference, 'mean' | 'std' | 'count'>;
      /** Told once, when the reference has been measured (to keep it across a restart). */
      onReference?: (r: DriftReference) => void;
    } = {},
  ) {
    this.ring = new Float64Array(cfg.windows);
    this.spacing = cfg.spacing;
    this.onReference = o.onReference;
    if (o.restored) this.reference = this.referenceOf(o.restored.mean, o.restored.std, o.restored.count);
  }

  /** Feed one detection. */
  observe(d: Detection): void {
    const v = d.verdict;
    const g = lruGet(this.sensors, v.sensor, () => ({ guardUntil: -Infinity, waiting: [] as SensorGate['waiting'] }), MAX_SENSORS);
    if (v.anomaly || d.alertOpen || d.alert || d.muted) {
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
    const ref = this.reference;
    if (!ref || this.filled < this.ring.length) return undefined;
    const mean = this.sum / this.filled;
    // Two samples: the reference's mean is itself measured on a few hundred overlapping windows.
    const se = ref.std * Math.sqrt(this.spacing * (1 / this.filled + 1 / ref.count));
    const z = se > 0 ? (mean - ref.mean) / se : mean > ref.mean ? Infinity : 0;
    return { windows: this.filled, mean, reference: ref, z, fired: z >= this.cfg.z };
  }

  /** Start collecting evidence afresh (after an attempt: what it was based on is spent; the reference stays). */
  reset(): void {
    this.pos = 0;
    this.filled = 0;
    this.sum = 0;
  }

  /**
   * The reference from its figures. Its standard deviation is at least 0.1 % of its mean: scores that did not vary
   * at all (a constant signal) would otherwise make any rise, however small, infinitely many standard errors.
   */
  private referenceOf(mean: number, std: number, count: number): DriftReference {
    return { mean, std: Math.max(std, 1e-3 * Math.abs(mean)), count, from: `the first ${count} windows ${this.model} scored in service` };
  }

  /** Waiting windows at least guardMs older than `now` count. */
  private release(g: SensorGate, now: number): void {
    while (g.waiting.length && g.waiting[0].ts <= now - this.guardMs) this.push(g.waiting.shift()!.score);
  }

  private push(score: number): void {
    if (!this.reference) {
      const n = ++this.refCount;
      const d = score - this.refMean;
      this.refMean += d / n;
      this.refM2 += d * (score - this.refMean);
      if (n === this.ring.length) {
        this.reference = this.referenceOf(this.refMean, Math.sqrt(this.refM2 / Math.max(1, n - 1)), n);
        this.onReference?.(this.reference);
      }
      return;
    }
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
