/**
 * Encode one reading into MQTT messages in a format the runtime decodes:
 * `json` `{"ts":<epoch ms>,"values":{"flow":1.2,...}}` (default), `flat` `{"ts":...,"flow":1.2,...}`,
 * `csv` `<epoch ms>,<v1>,<v2>,...` (channels in the file's column order, which must be the model's), and `number`
 * (one channel per topic, payload `<epoch ms>,<value>`; the runtime joins a sensor's channels by timestamp).
 */

/** Payload formats the simulators publish. */
export const PAYLOAD_FORMATS = ['json', 'flat', 'csv', 'number'] as const;
/** One payload format. */
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** One message to publish. */
export interface OutMessage {
  topic: string;
  payload: string;
}

/** Seven significant digits: float32 precision, without `57.33000183105469` noise on the wire. */
export function compactNumber(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(7)) : v;
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
  switch (format) {
    case 'json': {
      const v: Record<string, number> = {};
      for (let j = 0; j < channels.length; j++) v[channels[j]] = compactNumber(values[j]);
      return [{ topic: topicFor(template, sensor), payload: JSON.stringify({ ts, values: v }) }];
    }
    case 'flat': {
      const v: Record<string, number> = { ts };
      for (let j = 0; j < channels.length; j++) v[channels[j]] = compactNumber(values[j]);
      return [{ topic: topicFor(template, sensor), payload: JSON.stringify(v) }];
    }
    case 'csv': {
      const cells: (string | number)[] = [ts];
      for (let j = 0; j < channels.length; j++) cells.push(compactNumber(values[j]));
      return [{ topic: topicFor(template, sensor), payload: cells.join(',') }];
    }
    case 'number': {
      const out: OutMessage[] = [];
      for (let j = 0; j < channels.length; j++) out.push({ topic: topicFor(template, sensor, channels[j]), payload: `${ts},${compactNumber(values[j])}` });
      return out;
    }
  }
}
