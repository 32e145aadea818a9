/**
 * Reading -> SensorWindow: one RowLog per sensor, channels mapped by name to the card's order. Each row is scaled
 * once as it enters the log (the log holds scaled rows), so emitting a window is one copy, or none: with `views`
 * (the pipeline's choice) a window is a reference into its sensor's log (row number and log), copied straight into
 * the batch input when inferBatches assembles its batch, so a backlog costs readings, not windows x W. A hot reload
 * with another scaler re-expresses a sensor's held rows once, on its next reading (in a fresh log when windows still
 * wait on the old one, so they keep the scale they were cut in). Bad and late data are dropped
 * and counted, never thrown: out-of-order readings, a timestamp repeated with other values, readings with none of
 * the model's channels. A repeat of a reading already accepted (same timestamp and values: a QoS 1 redelivery after
 * a broker restart) is counted as a duplicate and ignored; it was judged once, so nothing is lost and it is no drop
 * (runtime/window/recent-readings.ts). Memory is bounded by `maxSensors` and idle eviction.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { ModelCard } from '../model/card.ts';
import { RowLog } from '../window/row-log.ts';
import { WindowCadence } from '../window/cadence.ts';
import { readingDigest, RecentReadings, SharedBudget } from '../window/recent-readings.ts';
import { definedOnly } from '../util/options.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { admissionPools, type AdmissionRule } from './admission.ts';
import type { Reading, SensorWindow, Verdict } from './types.ts';

/** Options of `windowBySensor`; every field has a default. */
export interface WindowBySensorOptions {
  /** Emit a window every `stride` rows once full (default 1: score every reading). */
  stride?: number;
  /** A missing channel is forward-filled from its last value up to this age (data time, ms); older marks the window incomplete. */
  maxFillAgeMs?: number;
  /** Drop windows that contain a row with a channel held past `maxFillAgeMs` instead of emitting them flagged. */
  skipIncomplete?: boolean;
  /** A gap in data time longer than this (ms) resets the sensor's window (default Infinity: never). */
  gapResetMs?: number;
  /**
   * At most this many sensors hold buffers (in the default pool): a new sensor beyond it evicts the least recently
   * seen one (counted as `evictedFull`), so a flood of new topics cannot lock out a real sensor.
   */
  maxSensors?: number;
  /** Pools by topic prefix (runtime/stream/admission.ts); a reading's pool is its `pool` (set by the decode stage). */
  admission?: AdmissionRule[];
  /** A sensor not heard from for this long (arrival time, ms) is evicted and starts afresh if it returns. */
  idleEvictMs?: number;
  /**
   * Arrival time (ms) before a sensor's newest accepted reading within which its accepted readings are remembered
   * (16 bytes each) to recognise a repeat as a `duplicate`; an older repeat counts `out_of_order`.
   */
  duplicateHorizonMs?: number;
  /** The last this many accepted readings of a sensor are remembered whatever their age (a slow sensor's copies). */
  duplicateHorizonReadings?: number;
  /** Readings remembered per sensor at most, and over all sensors (ring slots); past either the oldest go early (counted). */
  duplicateMaxPerSensor?: number;
  duplicateMaxReadings?: number;
  /**
   * Emit windows as views into their sensor's rows (`rows` set, `data` empty until inferBatches materialises it
   * into the batch input), created with every field of a Verdict so their shape never changes downstream. Off (the
   * default): each window owns a copy of its values, for consumers other than inferBatches.
   */
  views?: boolean;
  /** Counters to increment; a fresh set when omitted. */
  counters?: PipelineCounters;
  /** Told of every reading dropped, with the reason (its counter is incremented too), e.g. for a rate-limited log. */
  onDrop?: (reason: WindowDropReason, sensor: string) => void;
  /** Told of every sensor evicted to make room for `admitted` in a full pool. */
  onEvict?: (evicted: string, admitted: string) => void;
}

/**
 * Why the window stage drops a reading (the `vigil_dropped_total` reason). A `duplicate` (a repeat of a reading
 * already accepted) is not among them: it is counted apart and lost nothing.
 */
export type WindowDropReason = 'timestamp_conflict' | 'out_of_order' | 'unusable' | 'sensor_limit';

/** Defaults of `windowBySensor`, exported so config and docs quote the same numbers. */
export const WINDOW_DEFAULTS = {
  stride: 1,
  maxFillAgeMs: 60_000,
  skipIncomplete: false,
  gapResetMs: Number.POSITIVE_INFINITY,
  maxSensors: 10_000,
  idleEvictMs: 3_600_000,
  duplicateHorizonMs: 10_000,
  duplicateHorizonReadings: 64,
  duplicateMaxPerSensor: 65_536,
  duplicateMaxReadings: 524_288,
} as const;

interface SensorState {
  /** The sensor's scaled rows, numbered by `seq`; `rows.scaler` is the scale they are expressed in. */
  rows: RowLog;
  /** Timestamps of the last W rows, indexed by row count since reset modulo W. */
  times: Float64Array;
  /** Readings accepted in the last window.duplicateHorizonMs of arrival (across gap resets: a copy of any is a duplicate). */
  recent: RecentReadings;
  rowsSinceReset: number;
  /** When a window is due (the first time W rows are held since the reset, then every `stride` rows). */
  cadence: WindowCadence;
  lastTs: number;
  lastSeen: number;
  seq: number;
  /** Seq of the last row that had a channel held past its max age. */
  staleSeq: number;
  last: Float64Array;
  lastAt: Float64Array;
}

/** The card itself, or a getter for the current one (hot reload swaps it; windows record the scaler used). */
export type CardSource = ModelCard | (() => ModelCard);

/** Group readings per sensor into scaled, time-major windows of the card's shape. */
export function windowBySensor(card: CardSource, opts: WindowBySensorOptions = {}): OperatorFunction<Reading, SensorWindow> {
  const cardOf = typeof card === 'function' ? card : () => card;
  const o = { ...WINDOW_DEFAULTS, ...definedOnly(opts) };
  const counters = opts.counters ?? createCounters();
  const onDrop = opts.onDrop ?? (() => {});
  const onEvict = opts.onEvict ?? (() => {});
  const views = opts.views === true;
  for (const key of ['maxFillAgeMs', 'gapResetMs', 'idleEvictMs', 'duplicateHorizonMs'] as const) {
    if (!(o[key] >= 0)) throw new Error(`windowBySensor: ${key} must be a number >= 0, got ${o[key]}`);
  }
  for (const key of ['maxSensors', 'duplicateHorizonReadings', 'duplicateMaxPerSensor', 'duplicateMaxReadings'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`windowBySensor: ${key} must be an integer >= 1, got ${o[key]}`);
  }
  const { caps } = admissionPools(opts.admission, o.maxSensors);

  return (source) =>
    new Observable<SensorWindow>((subscriber) => {
      const { window: W, channels: names } = cardOf();
      const C = names.length;
      // One map per admission pool; iteration order is least recently seen first (every reading re-inserts its sensor).
      const pools = caps.map(() => new Map<string, SensorState>());
      let active = 0;
      const row = new Float32Array(C);
      const budget = new SharedBudget(o.duplicateMaxReadings, counters);

      const evictIdle = (now: number) => {
        for (const sensors of pools) {
          for (const [id, s] of sensors) {
            if (now - s.lastSeen <= o.idleEvictMs) break;
            sensors.delete(id);
            s.recent.release();
            active--;
            counters.evictedIdle++;
          }
        }
        counters.activeSensors = active;
      };

      const onReading = (r: Reading) => {
        counters.readings++;
        if (!Number.isFinite(r.ts) || typeof r.values !== 'object' || r.values === null) {
          counters.unusable++;
          return void onDrop('unusable', r.sensor);
        }
        evictIdle(r.receivedAt);
        const pool = r.pool !== undefined && r.pool < pools.length ? r.pool : pools.length - 1;
        const sensors = pools[pool];
        let s = sensors.get(r.sensor);
        if (s) sensors.delete(r.sensor);
        else {
          if (caps[pool] === 0) {
            counters.sensorLimit++;
            return void onDrop('sensor_limit', r.sensor);
          }
          if (sensors.size >= caps[pool]) {
            // The least recently seen sensor of this pool makes room: new sensors are never locked out.
            const oldest = sensors.keys().next().value as string;
            sensors.get(oldest)!.recent.release();
            sensors.delete(oldest);
            active--;
            counters.evictedFull++;
            onEvict(oldest, r.sensor);
          }
          s = newState(W, C, cardOf().scaler, new RecentReadings(o.duplicateHorizonMs, o.duplicateHorizonReadings, o.duplicateMaxPerSensor, budget), o.stride);
          active++;
        }
        sensors.set(r.sensor, s);
        counters.activeSensors = active;
        s.lastSeen = r.receivedAt;
        // A reading stamped on arrival is ordered by arrival: one that ties (or a clock step back) follows the last.
        const ts = r.arrival && r.ts <= s.lastTs ? after(s.lastTs) : r.ts;
        // Arrival-stamped readings are new by construction: no digest needed.
        const digest = r.arrival ? 0 : readingDigest(ts, r.values, names);
        if (ts <= s.lastTs) {
          if (s.recent.has(ts, digest)) return void counters.duplicates++;
          if (ts === s.lastTs) {
            counters.timestampConflicts++;
            return void onDrop('timestamp_conflict', r.sensor);
          }
          counters.outOfOrder++;
          return void onDrop('out_of_order', r.sensor);
        }

        const scaler = cardOf().scaler;
        const { offset, scale } = scaler;
        let present = 0;
        let filled = 0;
        let stale = false;
        for (let c = 0; c < C; c++) {
          const v = r.values[names[c]];
          if (typeof v === 'number' && Number.isFinite(v)) {
            row[c] = v;
            s.last[c] = v;
            s.lastAt[c] = ts;
            present++;
          } else if (!Number.isNaN(s.last[c]) && ts - s.lastAt[c] <= o.maxFillAgeMs) {
            row[c] = s.last[c];
            filled++;
          } else {
            // Never seen or too old: hold what we have (or the training offset, i.e. scaled 0) and flag the rows.
            row[c] = Number.isNaN(s.last[c]) ? offset[c] : s.last[c];
            stale = true;
          }
        }
        if (present === 0) {
          counters.unusable++;
          return void onDrop('unusable', r.sensor);
        }
        counters.filled += filled;
        if (s.seq > 0 && ts - s.lastTs > o.gapResetMs) {
          s.rowsSinceReset = 0;
          s.cadence.reset();
          counters.gapResets++;
        }
        if (s.rows.scaler !== scaler) {
          // Windows waiting on the log keep its rows in the scale they were cut in: the sensor goes on in a copy.
          if (s.rows.hasWaiting) s.rows = s.rows.fork();
          rescaleRows(s.rows, scaler);
        }
        // row[c] is read back as float32, exactly as when raw rows were held and scaled on emission.
        for (let c = 0; c < C; c++) row[c] = (row[c] - offset[c]) / scale[c];
        s.lastTs = ts;
        if (!r.arrival) s.recent.add(ts, digest, r.receivedAt);
        s.rows.push(row);
        s.times[s.rowsSinceReset % W] = ts;
        s.rowsSinceReset++;
        const seq = s.seq++;
        if (stale) s.staleSeq = seq;
        if (!s.cadence.next()) return;
        const incomplete = s.staleSeq > seq - W;
        if (incomplete && o.skipIncomplete) return void counters.skippedIncomplete++;
        counters.windows++;
        if (incomplete) counters.incompleteWindows++;
        const tsFirst = s.times[s.rowsSinceReset % W];
        if (views) {
          s.rows.hold(seq);
          return void subscriber.next(viewWindow(r.sensor, tsFirst, ts, seq, r.receivedAt, incomplete, scaler, s.rows));
        }
        // The window leaves the operator (batched, then completed in place into its ScoredWindow): its own copy.
        const data = new Float32Array(W * C);
        s.rows.copyWindow(seq, data, 0);
        const win: SensorWindow = {
          sensor: r.sensor,
          tsFirst,
          tsLast: ts,
          data,
          seq,
          receivedAt: r.receivedAt,
          scaler,
        };
        if (incomplete) win.incomplete = true;
        subscriber.next(win);
      };

      const sub = source.subscribe({
        next: (r) => {
          try {
            onReading(r);
          } catch (err) {
            // A bug here must not leave a half-updated sensor silently; surface it.
            subscriber.error(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        budget.give(budget.allocated);
      };
    });
}

/** The next data time after `t`: arrival-stamped readings in one millisecond stay in order a microsecond apart. */
function after(t: number): number {
  const next = t + 0.001;
  return next > t ? next : t + Math.abs(t) * Number.EPSILON * 2;
}

function newState(W: number, C: number, scaler: ModelCard['scaler'], recent: RecentReadings, stride: number): SensorState {
  return {
    rows: new RowLog(W, C, scaler, 0, stride),
    times: new Float64Array(W),
    recent,
    rowsSinceReset: 0,
    cadence: new WindowCadence(W, stride),
    lastTs: Number.NEGATIVE_INFINITY,
    lastSeen: 0,
    seq: 0,
    staleSeq: Number.NEGATIVE_INFINITY,
    last: new Float64Array(C).fill(NaN),
    lastAt: new Float64Array(C).fill(Number.NEGATIVE_INFINITY),
  };
}

/** Re-express a log's rows in the scale of `to`, in place (hot reload swapped the scaler). */
function rescaleRows(rows: RowLog, to: ModelCard['scaler']): void {
  const from = rows.scaler;
  const a = from.scale.map((s, c) => s / to.scale[c]);
  const b = from.offset.map((f, c) => (f - to.offset[c]) / to.scale[c]);
  rows.rescale(a, b);
  rows.scaler = to;
}

const NO_VALUES = new Float32Array(0);

/**
 * A window that is a view into its sensor's rows, with every field its Verdict will have, so the object keeps one
 * shape from here to the alert stage (inferBatches fills `data`, the scores and the provider in place).
 */
function viewWindow(sensor: string, tsFirst: number, tsLast: number, seq: number, receivedAt: number, incomplete: boolean, scaler: ModelCard['scaler'], rows: RowLog): Verdict {
  return {
    sensor,
    tsFirst,
    tsLast,
    data: NO_VALUES,
    seq,
    receivedAt,
    incomplete,
    scaler,
    rows,
    score: Number.NaN,
    perChannel: NO_VALUES,
    provider: '',
    threshold: Number.NaN,
    anomaly: false,
    rawScore: undefined,
  };
}
