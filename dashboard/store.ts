/**
 * What the dashboard remembers: per sensor recent raw rows, verdicts and alert spans (`sensors.ts`, bounded by a
 * point budget; the spans follow the alert events in `alert-spans.ts`); globally the recent alerts, messages set
 * aside (`rejected.ts`), adaptation marks and measured throughput/latency. Memory is bounded however long it runs.
 */
import type { AlertEvent, Reading, Rejected, Verdict } from '@vigil/runtime/stream/types.ts';
import type { Scaler } from '@vigil/runtime/scaling/scaler.ts';
import type { OpenAlert } from '@vigil/runtime/alerts/alert-bank.ts';
import type { OutsideChannel } from '@vigil/runtime/scoring/seen-range.ts';
import { PointRing } from './ring.ts';
import { AlertSpans } from './alert-spans.ts';
import { SensorTable, type AlertSpan, type SensorState } from './sensors.ts';
import { Meter } from './meter.ts';
import { RejectedLog, type RejectedNote } from './rejected.ts';
import type { AdaptDecisionMark } from '@vigil/runtime/adapt/decision.ts';

/** Most alerts still open listed besides the recent ones (recentAlerts). */
export const OPEN_LISTED = 200;
/** One raw row: time (epoch ms) then one value per channel (NaN where absent). */
export type RawPoint = [ts: number, ...values: number[]];
/** One verdict: window end time (epoch ms), score, threshold, 1 when anomalous else 0. */
export type ScorePoint = [ts: number, score: number, threshold: number, anomaly: number];

export type { AlertSpan } from './sensors.ts';

/** One row of the sensor list. */
export interface SensorSummary {
  name: string;
  /** `silent`: the runtime's silent-sensor watch says it stopped reporting (its last score is stale, not normal). */
  state: 'ok' | 'alert' | 'warming' | 'silent';
  /** Signalled silent by the runtime, whatever its state (an alert open on a sensor gone quiet cannot close). */
  silent?: boolean;
  lastTs: number | null;
  score: number | null;
  threshold: number | null;
  windows: number;
  alerts: number;
  /** Wall-clock ms of the last update, for staleness. */
  seenAt: number;
  /**
   * Its readings refused as invalid in the last `INVALID_RECENT_MS` (wall clock): how many since the dashboard started,
   * the last one's reason and when. A sensor three readings in four of which are refused scores the fourth and would
   * read "normal" (a probe).
   */
  invalid?: { count: number; reason: string; at: number };
}

/** A sensor's refused readings are shown while the last one is at most this old (ms). */
export const INVALID_RECENT_MS = 5 * 60_000;
/** Rejection reasons that say a known sensor's readings are invalid (those of runtime/alerts/invalid-signals.ts, bad timestamps); out-of-order refusals come apart (`addRefused`). */
const INVALID_REASONS = new Set(['out_of_range', 'bad_value', 'bad_timestamp', 'missing_timestamp', 'missing_path']);

/** Options for the store. */
export interface StoreOptions {
  /** Raw rows and verdicts kept per sensor while there are few sensors (default 1800). */
  capacity?: number;
  /**
   * Rows kept across all sensors, per kind (default 500,000): with many sensors each keeps fewer (halving
   * as the count grows, never below 60), so memory stays bounded by this budget, not by the sensor count.
   */
  pointBudget?: number;
  /** Sensors remembered; beyond this the one heard from longest ago is forgotten (default 10,000). */
  maxSensors?: number;
  /** Alert spans kept per sensor and globally (x4). */
  alertCapacity?: number;
  /** Channel names in model order, used to order raw values. */
  channels?: string[];
  /** The card's scaler: shows window rows in original units when no raw readings arrive. */
  scaler?: Scaler;
  /** Clock, for tests. */
  now?: () => number;
}

/** The dashboard's bounded memory of a live pipeline. */
export class DashboardStore {
  private readonly sensors: SensorTable;
  /** Alert spans, per sensor and recent across sensors (dashboard/recording.ts keeps the closed ones over a restart). */
  readonly spans: AlertSpans;
  private readonly rejectedLog = new RejectedLog();
  /** The last decisions of adaptation on the gateway. */
  private readonly markRing = new PointRing<AdaptDecisionMark>(20);
  private readonly meter = new Meter();
  private readonly now: () => number;
  /** Bumped on every change, so a ticker can skip idle rounds. */
  version = 0;
  /** Wall-clock ms of the last reading or verdict (0: none yet). */
  lastDataAt = 0;

  constructor(private readonly opts: StoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    const alertCapacity = opts.alertCapacity ?? 50;
    this.sensors = new SensorTable(
      { capacity: opts.capacity ?? 1800, pointBudget: opts.pointBudget ?? 500_000, maxSensors: opts.maxSensors ?? 10_000, alertCapacity },
      this.now,
    );
    this.spans = new AlertSpans(alertCapacity * 4);
  }

  /** Sensors forgotten to stay within `maxSensors`. */
  get evicted(): number {
    return this.sensors.evicted;
  }

  private sensor(name: string, channels?: string[]): SensorState {
    return this.sensors.obtain(name, channels ?? this.opts.channels ?? []);
  }

  private scratchRow = new Float64Array(64);

  /** A reused row buffer (rings copy what they are given), so recording allocates nothing. */
  private scratch(width: number): Float64Array {
    if (this.scratchRow.length < width) this.scratchRow = new Float64Array(width);
    // Longer than `width` is fine: a ring reads only its own width.
    return this.scratchRow;
  }

  /** Rows each sensor keeps now. */
  get perSensorCapacity(): number {
    return this.sensors.perSensorCapacity;
  }

  /** Record a raw reading. Channels not seen before are appended to the sensor's channel list. */
  addReading(r: Reading): void {
    const s = this.sensor(r.sensor, this.opts.channels ? [...this.opts.channels] : []);
    s.sawReadings = true;
    for (const k of Object.keys(r.values)) if (!s.channels.includes(k) && s.channels.length < 32) s.channels.push(k);
    if (s.raw.width !== 1 + s.channels.length) s.raw = s.raw.widen(1 + s.channels.length);
    const row = this.scratch(1 + s.channels.length);
    row[0] = r.ts;
    for (let j = 0; j < s.channels.length; j++) {
      const v = r.values[s.channels[j]];
      row[j + 1] = typeof v === 'number' ? v : NaN;
    }
    s.raw.push(row);
    s.seenAt = this.lastDataAt = this.now();
    this.version++;
  }

  /** Record a verdict; without readings, its window's last row stands in for the raw channels. */
  addVerdict(v: Verdict): void {
    const s = this.sensor(v.sensor);
    const sr = this.scratch(4);
    sr[0] = v.tsLast;
    sr[1] = v.score;
    sr[2] = v.threshold;
    sr[3] = v.anomaly ? 1 : 0;
    s.scores.push(sr);
    if (!s.sawReadings) {
      const c = v.perChannel.length;
      if (s.channels.length !== c) s.channels = this.opts.channels?.length === c ? [...this.opts.channels] : Array.from({ length: c }, (_, i) => `ch${i}`);
      if (s.raw.width !== 1 + c) s.raw = s.raw.widen(1 + c);
      const row = this.scratch(1 + c);
      row[0] = v.tsLast;
      const base = v.data.length - c;
      for (let j = 0; j < c; j++) {
        const x = v.data[base + j];
        row[j + 1] = this.opts.scaler ? x * this.opts.scaler.scale[j] + this.opts.scaler.offset[j] : x;
      }
      s.raw.push(row);
    }
    this.spans.onVerdict(s, v);
    // Where its inputs are now, against training: copied (the verdict's is a view of its batch's buffer) into the
    // sensor's own array, kept while the sensor is outside (every verdict, at an operating point training never saw).
    if (!v.outside) s.outside = undefined;
    else if (s.outside?.length === v.outside.length) s.outside.set(v.outside);
    else s.outside = v.outside.slice();
    const t = this.now();
    s.seenAt = this.lastDataAt = t;
    this.meter.record(t, t - v.receivedAt);
    this.version++;
  }

  /** Record an alert opening, escalating or closing. */
  addAlert(e: AlertEvent): void {
    this.spans.onAlert(this.sensor(e.sensor), e);
    this.version++;
  }

  /** An alert open before the dashboard started (restored after a restart): its span, open, from its saved peak. */
  restoreOpen(a: OpenAlert, outsideOf?: (values: Float32Array) => OutsideChannel[] | undefined): void {
    if (this.spans.restore(this.sensor(a.sensor), a, this.opts.channels, outsideOf)) this.version++;
  }

  /** A sensor silent before the dashboard started: listed (as silent, through `isSilent`), last heard at `lastHeardAt`. */
  restoreSilent(name: string, lastHeardAt: number): void {
    if (this.has(name)) return;
    this.sensor(name).seenAt = lastHeardAt;
    this.version++;
  }

  /** Record a message the runtime set aside. */
  addRejected(r: Rejected): void {
    this.rejectedLog.add(r);
    // Marked on a sensor the page already lists (junk topics never make a row).
    if (r.sensor !== undefined && INVALID_REASONS.has(r.reason)) this.addRefused(r.sensor, r.reason);
    this.version++;
  }

  /** A reading of a listed sensor refused (`reason`: by the decoder, or out of order by the window stage). */
  addRefused(sensor: string, reason: string): void {
    const s = this.sensors.get(sensor);
    if (!s) return;
    s.refused = { count: (s.refused?.count ?? 0) + 1, reason, at: this.now() };
    this.version++;
  }

  /** Record a decision of adaptation (a mark on the page). */
  addMark(m: AdaptDecisionMark): void {
    this.markRing.push(m);
    this.version++;
  }

  /** Recent adaptation decisions, newest first. */
  marks(): AdaptDecisionMark[] {
    return this.markRing.since().reverse();
  }

  /** Recent messages set aside (newest first) and counts by reason. */
  rejected(): { recent: RejectedNote[]; byReason: Record<string, number> } {
    return this.rejectedLog.snapshot();
  }

  /** Sensor list, alerting first, then by name; `isSilent`: the runtime's silent-sensor watch, when it has one. */
  summaries(isSilent?: (sensor: string) => boolean): SensorSummary[] {
    const out: SensorSummary[] = [];
    for (const s of this.sensors.values()) {
      const last = s.scores.last();
      const silent = isSilent?.(s.name) === true;
      out.push({
        name: s.name,
        state: s.open ? 'alert' : silent ? 'silent' : last ? 'ok' : 'warming',
        ...(silent && { silent }),
        lastTs: last?.[0] ?? s.raw.last()?.[0] ?? null,
        score: last?.[1] ?? null,
        threshold: last?.[2] ?? null,
        windows: s.scores.seq,
        alerts: s.alerts,
        seenAt: s.seenAt,
        ...(s.refused && this.now() - s.refused.at <= INVALID_RECENT_MS ? { invalid: { ...s.refused } } : {}),
      });
    }
    return out.sort((a, b) => (a.state === 'alert' ? 0 : 1) - (b.state === 'alert' ? 0 : 1) || a.name.localeCompare(b.name));
  }

  /** Whether a sensor is known. */
  has(name: string): boolean {
    return this.sensors.get(name) !== undefined;
  }

  /** Channel names of a sensor. */
  channelsOf(name: string): string[] {
    return this.sensors.get(name)?.channels ?? [];
  }

  /** Cursor of a sensor's rings, to ask later for what is new. */
  cursor(name: string): { raw: number; scores: number } {
    const s = this.sensors.get(name);
    return { raw: s?.raw.seq ?? 0, scores: s?.scores.seq ?? 0 };
  }

  /** Points of a sensor after a cursor (everything held when no cursor). */
  pointsSince(name: string, from = { raw: 0, scores: 0 }): { raw: RawPoint[]; scores: ScorePoint[] } {
    const s = this.sensors.get(name);
    if (!s) return { raw: [], scores: [] };
    return { raw: s.raw.since(from.raw) as RawPoint[], scores: s.scores.since(from.scores) as ScorePoint[] };
  }

  /** Its latest window's inputs outside the range training saw (span means, scaled, NaN inside), or undefined. */
  outsideOf(name: string): Float32Array | undefined {
    return this.sensors.get(name)?.outside;
  }

  /** Alert spans of a sensor still held, oldest first. */
  spansOf(name: string): AlertSpan[] {
    return this.sensors.get(name)?.spans.since() ?? [];
  }

  /**
   * Recent alerts across sensors, newest first, then those still open from before them (at most OPEN_LISTED): newer
   * ones pushed an alert open all shift off the list (a shift probe: 25 open, 11 listed, the longest ones gone).
   */
  recentAlerts(limit = 20): AlertSpan[] {
    const recent = this.spans.recent(limit);
    const listed = new Set(recent);
    const older = [...this.sensors.values()].flatMap((s) => (s.open && !listed.has(s.open) ? [s.open] : [])).sort((a, b) => b.start - a.start);
    return older.length ? [...recent, ...older.slice(0, OPEN_LISTED)] : recent;
  }

  /** Number of alerts open now. */
  openAlerts(): number {
    let n = 0;
    for (const s of this.sensors.values()) if (s.open) n++;
    return n;
  }

  /** Throughput (windows/s) and latency (ms) measured at the dashboard. */
  measured(): { throughput: number; latencyMs?: { p50: number; p99: number } } {
    return { throughput: this.meter.throughput(this.now()), latencyMs: this.meter.latency() };
  }
}
