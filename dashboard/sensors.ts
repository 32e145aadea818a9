/**
 * The dashboard's sensors: per sensor a ring of recent raw rows, a ring of recent verdicts and its last alert
 * spans. Memory stays bounded however many sensors report: the rings shrink to share a point budget, and beyond
 * `maxSensors` the sensor heard from longest ago is forgotten.
 */
import type { Cause } from '@vigil/runtime/scoring/cause.ts';
import { PointRing, RowRing } from './ring.ts';
import type { OutsideChannel } from '@vigil/runtime/scoring/seen-range.ts';
import type { Mark } from '@vigil/runtime/scoring/re-anchor.ts';
import type { MaintenanceMark } from '@vigil/runtime/alerts/maintenance.ts';

/** An alert span of one sensor; `end` is null while it is open. */
export interface AlertSpan {
  sensor: string;
  start: number;
  end: number | null;
  peakScore: number;
  threshold: number;
  /** The threshold of the peak's own window (an adaptive or reloaded bar moves); absent: `threshold`. */
  peakThreshold?: number;
  contributors: { channel: string; share: number }[];
  /** It has had a window at twice its threshold or more (it opened critical, or escalated). */
  critical?: boolean;
  /**
   * What a check found in the alert's anomalous windows (AlertEvent.cause): the latest found while it is open, kept
   * on close (the close event names its worst window's, which may have none), replaced by the close's when it names one.
   */
  cause?: Cause;
  /** A window of it held a channel its readings did not carry (AlertEvent.incomplete): the model judged a value nobody measured. */
  incomplete?: boolean;
  /** The channel `cause` is about (a stuck sensor's: the top channel of the window that showed it); absent: none. */
  causeChannel?: string;
  /** Closed without a quiet window (AlertEvent.unresolved: its sensor went silent for good): its end is its last data. */
  unresolved?: string;
  /** Closed after an operator set its sensor's level, or put it under maintenance (AlertEvent.marked): the command and who asked. */
  marked?: Mark | MaintenanceMark;
  /** Channels outside the range training saw where it opened (AlertEvent.outside; its close's, when its open was not seen), farthest first. */
  outside?: OutsideChannel[];
}

/** What the dashboard holds of one sensor. */
export interface SensorState {
  name: string;
  channels: string[];
  /** Rows of 1 + channels values. */
  raw: RowRing;
  /** Rows of [ts, score, threshold, anomaly]. */
  scores: RowRing;
  spans: PointRing<AlertSpan>;
  open: AlertSpan | null;
  alerts: number;
  sawReadings: boolean;
  seenAt: number;
  /** Its latest window's inputs outside the range training saw (Verdict.outside, copied), or undefined when inside. */
  outside?: Float32Array;
  /** Readings of it refused as invalid (out of range, bad value, out of order), the last one's reason and time. */
  refused?: { count: number; reason: string; at: number };
}

/** Sizes of the sensor table (the store's options with their defaults filled in). */
export interface SensorTableSizes {
  /** Rows per ring while there are few sensors. */
  capacity: number;
  /** Rows across all sensors, per kind. */
  pointBudget: number;
  maxSensors: number;
  /** Alert spans kept per sensor. */
  alertCapacity: number;
}

/** Every sensor the dashboard remembers, within its budget. */
export class SensorTable {
  private readonly sensors = new Map<string, SensorState>();
  /** Per-sensor ring size now: `capacity` halved as often as the budget needs. */
  private currentCap: number;
  /** Sensors forgotten to stay within `maxSensors`. */
  evicted = 0;

  constructor(private readonly sizes: SensorTableSizes, private readonly now: () => number) {
    this.currentCap = sizes.capacity;
  }

  /** Rows each sensor keeps now. */
  get perSensorCapacity(): number {
    return this.currentCap;
  }

  /** A sensor's state, if known. */
  get(name: string): SensorState | undefined {
    return this.sensors.get(name);
  }

  values(): IterableIterator<SensorState> {
    return this.sensors.values();
  }

  /** A sensor's state, made on first sight with `channels` (forgetting the quietest sensor when full). */
  obtain(name: string, channels: string[]): SensorState {
    let s = this.sensors.get(name);
    if (!s) {
      if (this.sensors.size >= this.sizes.maxSensors) this.evictQuietest();
      this.fitBudget(this.sensors.size + 1);
      s = {
        name,
        channels,
        raw: new RowRing(this.currentCap, 1 + Math.max(1, channels.length)),
        scores: new RowRing(this.currentCap, 4),
        spans: new PointRing<AlertSpan>(this.sizes.alertCapacity),
        open: null,
        alerts: 0,
        sawReadings: false,
        seenAt: this.now(),
      };
      this.sensors.set(name, s);
    }
    return s;
  }

  /** Halve every ring until `sensors` rings fit the point budget (a few resizes over the store's life). */
  private fitBudget(sensors: number): void {
    let cap = this.currentCap;
    while (cap > 60 && cap * sensors > this.sizes.pointBudget) cap = Math.max(60, Math.floor(cap / 2));
    if (cap === this.currentCap) return;
    this.currentCap = cap;
    for (const s of this.sensors.values()) {
      s.raw.resize(cap);
      s.scores.resize(cap);
    }
  }

  private evictQuietest(): void {
    let victim: SensorState | undefined;
    for (const s of this.sensors.values()) if (!victim || s.seenAt < victim.seenAt) victim = s;
    if (victim) {
      this.sensors.delete(victim.name);
      this.evicted++;
    }
  }
}
