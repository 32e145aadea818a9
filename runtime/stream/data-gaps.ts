/**
 * Gaps in a sensor's data, as the window stage judges each step between two of its readings: readings lost before
 * they reached vigil (a broker's queue limit, a gateway's outage) leave a step of 1.75 intervals or more, whose
 * skipped readings count as missing, and a step longer than a whole window of readings restarts the window (it would
 * span the hole as if its rows were consecutive). The interval is the model's training interval, or the sensor's own
 * pace (runtime/window/pace.ts) where it is clearly slower; a sensor reporting irregularly (by exception) counts no
 * gap; readings vigil refused itself (`RefusedReadings`) explain the gap they leave, and a reading that comes into a
 * gap after it was counted is one of its missing ones, not counted again (`lateIntoGap`). A sensor much faster than
 * the model's interval is said too (`fasterThanModel`). `GapWatch` judges each step for the window stage, counts the
 * gaps and tells `onGap` / `onPace`.
 */
import type { ModelCard } from '../model/card.ts';
import { IRREGULAR_RATIO, IRREGULAR_SHARE, nextFastPace, nextLongShare, nextPace, PACE_STEPS } from '../window/pace.ts';
import type { PipelineCounters } from './counters.ts';
import type { SensorState } from './sensor-state.ts';

/** The window stage's options about gaps (windowBySensor's options extend these). */
export interface GapOptions {
  /**
   * A gap in data time longer than this (ms) resets the sensor's window; `'never'`: no gap does. Absent: a gap longer
   * than a whole window of readings (the card's window x the sensor's interval: `readingIntervalMs`, or the sensor's
   * own slower pace), which a window would otherwise span as if its rows were consecutive; never when the interval
   * is unknown or 0.
   */
  gapResetMs?: number | 'never';
  /**
   * The readings' usual spacing in data time (ms). A step of 1.75 of it or more is a gap in the data, whose readings
   * count as missing (`readingGaps`, `readingsMissing`, `onGap`). Absent: the card's training interval
   * (`data.intervalMs`); 0: none counted (sensors that report by exception). A sensor that reports more slowly for
   * good is measured against its own pace (`onPace` says so once).
   */
  readingIntervalMs?: number;
  /** Told of every gap in a sensor's data (a step of 1.75 intervals or more): from and to (data time) and the readings it skipped. */
  onGap?: (gap: DataGap) => void;
  /**
   * Count gaps as missing readings (default true). Off in a fleet, where a sensor's partition may have been with
   * another worker meanwhile; a gap still restarts the window.
   */
  countGaps?: boolean;
  /**
   * Count the step over vigil's own downtime (a restart's tail to the first live reading) like any other: true where
   * the broker queued what was published while vigil was stopped (a persistent session at QoS 1), so a hole there was
   * lost upstream (Mosquitto's max_queued_messages, a broker restarted before it saved), as it is counted without a
   * restart. Default false: with a clean session or at QoS 0 nothing published meanwhile is delivered, and the hole
   * is vigil's own downtime, no loss upstream. Readings stamped on arrival count none over it either way.
   */
  countAfterRestart?: boolean;
  /**
   * Told once per sensor whose pace (over its first 16 steps) is 1.75x the model's interval or slower, or which
   * reports irregularly (`irregular`: a fifth of its steps 3 paces or longer, as by exception).
   */
  onPace?: (sensor: string, usualMs: number, modelMs: number, irregular: boolean) => void;
  /**
   * Readings vigil itself refused (the decode stage's rejections: a bad value, out of range), per sensor: the gap
   * they leave is theirs, not readings lost upstream, so it counts only what they do not explain.
   */
  refused?: RefusedReadings;
}

/** Sensors whose refusals are remembered at most (a flood of sensor ids must not grow it without bound). */
const MAX_REFUSING = 100_000;

/**
 * Readings refused per sensor since its last step: the decode stage adds, and so does the window stage for those it
 * refuses (out of order), and takes them at the sensor's next step (a gap they explain is no loss). A step without a
 * gap forgets them (they left no hole). A sensor back from a silence the silent-sensor watch signalled has its next
 * gap explained whole (`silenced`): it sent nothing, and its silence was signalled.
 */
export class RefusedReadings {
  private readonly bySensor = new Map<string, number>();

  add(sensor: string): void {
    if (this.bySensor.size >= MAX_REFUSING && !this.bySensor.has(sensor)) this.bySensor.clear();
    this.bySensor.set(sensor, (this.bySensor.get(sensor) ?? 0) + 1);
  }

  /** The sensor's next step is over a silence already signalled: however long, it counts no reading missing. */
  silenced(sensor: string): void {
    if (this.bySensor.size >= MAX_REFUSING && !this.bySensor.has(sensor)) this.bySensor.clear();
    this.bySensor.set(sensor, Number.POSITIVE_INFINITY);
  }

  /** The sensor's refusals since its last step, forgotten. */
  take(sensor: string): number {
    if (this.bySensor.size === 0) return 0;
    const n = this.bySensor.get(sensor) ?? 0;
    if (n) this.bySensor.delete(sensor);
    return n;
  }
}

/** Gaps counted missing a sensor remembers (its latest), for a reading of theirs that comes late (`lateIntoGap`). */
export const COUNTED_GAPS_KEPT = 8;

/**
 * A gap counted missing as its sensor remembers it: its ends (data time), how many of its readings may still come
 * late, and the ones that came (timestamp -> digest), so a redelivered copy of one is a duplicate, not another.
 */
export interface CountedGap {
  fromTs: number;
  toTs: number;
  left: number;
  came?: Map<number, number>;
}

/**
 * Whether a reading stamped `ts` (digest `digest`), older than sensor `s`'s last, falls in a gap of its counted
 * missing: `'late'` when the gap has one left (it is one of those readings, and takes its place there), `'copy'` when
 * it is a copy of one that came so (a QoS 1 redelivery: a duplicate, taking no second place), else false. A late
 * reading was counted missing then, and the window stage does not count it again as out_of_order: each lost reading
 * is counted once. Such a reading comes after a newer one was let go: the reorder stage released its block-mates
 * before it (a bound, or a stop, with it coming after the restart: a probe counted 2 such readings missing before the
 * stop and out of order after it), or a gateway resent what its outage kept.
 */
export function lateIntoGap(s: SensorState, ts: number, digest: number): 'late' | 'copy' | false {
  const gaps = s.countedGaps;
  if (!gaps) return false;
  for (let i = gaps.length - 1; i >= 0; i--) {
    const g = gaps[i];
    if (!(ts > g.fromTs && ts < g.toTs)) continue;
    if (g.came?.get(ts) === digest) return 'copy';
    if (g.left <= 0) return false;
    g.left--;
    (g.came ??= new Map()).set(ts, digest);
    return 'late';
  }
  return false;
}

/**
 * Remember a gap of sensor `s` counted missing; past COUNTED_GAPS_KEPT the oldest whose readings have all come goes
 * (kept only to tell their copies), else the oldest.
 */
function keepCountedGap(s: SensorState, fromTs: number, toTs: number, missing: number): void {
  const gaps = (s.countedGaps ??= []);
  if (gaps.length >= COUNTED_GAPS_KEPT) gaps.splice(Math.max(0, gaps.findIndex((g) => g.left <= 0)), 1);
  gaps.push({ fromTs, toTs, left: missing });
}

/** A gap in one sensor's data: readings its usual interval says were sent but never arrived. */
export interface DataGap {
  sensor: string;
  /** Timestamps of the readings either side of it (epoch ms). */
  fromTs: number;
  toTs: number;
  /** Readings missing in it: its length in intervals, less one. */
  missing: number;
  intervalMs: number;
  /** Whether it reset the sensor's window (longer than `gapResetMs`). */
  reset: boolean;
}

/** A step of at least this many intervals is a gap (one reading missing makes 2; jitter of up to 1/4 interval is not one). */
export const GAP_STEPS = 1.75;

/** The model's interval gaps are measured in, and the gap that resets a window (`fixed`: set by `gapResetMs`, not by the pace). */
export interface GapLimits {
  intervalMs: number;
  resetMs: number;
  fixed: boolean;
}

/**
 * The limits for `card` under the options: the card's training interval unless `readingIntervalMs` is given; a
 * reset after a whole window of readings unless `gapResetMs` is given ('never': Infinity).
 */
export function gapLimits(card: Pick<ModelCard, 'window' | 'data'>, o: Pick<GapOptions, 'gapResetMs' | 'readingIntervalMs'>): GapLimits {
  const intervalMs = o.readingIntervalMs ?? card.data?.intervalMs ?? 0;
  const resetMs = o.gapResetMs === 'never' ? Number.POSITIVE_INFINITY : (o.gapResetMs ?? (intervalMs > 0 ? card.window * intervalMs : Number.POSITIVE_INFINITY));
  return { intervalMs, resetMs, fixed: o.gapResetMs !== undefined };
}

/**
 * How long (arrival time) a quiet sensor keeps its window: `idleEvictMs`, or a whole window of readings at the
 * readings' interval where that is longer, so a quiet spell that restarts no window forgets none either. Evicted at
 * 1 h, 5-minute data (a window of 32 spans 2 h 40 m) restarted its window after a 1 h hole that `vigil run` fed back
 * to back spanned, and `vigil score` (arrival = data time) scored no window at all of 2-hourly data.
 */
export function idleKeepMs(card: Pick<ModelCard, 'window' | 'data'>, o: Pick<GapOptions, 'readingIntervalMs'>, idleEvictMs: number): number {
  const intervalMs = o.readingIntervalMs ?? card.data?.intervalMs ?? 0;
  return Math.max(idleEvictMs, intervalMs > 0 ? card.window * intervalMs : 0);
}

/** Throws, naming `where`, unless the gap options are valid. */
export function checkGapOptions(o: Pick<GapOptions, 'gapResetMs' | 'readingIntervalMs'>, where: string): void {
  if (o.gapResetMs !== undefined && o.gapResetMs !== 'never' && !(o.gapResetMs >= 0)) throw new Error(`${where}: gapResetMs must be a number >= 0 or 'never', got ${o.gapResetMs}`);
  if (o.readingIntervalMs !== undefined && !(o.readingIntervalMs >= 0)) throw new Error(`${where}: readingIntervalMs must be a number >= 0, got ${o.readingIntervalMs}`);
}

/** How a step of `step` ms (data time) of sensor `s` is judged: whether it restarts the window, and the readings it skipped (0: no gap). */
export function judgeStep(s: SensorState, step: number, limits: GapLimits): { reset: boolean; missing: number; intervalMs: number } {
  // Once its pace is known, a sensor clearly slower than the model's interval is measured against its own pace
  // (a slower publisher is no loss); one reporting irregularly (by exception) counts no gap, and its window
  // restarts only after a whole window of its long steps, never sooner than the model's default.
  const known = s.steps >= PACE_STEPS && limits.intervalMs > 0;
  const irregular = known && s.longShare > IRREGULAR_SHARE;
  const own = known && !irregular && s.usualStep >= GAP_STEPS * limits.intervalMs;
  const interval = irregular ? Math.max(IRREGULAR_RATIO * s.usualStep, limits.intervalMs) : own ? s.usualStep : limits.intervalMs;
  const reset = step > (!limits.fixed && interval > 0 ? s.window * interval : limits.resetMs);
  const gap = known && !irregular && step >= GAP_STEPS * interval;
  return { reset, missing: gap ? Math.max(1, Math.round(step / interval) - 1) : 0, intervalMs: interval };
}

/**
 * Learn sensor `s`'s pace from a step (`live`: not a restart's tail). Returns, once, at its PACE_STEPS-th step if live,
 * whether its pace is to be told: slower than the model's interval by 1.75x or more, or irregular.
 */
export function learnPace(s: SensorState, step: number, modelMs: number, live: boolean): { irregular: boolean } | undefined {
  // Steps shorter than the model's interval (readings a burst, a backlog or per-channel messages bring close
  // together) count as that interval: they say nothing of a slower pace and must not drag it down.
  const paced = Math.max(step, modelMs);
  if (!Number.isNaN(s.usualStep)) s.longShare = nextLongShare(s.longShare, s.steps + 1, paced >= IRREGULAR_RATIO * s.usualStep);
  s.usualStep = nextPace(s.usualStep, paced);
  // A restart's tail counts towards a known pace too (a probe: readings a broker dropped in the first 16 steps after a
  // restart under load went uncounted); only live steps tell it (the tail's sensor was told before the restart).
  if (++s.steps !== PACE_STEPS || !live || !(modelMs > 0) || s.paceTold) return undefined;
  const irregular = s.longShare > IRREGULAR_SHARE;
  s.paceTold = irregular || s.usualStep >= GAP_STEPS * modelMs;
  return s.paceTold ? { irregular } : undefined;
}

/** Recover from fast when the steps are back within this factor of the model's interval. */
const FAST_RECOVERED = 1.25;

/**
 * Follow sensor `s`'s step in its 80th percentile; true when, its pace known, it has just become 1.75x faster than the
 * model's interval (said again only after it recovered): a probe's sensor flooding at 1,000 readings/s against a
 * 1 Hz model went unsaid while each 32-reading window covered 32 ms of data.
 */
export function fasterThanModel(s: SensorState, step: number, modelMs: number): boolean {
  if (!(modelMs > 0)) return false;
  s.fastStep = nextFastPace(s.fastStep, step, modelMs);
  if (s.steps < PACE_STEPS) return false;
  if (s.fastTold) {
    if (s.fastStep * FAST_RECOVERED >= modelMs) s.fastTold = false;
    return false;
  }
  s.fastTold = s.fastStep * GAP_STEPS <= modelMs;
  return s.fastTold;
}

/** The window stage's gap judge: the limits of the card in service, the counters, and what to tell. */
export class GapWatch {
  // The card in service decides the interval (hot reload may change it): looked up again when it changes.
  private limitsOf: Pick<ModelCard, 'window' | 'data'> | undefined;
  private limits: GapLimits = { intervalMs: 0, resetMs: Number.POSITIVE_INFINITY, fixed: false };

  constructor(
    private readonly o: GapOptions,
    private readonly counters: PipelineCounters,
  ) {}

  /**
   * Sensor `s` of `card` steps from its last reading to one at `ts`; returns whether its window restarts. A warm
   * reading (a restart's tail) and the first live one after it (its step spans vigil's own downtime) count no gap;
   * the latter teaches no pace either. `arrival`: the reading is stamped on arrival (its steps say nothing of a fast
   * pace). Call before the reading is appended.
   */
  step(card: Pick<ModelCard, 'window' | 'data'>, s: SensorState, sensor: string, ts: number, warm: boolean, afterTail: boolean, arrival = false): boolean {
    if (card !== this.limitsOf) {
      this.limits = gapLimits(card, this.o);
      this.limitsOf = card;
    }
    const limits = this.limits;
    const step = ts - s.lastTs;
    const judged = judgeStep(s, step, limits);
    const { reset, intervalMs } = judged;
    const missing = Math.max(0, judged.missing - (this.o.refused?.take(sensor) ?? 0));
    if (!warm && !afterTail && this.o.countGaps !== false && missing > 0) {
      this.counters.readingGaps++;
      this.counters.readingsMissing += missing;
      keepCountedGap(s, s.lastTs, ts, missing);
      this.o.onGap?.({ sensor, fromTs: s.lastTs, toTs: ts, missing, intervalMs, reset });
    }
    const told = afterTail ? undefined : learnPace(s, step, limits.intervalMs, !warm);
    if (told) this.o.onPace?.(sensor, s.usualStep, limits.intervalMs, told.irregular);
    // Said with the step that tipped it (the percentile is still on its way down then).
    // Stamped on arrival, a flushed backlog's steps are how fast it arrived, not how fast it was measured.
    if (!warm && !afterTail && !arrival && fasterThanModel(s, step, limits.intervalMs)) this.o.onPace?.(sensor, Math.min(step, s.fastStep), limits.intervalMs, false);
    return reset;
  }
}
