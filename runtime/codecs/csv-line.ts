/**
 * CSV line payloads: `v1,v2,...` in card channel order, or `ts,v1,v2,...`, fields quoted as in any CSV (the one
 * tokenizer, runtime/data/csv-records.ts). A payload may carry several lines (a small batch); each becomes a
 * Reading. Any bad line rejects the whole payload, so nothing is half-read.
 */
import { CsvError, csvRecords } from '../data/csv-records.ts';
import type { RawMessage, Reading } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { channelValue, compactNumber, isFieldError, looksLikeTime, readingTime, stampArrival, utf8Text } from './values.ts';

/** Most lines accepted in one payload, so one message cannot flood the pipeline. */
export const MAX_CSV_LINES = 1000;

/** Codec for delimited lines. */
export function csvLineCodec(ctx: CodecContext, delimiter = ','): Codec {
  if (/["\r\n]/.test(delimiter)) throw new Error(`csv codec: delimiter ${JSON.stringify(delimiter)} holds a quote or a line break; expected e.g. ',' ';' or a tab`);
  const expected = `lines of ${ctx.channels.length} values (${ctx.channels.join(delimiter)}), optionally preceded by a timestamp`;
  return {
    name: 'csv',
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      const text = utf8Text(msg.payload);
      if (text === undefined) return reject(msg, 'not_utf8', `payload is not valid UTF-8; expected ${expected}`);
      const out = readLines(msg, where, text, ctx, delimiter, expected);
      // JSON sent to a csv source is the usual mix-up: any refusal of it says so (a probe read only "':' after a
      // closing quote").
      if (Array.isArray(out)) return out;
      if (/^\s*[[{]/.test(text)) return { ...out, detail: `${out.detail} (the payload looks like JSON: this source's codec is csv; set source.codec if its sensors send JSON)` };
      // Another delimiter is the other mix-up (a probe's ';'-separated line, with decimal commas, read as "timestamp
      // '1796627123160;38' is not a timestamp").
      const other = [';', '\t', '|', ','].find((d) => d !== delimiter && text.includes(d));
      return other ? { ...out, detail: `${out.detail} (the payload holds '${other === '\t' ? '\\t' : other}': if its fields are separated by it, set source.codec.delimiter)` } : out;
    },
  };
}

/** The readings of a payload's lines, or the first line's refusal. */
function readLines(msg: RawMessage, where: TopicInfo, text: string, ctx: CodecContext, delimiter: string, expected: string): DecodeResult {
  const c = ctx.channels.length;
  let lines: string[][];
  try {
    lines = csvRecords(text, { separator: delimiter }).records;
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    return reject(msg, 'bad_csv', `${e.message.replace(/^<csv>:/, 'line ')}; expected ${expected}`);
  }
  if (lines.length === 0) return reject(msg, 'bad_csv', `payload is empty; expected ${expected}`);
  if (lines.length > MAX_CSV_LINES) return reject(msg, 'bad_csv', `payload has ${lines.length} lines; expected at most ${MAX_CSV_LINES}`);
  // A header line (a device exporting a small file per message): skipped when it names the channels in card order,
  // refused saying so otherwise (a probe: read as data, it cost the whole message).
  const header = headerOf(lines[0], ctx.channels);
  if (header === 'other') return reject(msg, 'bad_csv', `line 1 is a header (${lines[0].join(delimiter)}) that does not name the model's channels in order; expected ${expected}, under a header naming them so or none`);
  const skipped = header === 'skip' ? 1 : 0;
  if (skipped) lines = lines.slice(1);
  if (lines.length === 0) return reject(msg, 'bad_csv', `payload is only a header; expected ${expected}`);
  const out: Reading[] = [];
  for (let n = 0; n < lines.length; n++) {
    const cells = lines[n];
    const at = lines.length + skipped > 1 ? ` (line ${n + 1 + skipped})` : '';
    if (cells.length !== c && cells.length !== c + 1) {
      return reject(msg, 'wrong_channel_count', `line has ${cells.length} fields${at}; expected ${c} (channels) or ${c + 1} (timestamp first)`);
    }
    const offset = cells.length - c;
    // As many fields as channels, the first a time (the cell itself read as one: not an empty cell, nor whatever an
    // arrival-stamped source holds there): a value is missing, not the timestamp (a probe read "channel 'flow' is
    // "2026-12-06 15:51:25"; expected a finite number").
    if (offset === 0 && looksLikeTime(cells[0], msg.receivedAt, ctx.timestamp)) {
      return reject(msg, 'wrong_channel_count', `line has ${cells.length} fields, the first a timestamp ('${cells[0]}')${at}: a value is missing; expected the timestamp then ${c} values (${ctx.channels.join(delimiter)})`);
    }
    const ts = readingTime(offset ? cells[0] : undefined, msg.receivedAt, ctx.timestamp);
    if (typeof ts !== 'number') return reject(msg, ts.error, ts.detail + at);
    const values: Record<string, number> = {};
    for (let i = 0; i < c; i++) {
      const v = channelValue(cells[i + offset], ctx.channels[i]);
      if (isFieldError(v)) return reject(msg, v.error, v.detail + at);
      values[ctx.channels[i]] = v;
    }
    out.push(stampArrival({ sensor: where.sensor, ts, values, receivedAt: msg.receivedAt }, offset ? cells[0] : undefined, ctx.timestamp));
  }
  return out;
}

/** Names a time column goes by in a header. */
const TIME_COLUMN = /^(ts|t|time|timestamp|date|datetime|date_time|time_stamp)$/i;

/**
 * Whether `cells` is a header line: every cell a name, no number, and one of them a channel's or a time column's
 * (text values such as `n/a,n/a` are bad values, not a header). `skip`: it names the channels in card order, after a
 * time column or not; `other`: another header; undefined: no header.
 */
function headerOf(cells: string[], channels: readonly string[]): 'skip' | 'other' | undefined {
  const names = cells.map((x) => x.trim());
  if (names.some((n) => n === '' || !isFieldError(channelValue(n, '')))) return undefined;
  if (!names.some((n) => channels.includes(n) || TIME_COLUMN.test(n))) return undefined;
  const tail = names.slice(names.length - channels.length);
  const inOrder = (names.length === channels.length || names.length === channels.length + 1) && tail.every((n, i) => n === channels[i]);
  return inOrder ? 'skip' : 'other';
}

/** Encode one reading as this codec reads it: `ts,v1,v2,...`, values in the card's channel order. */
export function encodeCsvLine(ts: number, values: ArrayLike<number>, delimiter = ','): string {
  const cells: number[] = [ts];
  for (let j = 0; j < values.length; j++) cells.push(compactNumber(values[j]));
  return cells.join(delimiter);
}
