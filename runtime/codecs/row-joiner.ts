/**
 * Values of one sensor that belong to one row, joined by timestamp: a row is emitted as soon as every card channel
 * has arrived within `toleranceMs` of its first value, or partially (the window stage forward-fills the rest) when a
 * value of the same sensor beyond the tolerance or a channel the row has already shows it will not complete, or when
 * `flush` says so, or for every sensor at the end of intake (`flushAll`). A row is only ever emitted in the decode result of its own sensor's message (but for the
 * `maxPending` bound), so a rejection of that message or its admission pool never concerns another sensor. Used by the codecs
 * whose rows come in pieces: one channel per topic (bare-number.ts), Sparkplug metrics stamped one by one or a
 * device's metrics split over several DATA messages (sparkplug.ts).
 */
import type { Reading } from '../stream/types.ts';
import type { HeldRow, TimestampOptions } from './codec.ts';
import { stampArrival } from './values.ts';

/** Options of a joiner. */
export interface RowJoinerOptions {
  /** Values whose timestamps differ by at most this join into one row (ms). */
  toleranceMs: number;
  /** Sensors with a row in progress at most; beyond it the oldest row is emitted as it is. */
  maxPending: number;
}

interface Pending {
  ts: number;
  /** Arrival of the row's latest value (the reading's). */
  receivedAt: number;
  values: Record<string, number>;
  count: number;
  /** The payload's own timestamp, undefined when `ts` is the arrival time. */
  raw: unknown;
  /** The topic of the row's latest value, when the codec gave it (for `flushAll`). */
  topic?: string;
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
   * onto `out` the rows they complete or show incomplete.
   */
  add(sensor: string, ts: number, raw: unknown, values: Readonly<Record<string, number>>, receivedAt: number, out: Reading[], topic?: string): void {
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
      p = { ts, receivedAt, values: {}, count: 0, raw };
      this.pending.set(sensor, p);
    }
    for (const ch in values) {
      p.values[ch] = values[ch];
      p.count++;
    }
    p.receivedAt = receivedAt;
    p.topic = topic;
    if (p.count >= this.channels) out.push(this.take(sensor, p));
  }

  /** Emit the sensor's row in progress, if any, as it is. */
  flush(sensor: string, out: Reading[]): void {
    const p = this.pending.get(sensor);
    if (p) out.push(this.take(sensor, p));
  }

  /** Emit every row in progress as it is (intake ended: no value is coming to complete them), with its latest topic. */
  flushAll(): HeldRow[] {
    return [...this.pending].map(([sensor, p]) => ({ topic: p.topic ?? '', reading: this.take(sensor, p) }));
  }

  private take(sensor: string, p: Pending): Reading {
    this.pending.delete(sensor);
    return stampArrival({ sensor, ts: p.ts, values: p.values, receivedAt: p.receivedAt }, p.raw, this.timestamp);
  }
}
