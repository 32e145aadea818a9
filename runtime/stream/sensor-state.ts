/**
 * One sensor's place in the window stage: its scaled rows (a RowLog), the timestamps of its last W rows, when the
 * next window is due, its last value of each channel for forward fill, and the readings it accepted lately (to
 * recognise a redelivered copy). windowBySensor keeps one per sensor in its SensorPools and drives it a reading at
 * a time; nothing here allocates per reading.
 */
import type { ModelCard } from '../model/card.ts';
import { RowLog } from '../window/row-log.ts';
import { WindowCadence } from '../window/cadence.ts';
import type { RecentReadings } from '../window/recent-readings.ts';
import type { Reading } from './types.ts';
import type { CountedGap } from './data-gaps.ts';

type Scaler = ModelCard['scaler'];

/** A sensor's rows, timestamps, window cadence and fill values. */
export class SensorState {
  /** The sensor's scaled rows, numbered by `seq`; `rows.scaler` is the scale they are expressed in. */
  rows: RowLog;
  /** Timestamps of the last W rows, indexed by row count since reset modulo W. */
  readonly times: Float64Array;
  /** Readings accepted in the last window.duplicateHorizonMs of arrival (across gap resets: a copy of any is a duplicate). */
  readonly recent: RecentReadings;
  rowsSinceReset = 0;
  /** When a window is due (the first time W rows are held since the reset, then every `stride` rows). */
  readonly cadence: WindowCadence;
  lastTs = Number.NEGATIVE_INFINITY;
  /** Its rows so far are only a restart's tail (window-tails.ts): no live reading has been accepted since. */
  warmOnly = false;
  /** Its pace (runtime/window/pace.ts): the 20th percentile of its steps between readings, data time, ms; NaN until its first step. */
  usualStep = Number.NaN;
  /** The share of its steps that were IRREGULAR_RATIO paces or longer (runtime/window/pace.ts). */
  longShare = 0;
  /** Steps seen since it was first heard (its pace is judged from PACE_STEPS on). */
  steps = 0;
  /** Whether its pace was reported as slower than the model's interval. */
  paceTold = false;
  /** The 80th percentile of its steps, unclamped (runtime/window/pace.ts `nextFastPace`), and whether it was told fast. */
  fastStep = Number.NaN;
  fastTold = false;
  /** Arrival time (ms) of its last reading, for idle eviction. */
  lastSeen = 0;
  /** How far its last accepted reading was stamped ahead of its arrival, ms (NaN: stamped on arrival, or a restart's tail). */
  lead = Number.NaN;
  /** How much its lead changed from the reading before its last to its last, ms (NaN: not known): ~0 at a live pace. */
  leadStep = Number.NaN;
  /**
   * Its lead before its readings last jumped well ahead of their arrival (sensor-clocks.ts `clockStepped`), until
   * a window of readings confirms the new clock; NaN when no jump is pending.
   */
  leadBefore = Number.NaN;
  /** Its first reading was stamped well ahead of its arrival: `leadBefore` is that arrival (0), presumed, not seen. */
  leadPresumed = false;
  /**
   * The readings set aside when its clock stepped back (sensor-clocks.ts `clockStepped`): those stamped by the wrong
   * clock. A copy of one (a QoS 1 redelivery) is a duplicate, not a new jump that would restart its window again.
   */
  setAside: readonly { ts: number; digest: number }[] = [];
  /**
   * Readings refused in a row as a clock set back for good would send them (sensor-clocks.ts `setBackFor`): how many,
   * the last window's worth of them (to fill the window when the new clock is confirmed), the timestamp and arrival
   * of the first, and the timestamp of the last.
   */
  backRun = 0;
  backReadings: Reading[] = [];
  backFromTs = Number.NEGATIVE_INFINITY;
  backFromAt = Number.NEGATIVE_INFINITY;
  backLastTs = Number.NEGATIVE_INFINITY;
  /** Rows pushed so far: the next row's number. */
  seq = 0;
  /** Seq of the last row that had a channel held past its max age. */
  staleSeq = Number.NEGATIVE_INFINITY;
  /** Seq of the last row that had a channel forward-filled (the reading did not carry it). */
  filledSeq = Number.NEGATIVE_INFINITY;
  /** Last value seen of each channel (NaN: never) and its data time, for forward fill. */
  readonly last: Float64Array;
  readonly lastAt: Float64Array;
  /** Data time of its first reading (NaN until one): a channel never sent counts as missing from max fill age after it. */
  firstTs = Number.NaN;
  /** Channels said missing (1) and not carried since: a channel is said missing once per absence, not per reading. */
  readonly missing: Uint8Array;
  /** Its latest gaps counted missing (none: undefined), matched by readings of theirs that come late (data-gaps.ts `lateIntoGap`). */
  countedGaps: CountedGap[] | undefined;

  constructor(
    readonly window: number,
    channels: number,
    scaler: Scaler,
    recent: RecentReadings,
    stride: number,
  ) {
    this.rows = new RowLog(window, channels, scaler, 0, stride);
    this.times = new Float64Array(window);
    this.recent = recent;
    this.cadence = new WindowCadence(window, stride);
    this.last = new Float64Array(channels).fill(NaN);
    this.lastAt = new Float64Array(channels).fill(Number.NEGATIVE_INFINITY);
    this.missing = new Uint8Array(channels);
  }

  /** Start the window afresh after a gap in data time: the next window is due after W more rows. */
  resetWindow(): void {
    this.rowsSinceReset = 0;
    this.cadence.reset();
  }

  /**
   * Re-express the held rows in `scaler` (hot reload swapped it). Windows waiting on the log keep its rows in the
   * scale they were cut in: the sensor goes on in a copy.
   */
  rescaleTo(scaler: Scaler): void {
    if (this.rows.hasWaiting) this.rows = this.rows.fork();
    rescaleRows(this.rows, scaler);
  }

  /**
   * Append a scaled row stamped `ts`; `stale` marks a row with a channel held past its max age, `filled` one with a
   * channel forward-filled. Returns its seq.
   */
  append(row: Float32Array, ts: number, stale: boolean, filled = false): number {
    this.lastTs = ts;
    this.rows.push(row);
    this.times[this.rowsSinceReset % this.window] = ts;
    this.rowsSinceReset++;
    const seq = this.seq++;
    if (stale) this.staleSeq = seq;
    if (filled) this.filledSeq = seq;
    return seq;
  }

  /** Whether the window ending at row `seq` holds a row with a channel forward-filled. */
  hasFilled(seq: number): boolean {
    return this.filledSeq > seq - this.window;
  }

  /** Whether the window ending at row `seq` holds a row with a channel held past its max age. */
  isIncomplete(seq: number): boolean {
    return this.staleSeq > seq - this.window;
  }

  /** Timestamp of the first row of the window ending at the newest row. */
  get tsFirst(): number {
    return this.times[this.rowsSinceReset % this.window];
  }
}

/** Re-express a log's rows in the scale of `to`, in place (hot reload swapped the scaler). */
function rescaleRows(rows: RowLog, to: Scaler): void {
  const from = rows.scaler;
  const a = from.scale.map((s, c) => s / to.scale[c]);
  const b = from.offset.map((f, c) => (f - to.offset[c]) / to.scale[c]);
  rows.rescale(a, b);
  rows.scaler = to;
}
