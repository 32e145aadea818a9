/**
 * Values of one sensor that belong to one row, joined by timestamp: a row is emitted as soon as every card channel
 * has arrived within `toleranceMs` of its first value, or partially (the window stage forward-fills the rest) when a
 * value beyond the tolerance or a channel the row has already shows it will not complete, when `flush` says so, or
 * once it has waited `toleranceMs` of arrival time by the next value that arrives for any sensor. Used by the codecs
 * whose rows come in pieces: one channel per topic (bare-number.ts), Sparkplug metrics stamped one by one or a
 * device's metrics split over several DATA messages (sparkplug.ts).
 */
import type { Reading } from '../stream/types.ts';
import type { TimestampOptions } from './codec.ts';
import { stampArrival } from './values.ts';

/** Options of a joiner. */
export interface RowJoinerOptions {
  /** Values whose timestamps differ by at most this join into one row (ms; also the longest a row waits, by arrival). */
  toleranceMs: number;
  /** Sensors with a row in progress at most; beyond it the oldest row is emitted as it is. */
  maxPending: number;
}

interface Pending {
  ts: number;
  /** Arrival of the row's first value (for the wait) and of its latest (the reading's). */
  firstAt: number;
  receivedAt: number;
  values: Record<string, number>;
  count: number;
  /** The payload's own timestamp, undefined when `ts` is the arrival time. */
  raw: unknown;
}

/** Rows in progress, by sensor. */
export class RowJoiner {
  private readonly pending = new Map<string, Pending>();

  constructor(
    /** The card's channel count: a row with this many values is complete. */
    private readonly channels: number,
    private readonly opts: RowJoinerOptions,
    private readonly timestamp: TimestampOptions,
  ) {}

  /**
   * Add `values` of `sensor` at `ts` (`raw`: the payload's own time, undefined when `ts` is the arrival time) and push
   * onto `out` the rows they complete or show incomplete, and those that waited their time.
   */
  add(sensor: string, ts: number, raw: unknown, values: Readonly<Record<string, number>>, receivedAt: number, out: Reading[]): void {
    this.expire(receivedAt, out);
    let p = this.pending.get(sensor);
    if (p && (Math.abs(ts - p.ts) > this.opts.toleranceMs || Object.keys(values).some((ch) => Object.hasOwn(p!.values, ch)))) {
      out.push(this.take(sensor, p));
      p = undefined;
    }
    if (!p) {
      if (this.pending.size >= this.opts.maxPending) {
        const [oldest, op] = this.pending.entries().next().value as [string, Pending];
        out.push(this.take(oldest, op));
      }
      p = { ts, firstAt: receivedAt, receivedAt, values: {}, count: 0, raw };
      this.pending.set(sensor, p);
    }
    for (const ch in values) {
      p.values[ch] = values[ch];
      p.count++;
    }
    p.receivedAt = receivedAt;
    if (p.count >= this.channels) out.push(this.take(sensor, p));
  }

  /** Emit the sensor's row in progress, if any, as it is. */
  flush(sensor: string, out: Reading[]): void {
    const p = this.pending.get(sensor);
    if (p) out.push(this.take(sensor, p));
  }

  /** Emit the rows that have waited `toleranceMs` of arrival time by `now` (oldest first). */
  private expire(now: number, out: Reading[]): void {
    for (const [sensor, p] of this.pending) {
      if (now - p.firstAt <= this.opts.toleranceMs) break;
      out.push(this.take(sensor, p));
    }
  }

  private take(sensor: string, p: Pending): Reading {
    this.pending.delete(sensor);
    return stampArrival({ sensor, ts: p.ts, values: p.values, receivedAt: p.receivedAt }, p.raw, this.timestamp);
  }
}
