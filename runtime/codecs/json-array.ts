/**
 * JSON array payloads: values in the card's channel order, `[1.2, 3.4]`, optionally with the timestamp
 * first, `[1700000000000, 1.2, 3.4]`. The length tells which: C values, or C + 1 with the timestamp.
 */
import type { RawMessage } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { parseJson } from './json-object.ts';
import { channelValue, compactNumber, isFieldError, looksLikeTime, preview, readingTime, stampArrival, utf8Text } from './values.ts';

/** Codec for JSON arrays in card channel order. */
export function jsonArrayCodec(ctx: CodecContext): Codec {
  const c = ctx.channels.length;
  const expected = `a JSON array of ${c} numbers (${ctx.channels.join(', ')}), optionally preceded by a timestamp`;
  return {
    name: 'json-array',
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      const text = utf8Text(msg.payload);
      if (text === undefined) return reject(msg, 'not_utf8', `payload is not valid UTF-8; expected ${expected}`);
      const parsed = parseJson(text);
      if (!parsed.ok) return reject(msg, 'bad_json', `payload is not JSON (${parsed.message}); expected ${expected}`);
      const arr = parsed.value;
      if (!Array.isArray(arr)) return reject(msg, 'bad_shape', `payload is ${preview(arr)}; expected ${expected}`);
      if (arr.length !== c && arr.length !== c + 1) {
        return reject(msg, 'wrong_channel_count', `array has ${arr.length} elements; expected ${c} (channels) or ${c + 1} (timestamp first)`);
      }
      // As many elements as channels, the first a time: a value is missing, not the timestamp (csv-line.ts alike).
      if (arr.length === c && looksLikeTime(arr[0], msg.receivedAt, ctx.timestamp)) {
        return reject(msg, 'wrong_channel_count', `array has ${c} elements, the first a timestamp (${preview(arr[0])}): a value is missing; expected the timestamp then ${c} values (${ctx.channels.join(', ')})`);
      }
      const offset = arr.length - c;
      const ts = readingTime(offset ? arr[0] : undefined, msg.receivedAt, ctx.timestamp);
      if (typeof ts !== 'number') return reject(msg, ts.error, ts.detail);
      const values: Record<string, number> = {};
      for (let i = 0; i < c; i++) {
        const v = channelValue(arr[i + offset], ctx.channels[i]);
        if (isFieldError(v)) return reject(msg, v.error, v.detail);
        values[ctx.channels[i]] = v;
      }
      return [stampArrival({ sensor: where.sensor, ts, values, receivedAt: msg.receivedAt }, offset ? arr[0] : undefined, ctx.timestamp)];
    },
  };
}

/** Encode one reading as this codec reads it: `[ts, v1, v2, ...]`, values in the card's channel order. */
export function encodeJsonArray(ts: number, values: ArrayLike<number>): string {
  return JSON.stringify([ts, ...Array.from(values, compactNumber)]);
}
