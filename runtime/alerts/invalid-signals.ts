/**
 * An invalid reading is itself an anomaly signal for its sensor: a thermocouple reading 900 degC, or a value no
 * float32 can hold, says the sensor (or its wiring) is broken even though the model never sees it. Each
 * rejection of a known sensor for `out_of_range` or `bad_value` is offered here; at most one signal per sensor and
 * reason per `intervalMs` comes out, carrying how many invalid readings it stands for, so a sensor stuck at a bad value
 * cannot flood the alert topic. Time is the rejected message's arrival time, so the rule is deterministic.
 * A channel its sensor stops sending (absent from its readings for longer than `window.maxFillAgeMs`, or never
 * sent) is the same kind of fault, one the model does see, filled with its last value: the window stage says so once
 * per absence, and `missing` raises it as a `missing_channel` signal under a limit of its own. A sensor whose readings
 * are dated before ones already judged (its clock set back: a time zone fixed on the device) has them refused by the
 * window stage until its time passes the last judged one, and is as blind as a broken one: `outOfOrder` raises an
 * `out_of_order` signal (a probe: a clock stepped back an hour left the sensor unjudged for an hour, green on the
 * dashboard, nothing on its alert topic). So is one whose timestamps are refused (`bad_timestamp`: a clock back at 1970
 * after a restart, or far ahead): a probe's sensor restarted with its clock at 1970 had every reading dead-lettered,
 * and its refused messages kept it from counting as silent, so its alert topic said nothing. So is one whose readings
 * carry no timestamp where `source.timestamp.source` is `payload` (`missing_timestamp`: a firmware update that renamed
 * or dropped the field).
 */
import type { OutOfRange } from '../model/ranges.ts';
import type { Rejected } from '../stream/types.ts';
import { span } from '../data/sampling.ts';
import { lruGet } from '../util/lru.ts';
import { windowBudget } from '../util/window-budget.ts';

/** Rejection reasons that signal a broken sensor (a malformed message or an unknown topic does not). */
export const INVALID_SIGNAL_REASONS = ['out_of_range', 'bad_value', 'missing_channel', 'out_of_order', 'bad_timestamp', 'missing_timestamp'] as const;
/** One of them. */
export type InvalidReason = (typeof INVALID_SIGNAL_REASONS)[number];

/** A sensor's invalid reading, signalled. */
export interface InvalidSignal {
  sensor: string;
  reason: InvalidReason;
  /** The rejection's detail: what was read and what was expected. */
  detail: string;
  /** `out_of_range`: the channel, its value and the card's range. */
  outOfRange?: OutOfRange;
  /** `missing_channel`: the channels missing. */
  channels?: string[];
  /** Arrival time of the reading, epoch ms. */
  receivedAt: number;
  /** Invalid readings of this sensor since its previous signal, this one included (the rest were not signalled). */
  count: number;
}

/** Settings: the config's `alerts.invalid`, and how many sensors are remembered. */
export interface InvalidSignalOptions {
  /** At most one signal per sensor in this long (ms); 0 signals every invalid reading. */
  intervalMs: number;
  /** Sensors remembered (the least recently seen forgotten first: a forgotten sensor signals at once again). */
  maxSensors: number;
  /** Sensors that may signal an invalid reading for the first time per `intervalMs` (default FIRST_SIGNALS). */
  maxFirstPerInterval?: number;
  /**
   * Sensors that sent readings vigil could read (the silent-sensor watch's): never held back by that budget, so a
   * flood of new junk topics cannot starve a real sensor's signal (a review: 50,000 junk topics kept pump-1 unsaid).
   */
  known?: (sensor: string) => boolean;
}

/**
 * Sensors signalling an invalid reading for the first time, at most, per interval: a flood of new topics with
 * out-of-range values (a probe: 2,000 never-seen topics) raised 2,000 QoS 1 signals on the alert topic and 2,000 log
 * lines at once. The others' readings are counted and they signal in a later interval, when they send again.
 */
export const FIRST_SIGNALS = 20;

/** Readings of a sensor refused out of order in a row (none taken in between) before it is signalled. */
export const OUT_OF_ORDER_LEAST = 3;

/** The rate-limited signal source: `offer` each rejection, act on what it returns. */
export interface InvalidSignals {
  /** The signal a rejection raises now, or undefined (not a sensor fault, or its sensor signalled recently). */
  offer(r: Rejected): InvalidSignal | undefined;
  /**
   * The signal a reading that finds `channels` newly missing (for over `maxFillAgeMs`) raises now, or undefined (a
   * missing channel of the sensor signalled recently; limited apart from invalid readings).
   */
  missing(sensor: string, channels: string[], receivedAt: number, maxFillAgeMs: number): InvalidSignal | undefined;
  /**
   * The signal a reading refused as out of order (dated `ts`, the sensor's last judged `lastTs`) raises now, or
   * undefined; `inARow`: the sensor's readings refused so, this one included, since one was taken in.
   */
  outOfOrder(sensor: string, ts: number, lastTs: number, receivedAt: number, inARow: number): InvalidSignal | undefined;
}

const isInvalidReason = (reason: string): reason is InvalidReason => (INVALID_SIGNAL_REASONS as readonly string[]).includes(reason);

/** Create the per-sensor rate limiter. */
export function invalidSignals(opts: InvalidSignalOptions): InvalidSignals {
  const sensors = new Map<string, { lastAt: number; count: number }>();
  // Missing channels are limited apart: a channel gone for good must not take the slot of an out-of-range reading.
  const missingSensors = new Map<string, { lastAt: number; count: number }>();
  const firsts = windowBudget(opts.maxFirstPerInterval ?? FIRST_SIGNALS, opts.intervalMs);
  /** Count one invalid reading of `sensor`: how many it signals now (the count restarts), or 0 when signalled recently. */
  /** `budgeted`: the sensor to hold to the first-signal budget (absent: none). */
  const due = (sensor: string, at: number, held = sensors, budgeted?: string, least = 1): number => {
    const s = lruGet(held, sensor, () => ({ lastAt: Number.NEGATIVE_INFINITY, count: 0 }), opts.maxSensors);
    s.count++;
    if (s.count < least) return 0;
    if (budgeted !== undefined && s.lastAt === Number.NEGATIVE_INFINITY && opts.intervalMs > 0 && !opts.known?.(budgeted) && !firsts.take(at)) return 0;
    // A clock stepping back (arrival times come from Date.now) must not silence a sensor for good.
    if (at - s.lastAt < opts.intervalMs && at >= s.lastAt) return 0;
    const count = s.count;
    s.lastAt = at;
    s.count = 0;
    return count;
  };
  return {
    offer(r) {
      if (r.sensor === undefined || !isInvalidReason(r.reason)) return undefined;
      // Each reason on its own limit: a bad value is not hidden by, nor counted in, the sensor's out-of-range signals.
      const count = due(`${r.reason}\u0000${r.sensor}`, r.receivedAt, sensors, r.sensor);
      if (!count) return undefined;
      const signal: InvalidSignal = { sensor: r.sensor, reason: r.reason, detail: r.detail, receivedAt: r.receivedAt, count };
      if (r.outOfRange) signal.outOfRange = r.outOfRange;
      return signal;
    },
    missing(sensor, channels, receivedAt, maxFillAgeMs) {
      const count = due(sensor, receivedAt, missingSensors);
      if (!count) return undefined;
      const names = channels.map((c) => `'${c}'`).join(', ');
      const detail = `${channels.length === 1 ? 'channel' : 'channels'} ${names} missing from its readings for over ${Math.round(maxFillAgeMs / 1000)} s (window.maxFillAgeMs), or never sent: the last value is held and its windows are flagged incomplete`;
      return { sensor, reason: 'missing_channel', detail, channels: [...channels], receivedAt, count };
    },
    outOfOrder(sensor, ts, lastTs, receivedAt, inARow) {
      // One reading overtaken on the way is no news, nor are a few of them among readings taken in (a re-probe: three
      // late ones 5 s apart read as a clock set back); a clock set back refuses one after another.
      const count = due(`out_of_order\u0000${sensor}`, receivedAt, sensors, sensor, inARow >= OUT_OF_ORDER_LEAST ? 1 : Number.POSITIVE_INFINITY);
      if (!count) return undefined;
      const iso = (t: number) => new Date(t).toISOString();
      const detail = `a reading dated ${iso(ts)}, ${span(lastTs - ts)} before the sensor's last judged one (${iso(lastTs)}): refused; its clock set back, or an earlier period sent after a later one (a backfill)? Readings like it are refused until a window of them in a row, arriving at the pace they were taken, confirms the new clock (or their time passes that one); a backfill sent faster than real time never is: score it with vigil score, or send it under a sensor name of its own`;
      return { sensor, reason: 'out_of_order', detail, receivedAt, count };
    },
  };
}
