/**
 * Labelled anomaly injection, one reading at a time. Injection draws from its own random stream, so the healthy
 * signal underneath is identical with and without anomalies (that is how the ground truth is tested).
 * Each anomaly is an interval [startRow, endRow] on named channels, recorded as a label when it ends. Faults start
 * at random (a rate per reading) or where a schedule puts them (kind, first row, length: test sets with known faults).
 */
import type { Rng } from '@vigil/runtime/util/prng.ts';
import { spanOf } from './pump.ts';

/** Every anomaly kind the generator can inject. */
export const ANOMALY_TYPES = ['spike', 'level_shift', 'drift', 'variance_burst', 'stuck', 'dropout', 'broken_correlation'] as const;
/** One anomaly kind. */
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** A ground-truth interval: rows and timestamps inclusive. */
export interface AnomalyLabel {
  sensor: string;
  type: AnomalyType;
  /** Channels the fault was applied to. */
  channels: string[];
  startRow: number;
  endRow: number;
  /** Epoch ms of the first and last affected reading. */
  start: number;
  end: number;
}

/** A fault placed by hand: its kind, first row and length in rows; its channel and size are drawn as for a random one. */
export interface ScheduledFault {
  type: AnomalyType;
  startRow: number;
  rows: number;
}

/** How often and which anomalies to inject. */
export interface InjectionOptions {
  /** Probability per reading that an anomaly starts (when none is active and the gap has passed). */
  rate: number;
  /** Kinds allowed (default: all that fit the channel count). */
  types: readonly AnomalyType[];
  /** No anomaly starts before this row (a clean stretch to train on). */
  cleanRows: number;
  /** Minimum healthy rows between two anomalies, so intervals never touch. */
  minGap: number;
  /** Faults at given rows, in row order and not overlapping (in addition to random ones, when `rate` > 0). */
  schedule?: readonly ScheduledFault[];
}

/** Duration range in rows per kind. */
const DURATION: Record<AnomalyType, [number, number]> = {
  spike: [1, 3],
  level_shift: [60, 400],
  drift: [300, 1200],
  variance_burst: [30, 240],
  stuck: [90, 600],
  dropout: [20, 200],
  broken_correlation: [120, 600],
};

interface Active {
  type: AnomalyType;
  cols: number[];
  startRow: number;
  endRow: number;
  start: number;
  magnitude: number;
  frozen: number[];
}

/** Injects faults into a sensor's readings and reports each finished interval as a label. */
export class AnomalyInjector {
  private active: Active | null = null;
  private nextAllowed: number;
  private readonly kinds: AnomalyType[];
  private readonly flowCol: number;
  private readonly currentCol: number;
  private readonly schedule: readonly ScheduledFault[];
  private nextScheduled = 0;

  constructor(
    private readonly rng: Rng,
    private readonly sensor: string,
    private readonly channels: string[],
    private readonly opts: InjectionOptions,
    private readonly currentFor: (flowFrac: number) => number,
    private readonly flowFraction: () => number,
  ) {
    this.flowCol = channels.indexOf('flow');
    this.currentCol = channels.indexOf('motor_current');
    this.kinds = opts.types.filter((t) => t !== 'broken_correlation' || (this.flowCol >= 0 && this.currentCol >= 0));
    this.nextAllowed = opts.cleanRows;
    this.schedule = opts.schedule ?? [];
    this.schedule.forEach((f, i) => {
      if (!Number.isInteger(f.startRow) || f.startRow < 0 || !Number.isInteger(f.rows) || f.rows < 1) throw new Error(`scheduled fault ${i}: expected a row >= 0 and a length >= 1; got row ${f.startRow}, length ${f.rows}`);
      if (i > 0 && f.startRow <= this.schedule[i - 1].startRow + this.schedule[i - 1].rows - 1) throw new Error(`scheduled fault ${i} (row ${f.startRow}) starts before fault ${i - 1} ends; give them in row order, not overlapping`);
      if (f.type === 'broken_correlation' && (this.flowCol < 0 || this.currentCol < 0)) throw new Error(`scheduled fault ${i}: broken_correlation needs the flow and motor_current channels`);
    });
  }

  /** Apply the active fault (starting one first if it is due) to `values` of row `row` at `ts`; returns a label when one ends here. */
  apply(row: number, ts: number, values: Float32Array): AnomalyLabel | null {
    const planned = this.schedule[this.nextScheduled];
    if (planned?.startRow === row) {
      this.nextScheduled++;
      if (this.active) throw new Error(`scheduled ${planned.type} at row ${row} would start inside a random ${this.active.type} (rows ${this.active.startRow}-${this.active.endRow})`);
      this.begin(row, ts, values, planned);
    } else if (!this.active && row >= this.nextAllowed && this.opts.rate > 0 && this.kinds.length > 0 && this.rng.uniform() < this.opts.rate) this.begin(row, ts, values);
    const a = this.active;
    if (!a) return null;
    const progress = a.endRow === a.startRow ? 1 : (row - a.startRow) / (a.endRow - a.startRow);
    for (let k = 0; k < a.cols.length; k++) {
      const j = a.cols[k];
      const span = spanOf(this.channels[j]);
      switch (a.type) {
        case 'spike':
        case 'level_shift':
          values[j] += a.magnitude * span;
          break;
        case 'drift':
          values[j] += a.magnitude * span * progress;
          break;
        case 'variance_burst':
          values[j] += a.magnitude * span * this.rng.normal();
          break;
        case 'stuck':
          values[j] = a.frozen[k];
          break;
        case 'dropout':
          values[j] = 0;
          break;
        case 'broken_correlation':
          // Current follows the mirror image of flow: each channel stays in its normal range, the relation breaks.
          values[j] = this.currentFor(Math.max(0.2, Math.min(1, 1.15 - this.flowFraction())));
          break;
      }
      // Physical quantities here are never negative; a downward fault bottoms out at zero like a real transmitter.
      if (values[j] < 0 && !this.channels[j].startsWith('aux_')) values[j] = 0;
    }
    if (row < a.endRow) return null;
    this.active = null;
    this.nextAllowed = row + 1 + this.opts.minGap;
    return this.label(a, ts);
  }

  /** The interval in progress, closed at `row`/`ts` (for writing ground truth when a stream stops). */
  flush(row: number, ts: number): AnomalyLabel | null {
    const a = this.active;
    if (!a) return null;
    this.active = null;
    return this.label({ ...a, endRow: row }, ts);
  }

  private label(a: Active, end: number): AnomalyLabel {
    return { sensor: this.sensor, type: a.type, channels: a.cols.map((j) => this.channels[j]), startRow: a.startRow, endRow: a.endRow, start: a.start, end };
  }

  private begin(row: number, ts: number, values: Float32Array, planned?: ScheduledFault): void {
    const r = this.rng;
    const type = planned?.type ?? r.pick(this.kinds);
    const [dLo, dHi] = DURATION[type];
    const duration = planned?.rows ?? r.int(dLo, dHi);
    const sign = r.uniform() < 0.5 ? -1 : 1;
    let cols: number[];
    if (type === 'broken_correlation') cols = [this.currentCol];
    else if (type === 'variance_burst' && this.channels.length > 1 && r.uniform() < 0.5) {
      const a = r.int(0, this.channels.length - 1);
      cols = [a, (a + 1) % this.channels.length];
    } else cols = [r.int(0, this.channels.length - 1)];
    const magnitude: Record<AnomalyType, number> = {
      spike: sign * r.between(0.35, 0.7),
      level_shift: sign * r.between(0.12, 0.25),
      drift: sign * r.between(0.2, 0.4),
      variance_burst: r.between(0.04, 0.08),
      stuck: 0,
      dropout: 0,
      broken_correlation: 0,
    };
    this.active = {
      type, cols, startRow: row, endRow: row + duration - 1, start: ts, magnitude: magnitude[type],
      // Stuck holds the last healthy reading before the fault (this row's healthy value is close enough and known).
      frozen: cols.map((j) => values[j]),
    };
  }
}
