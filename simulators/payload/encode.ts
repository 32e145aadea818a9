/**
 * Encode one reading into MQTT messages with the runtime's own encoders, each written beside the codec that
 * decodes it (runtime/codecs): `json` `{"ts":<epoch ms>,"values":{"flow":1.2,...}}` (default), `flat`
 * `{"ts":...,"flow":1.2,...}` (the json codec's flat shape), `json-array` `[<epoch ms>,<v1>,<v2>,...]`, `csv`
 * `<epoch ms>,<v1>,<v2>,...` (channels in the file's column order, which must be the model's), and `number` (one
 * channel per topic, payload `<epoch ms>,<value>`; the runtime joins a sensor's channels by timestamp).
 */
import { encodeBareNumber } from '@vigil/runtime/codecs/bare-number.ts';
import { encodeCsvLine } from '@vigil/runtime/codecs/csv-line.ts';
import { encodeJsonArray } from '@vigil/runtime/codecs/json-array.ts';
import { encodeJsonObject } from '@vigil/runtime/codecs/json-object.ts';
import type { CodecKind } from '@vigil/runtime/codecs/registry.ts';

export { compactNumber } from '@vigil/runtime/codecs/values.ts';

/** Payload formats the simulators publish: the codec kinds (source.codec) they encode, plus `flat`. */
export const PAYLOAD_FORMATS = ['json', 'flat', 'json-array', 'csv', 'number'] as const;
/** One payload format. */
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** The codec (`source.codec.kind` of the runtime) that reads each format: its own name, `json` for `flat`. */
export const PAYLOAD_CODEC: Record<PayloadFormat, CodecKind> = { json: 'json', flat: 'json', 'json-array': 'json-array', csv: 'csv', number: 'number' };

/** One message to publish. */
export interface OutMessage {
  topic: string;
  payload: string;
}

/** Expand a topic template: `{sensor}` and `{channel}` are replaced. */
export function topicFor(template: string, sensor: string, channel?: string): string {
  let t = template.split('{sensor}').join(sensor);
  if (channel !== undefined) t = t.split('{channel}').join(channel);
  return t;
}

/** Check a template can carry a format; throws saying what to change. */
export function checkTopicTemplate(template: string, format: PayloadFormat, channels: number): void {
  if (!(PAYLOAD_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`payload format '${format}' is unknown; expected one of ${PAYLOAD_FORMATS.join(', ')}`);
  }
  if (/[#+]/.test(template)) throw new Error(`topic template '${template}' contains a wildcard (+ or #); publish topics must be concrete, e.g. sensors/{sensor}/data`);
  if (format === 'number' && channels > 1 && !template.includes('{channel}')) {
    throw new Error(`payload format 'number' carries one channel per message, and this data has ${channels} channels; put {channel} in the topic, e.g. 'sensors/{sensor}/{channel}'`);
  }
}

/** Encode one reading of `sensor` at `ts` (epoch ms) into its messages. */
export function encodeReading(
  format: PayloadFormat,
  template: string,
  sensor: string,
  ts: number,
  channels: readonly string[],
  values: ArrayLike<number>,
): OutMessage[] {
  // Only the named channels go out, as when each format wrote its own loop over them.
  const row = values.length === channels.length ? values : Array.from(channels, (_, j) => values[j]);
  switch (format) {
    case 'json':
    case 'flat':
      return [{ topic: topicFor(template, sensor), payload: encodeJsonObject(ts, channels, row, format === 'flat' ? 'flat' : 'nested') }];
    case 'json-array':
      return [{ topic: topicFor(template, sensor), payload: encodeJsonArray(ts, row) }];
    case 'csv':
      return [{ topic: topicFor(template, sensor), payload: encodeCsvLine(ts, row) }];
    case 'number': {
      const out: OutMessage[] = [];
      for (let j = 0; j < channels.length; j++) out.push({ topic: topicFor(template, sensor, channels[j]), payload: encodeBareNumber(ts, row[j]) });
      return out;
    }
  }
}
