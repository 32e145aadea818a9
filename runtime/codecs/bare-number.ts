/**
 * Bare number payloads, one channel per topic (`sensors/pump1/current` -> `1.23`, or `ts,1.23`). Values of
 * one sensor are joined into one Reading by timestamp: a reading is emitted as soon as every card channel has
 * arrived within `toleranceMs` of the first, or partially (the window stage forward-fills) when a newer
 * timestamp or a repeated channel shows the group will not complete.
 */
import type { RawMessage, Reading } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { channelValue, compactNumber, isFieldError, readingTime, stampArrival, utf8Text } from './values.ts';

/** Options of the joiner. */
export interface BareNumberOptions {
  /** Values whose timestamps differ by at most this join into one reading (arrival times jitter). */
  toleranceMs: number;
  /** Sensors with a group in progress at most; beyond it the oldest group is emitted as it is. */
  maxPending: number;
}

interface Pending {
  ts: number;
  receivedAt: number;
  values: Record<string, number>;
  count: number;
  /** The payload's own timestamp, undefined when `ts` is the arrival time. */
  raw: string | undefined;
}

/** Codec for one number per message and topic; state (groups in progress) lives in the instance. */
export function bareNumberCodec(ctx: CodecContext, opts: BareNumberOptions = { toleranceMs: 100, maxPending: 100_000 }): Codec {
  const c = ctx.channels.length;
  const known = new Set(ctx.channels);
  const pending = new Map<string, Pending>();

  function take(sensor: string, p: Pending): Reading {
    pending.delete(sensor);
    return stampArrival({ sensor, ts: p.ts, values: p.values, receivedAt: p.receivedAt }, p.raw, ctx.timestamp);
  }

  return {
    name: 'number',
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      const channel = where.channel ?? (c === 1 ? ctx.channels[0] : undefined);
      if (channel === undefined) {
        return reject(msg, 'unknown_topic', `topic names no channel; a model with ${c} channels needs a {channel} part in the topic template (one of ${ctx.channels.join(', ')})`);
      }
      if (!known.has(channel)) return reject(msg, 'no_known_channels', `topic channel '${channel}' is not a model channel; expected one of ${ctx.channels.join(', ')}`);
      const text = utf8Text(msg.payload);
      if (text === undefined) return reject(msg, 'not_utf8', 'payload is not valid UTF-8; expected a number such as 1.23');
      const parts = text.trim().split(',');
      if (parts.length > 2) return reject(msg, 'bad_value', `payload has ${parts.length} fields; expected a number, or "timestamp,number"`);
      const v = channelValue(parts[parts.length - 1], channel);
      if (isFieldError(v)) return reject(msg, v.error, v.detail);
      const raw = parts.length === 2 ? parts[0].trim() : undefined;
      const ts = readingTime(raw, msg.receivedAt, ctx.timestamp);
      if (typeof ts !== 'number') return reject(msg, ts.error, ts.detail);

      const out: Reading[] = [];
      const sensor = where.sensor;
      let p = pending.get(sensor);
      if (p && (Math.abs(ts - p.ts) > opts.toleranceMs || Object.hasOwn(p.values, channel))) {
        out.push(take(sensor, p));
        p = undefined;
      }
      if (!p) {
        if (pending.size >= opts.maxPending) {
          const [oldest, op] = pending.entries().next().value as [string, Pending];
          out.push(take(oldest, op));
        }
        p = { ts, receivedAt: msg.receivedAt, values: {}, count: 0, raw };
        pending.set(sensor, p);
      }
      p.values[channel] = v;
      p.count++;
      p.receivedAt = msg.receivedAt;
      if (p.count === c) out.push(take(sensor, p));
      return out;
    },
  };
}

/** Encode one channel's value as this codec reads it: `ts,value` (the channel is in the topic). */
export function encodeBareNumber(ts: number, value: number): string {
  return `${ts},${compactNumber(value)}`;
}
