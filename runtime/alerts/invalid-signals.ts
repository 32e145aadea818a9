/**
 * An invalid reading is itself an anomaly signal for its sensor: a thermocouple reading 900 degC, or a value no
 * float32 can hold, says the sensor (or its wiring) is broken even though the model never sees it. Each
 * rejection of a known sensor for `out_of_range` or `bad_value` is offered here; at most one signal per sensor
 * per `intervalMs` comes out, carrying how many invalid readings it stands for, so a sensor stuck at a bad value
 * cannot flood the alert topic. Time is the rejected message's arrival time, so the rule is deterministic.
 */
import type { OutOfRange } from '../model/ranges.ts';
import type { Rejected } from '../stream/types.ts';
import { lruGet } from '../util/lru.ts';

/** Rejection reasons that signal a broken sensor (a malformed message or an unknown topic does not). */
export const INVALID_SIGNAL_REASONS = ['out_of_range', 'bad_value'] as const;
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
}

/** The rate-limited signal source: `offer` each rejection, act on what it returns. */
export interface InvalidSignals {
  /** The signal a rejection raises now, or undefined (not a sensor fault, or its sensor signalled recently). */
  offer(r: Rejected): InvalidSignal | undefined;
}

const isInvalidReason = (reason: string): reason is InvalidReason => (INVALID_SIGNAL_REASONS as readonly string[]).includes(reason);

/** Create the per-sensor rate limiter. */
export function invalidSignals(opts: InvalidSignalOptions): InvalidSignals {
  const sensors = new Map<string, { lastAt: number; count: number }>();
  return {
    offer(r) {
      if (r.sensor === undefined || !isInvalidReason(r.reason)) return undefined;
      const s = lruGet(sensors, r.sensor, () => ({ lastAt: Number.NEGATIVE_INFINITY, count: 0 }), opts.maxSensors);
      s.count++;
      // A clock stepping back (arrival times come from Date.now) must not silence a sensor for good.
      if (r.receivedAt - s.lastAt < opts.intervalMs && r.receivedAt >= s.lastAt) return undefined;
      const signal: InvalidSignal = { sensor: r.sensor, reason: r.reason, detail: r.detail, receivedAt: r.receivedAt, count: s.count };
      if (r.outOfRange) signal.outOfRange = r.outOfRange;
      s.lastAt = r.receivedAt;
      s.count = 0;
      return signal;
    },
  };
}
