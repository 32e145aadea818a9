/**
 * Bare number payloads, one channel per topic (`sensors/pump1/current` -> `1.23`, or `ts,1.23`). Values of
 * one sensor are joined into one Reading by timestamp (row-joiner.ts).
 */
import type { RawMessage, Reading } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { RowJoiner, type RowJoinerOptions } from './row-joiner.ts';
import { channelValue, compactNumber, isFieldError, readingTime, utf8Text } from './values.ts';

/** Codec for one number per message and topic; state (rows in progress) lives in the instance. */
export function bareNumberCodec(ctx: CodecContext, opts: RowJoinerOptions = { toleranceMs: 100, maxPending: 100_000 }): Codec {
  const c = ctx.channels.length;
  const known = new Set(ctx.channels);
  const rows = new RowJoiner(c, opts, ctx.timestamp);

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
      // '40,5': a decimal comma reads as timestamp 40 and value 5 (a probe's reading landed in 1970, unsaid).
      const comma = parts.length === 2 && /^\d{1,6}$/.test(parts[0].trim()) && /^\d+$/.test(parts[1].trim()) ? `; "${text.trim()}" with a decimal comma? this codec reads "timestamp,number": send ${parts[0].trim()}.${parts[1].trim()}` : '';
      if (typeof ts !== 'number') return reject(msg, ts.error, `${ts.detail}${comma}`);
      const out: Reading[] = [];
      rows.add(where.sensor, ts, raw, { [channel]: v }, msg.receivedAt, out, msg.topic);
      return out;
    },
    // A row that never completes (a channel its sensor does not send) waits for the sensor's next value; at a stop
    // none comes, and its accepted values would be lost unscored.
    flush: () => rows.flushAll(),
  };
}

/** Encode one channel's value as this codec reads it: `ts,value` (the channel is in the topic). */
export function encodeBareNumber(ts: number, value: number): string {
  return `${ts},${compactNumber(value)}`;
}
