/**
 * JSON object payloads: `{"ts": ..., "values": {"current": 1.2, ...}}` or flat `{"ts": ..., "current": 1.2}`.
 * Keys that are not card channels are ignored (units, device names); at least one channel must be present.
 * Channels mapped by `source.channels` are read at their dotted path from the payload's root instead, and must
 * be there (Tasmota's `{"AM2301": {"Temperature": 21.3}}`; see channel-paths.ts).
 */
import type { RawMessage } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { ChannelCase } from './channel-case.ts';
import { TimeFieldNote } from './time-field-note.ts';
import { UnreadKeys } from './unread-keys.ts';
import { checkChannelPaths, missingPathText, readPath } from './channel-paths.ts';
import { FlatJson, flatJsonFits } from './flat-json.ts';
import { channelRecord } from '../util/channel-record.ts';
import { channelValue, compactNumber, isFieldError, preview, readingTime, stampArrival, utf8Text, type FieldError } from './values.ts';
import { isFloat32 } from '../data/float32.ts';

/**
 * Parse JSON text, or return the parser's message. Bare `NaN`, `Infinity` and `-Infinity` (not JSON, but what Python's
 * `json.dumps` writes for a failed measurement) are read as the strings "NaN", "Infinity", "-Infinity": the reading is
 * then refused for that channel's value (`bad_value`, the sensor's invalid signal) rather than as unreadable JSON,
 * which had left the sensor signalled silent while it reported every second (a probe).
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    if (NON_FINITE_LITERAL.test(text)) {
      try {
        return { ok: true, value: JSON.parse(text.replace(LITERALS_OUTSIDE_STRINGS, (m, literal?: string) => (literal ? `"${literal}"` : m))) };
      } catch {
        // Not JSON for another reason too: the first message says where.
      }
    }
    return { ok: false, message: (err as Error).message };
  }
}

const NON_FINITE_LITERAL = /NaN|Infinity/;
/**
 * A JSON string (kept as it is), or a bare non-finite literal (captured). The string alternative matches from every
 * quote, to its end or the text's (an unterminated one): failing at each escaped quote it was retried from each, and a
 * 64 KiB payload took 1.6 s (a review).
 */
const LITERALS_OUTSIDE_STRINGS = /"(?:[^"\\]|\\[\s\S])*(?:"|\\?$)|(-?Infinity|NaN)/g;

/** Codec for JSON objects, nested (`values`) or flat. */
export function jsonObjectCodec(ctx: CodecContext): Codec {
  const tsField = ctx.timestamp.field;
  const paths = ctx.paths;
  checkChannelPaths(paths, ctx.channels);
  // Channels read under their own names (a mapped one is refused when absent): a key spelt otherwise is said.
  const byName = ctx.channels.filter((ch) => paths?.[ch] === undefined);
  const spelling = new ChannelCase(ctx.note, byName, 'payload key');
  const timeField = new TimeFieldNote(ctx);
  // Every key something is read under: the channels, the time, a mapped channel's path (its first segment).
  const unread = new UnreadKeys(ctx.note, [...ctx.channels, tsField, 'values', ...Object.values(paths ?? {}).map((p) => p.split('.')[0])], byName);
  // Channels named as Object.prototype members: the one lookup of a value cannot tell the payload's own from those.
  const inherited = ctx.channels.map((ch) => ch in Object.prototype);
  // The common shape read from the bytes (flat-json.ts); not for mapped paths or names Object.prototype has.
  const flat = paths === undefined && !inherited.includes(true) && !(tsField in Object.prototype) && flatJsonFits(ctx.channels, tsField) ? new FlatJson(ctx.channels, tsField) : undefined;
  // Its values object in one step (channel-record.ts), as the loop below builds it.
  const record = flat && channelRecord(ctx.channels);
  const example = `{"${tsField}": 1700000000000, "values": {"${ctx.channels[0]}": 1.2}} or {"${tsField}": 1700000000000, "${ctx.channels[0]}": 1.2}`;
  return {
    name: 'json',
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      if (flat?.read(msg.payload)) {
        // As the general way below reads such a payload: every channel present, the time a number.
        for (let c = 0; c < ctx.channels.length; c++) {
          const v = flat.values[c];
          // What channelValue refuses of a number (no boxed number per value when it passes: hot).
          if (!isFloat32(v)) return reject(msg, 'bad_value', (channelValue(v, ctx.channels[c]) as FieldError).detail);
        }
        const values = record!(flat.values);
        const ts = readingTime(flat.ts, msg.receivedAt, ctx.timestamp);
        if (isFieldError(ts)) return reject(msg, ts.error, ts.detail);
        return [stampArrival({ sensor: where.sensor, ts, values, receivedAt: msg.receivedAt }, flat.ts, ctx.timestamp)];
      }
      const text = utf8Text(msg.payload);
      if (text === undefined) return reject(msg, 'not_utf8', `payload is not valid UTF-8; expected JSON text like ${example}`);
      const parsed = parseJson(text);
      if (!parsed.ok) return reject(msg, 'bad_json', `payload is not JSON (${parsed.message}); expected ${example}`);
      const obj = parsed.value;
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        // An array is another codec's payload (a probe sent [ts, v1, v2] and was told only what this one expects).
        const other = Array.isArray(obj) ? ` (an array of values in the model's channel order is codec 'json-array': source.codec)` : '';
        return reject(msg, 'bad_shape', `payload is ${Array.isArray(obj) ? 'an array' : preview(obj)}; expected a JSON object like ${example}${other}`);
      }
      const rec = obj as Record<string, unknown>;
      let source = rec;
      if ('values' in rec) {
        const v = rec.values;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) {
          return reject(msg, 'bad_shape', `'values' is ${preview(v)}; expected an object of channel -> number, like ${example}`);
        }
        source = v as Record<string, unknown>;
      }
      const values: Record<string, number> = {};
      let found = 0;
      for (let c = 0; c < ctx.channels.length; c++) {
        const ch = ctx.channels[c];
        const path = paths?.[ch];
        let raw: unknown;
        if (path !== undefined) {
          // A mapped channel was declared present: its absence is a payload of another shape, not a gap.
          const at = readPath(rec, path);
          if (!at.found) return reject(msg, 'missing_path', missingPathText(ch, path, at));
          raw = at.value;
        } else {
          raw = source[ch];
          // JSON holds no undefined: absent. A name Object.prototype has too (`constructor`) must be the payload's own.
          if (raw === undefined || (inherited[c] && !Object.hasOwn(source, ch))) continue;
        }
        if (raw === null) continue; // an explicit null is a missing sample: the window stage forward-fills it
        const v = channelValue(raw, ch);
        if (isFieldError(v)) return reject(msg, v.error, v.detail);
        values[ch] = v;
        found++;
      }
      if (found < ctx.channels.length) spelling.check(where.sensor, Object.keys(source), (ch) => Object.hasOwn(source, ch));
      if (found === 0) {
        return reject(msg, 'no_known_channels', `payload has none of the model's channels; expected some of ${ctx.channels.join(', ')} (keys seen: ${Object.keys(source).slice(0, 8).join(', ') || 'none'})`);
      }
      if (found < ctx.channels.length) unread.check(where.sensor, source);
      const ts = readingTime(rec[tsField], msg.receivedAt, ctx.timestamp);
      // The keys there, as no_known_channels says them: a probe's payloads carried their time as `ts` under a config
      // reading `time`, and every reading was refused with nothing pointing at the key it had.
      if (isFieldError(ts)) return reject(msg, ts.error, ts.error === 'missing_timestamp' ? `${ts.detail}; keys seen: ${Object.keys(rec).slice(0, 8).join(', ') || 'none'}` : ts.detail);
      if ((rec[tsField] ?? '') === '') timeField.check(where.sensor, rec, msg.receivedAt);
      return [stampArrival({ sensor: where.sensor, ts, values, receivedAt: msg.receivedAt }, rec[tsField], ctx.timestamp)];
    },
  };
}

/** Encode one reading as this codec reads it: `{"ts":...,"values":{...}}` (nested) or `{"ts":...,"flow":1.2,...}` (flat). */
export function encodeJsonObject(ts: number, channels: readonly string[], values: ArrayLike<number>, shape: 'nested' | 'flat' = 'nested'): string {
  const v: Record<string, number> = shape === 'flat' ? { ts } : {};
  for (let j = 0; j < channels.length; j++) v[channels[j]] = compactNumber(values[j]);
  return JSON.stringify(shape === 'flat' ? v : { ts, values: v });
}
