/**
 * Helpers shared by the codecs: strict UTF-8 text, timestamps with a unit, and channel values that must be
 * finite numbers. Each returns a value or an error string; the codec turns the string into a Rejected.
 */
import { DECIMAL_COMMA } from '../data/decimal-mark.ts';
import { float32RangeText, isFloat32 } from '../data/float32.ts';
import { parseTimestamp } from '../data/timestamp.ts';
import { NOT_BEFORE_DEFAULT, type TimestampOptions } from './codec.ts';
import type { Reading } from '../stream/types.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode bytes as UTF-8, or return undefined when they are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A failure to read a field: the reason code and what was expected. */
export interface FieldError {
  error: 'bad_timestamp' | 'missing_timestamp' | 'bad_value';
  detail: string;
}

/** Whether a helper result is an error. */
export function isFieldError(v: unknown): v is FieldError {
  return typeof v === 'object' && v !== null && 'error' in v;
}

/** Mark `r` as stamped with its arrival time when `readingTime(raw, ..., opts)` used it; returns `r`. */
export function stampArrival(r: Reading, raw: unknown, opts: TimestampOptions): Reading {
  if (opts.source === 'arrival' || raw === undefined || raw === null || raw === '') r.arrival = true;
  return r;
}

/**
 * The reading's timestamp in epoch ms: from the payload value `raw` (undefined when the payload has none) or
 * the arrival time, per `opts`. Rejects non-timestamps, times before 1970 and times too far in the future.
 */
export function readingTime(raw: unknown, receivedAt: number, opts: TimestampOptions): number | FieldError {
  if (opts.source === 'arrival') return receivedAt;
  if (raw === undefined || raw === null || raw === '') {
    if (opts.source === 'payload') {
      return { error: 'missing_timestamp', detail: `expected a timestamp in field '${opts.field}' (epoch ms, epoch s or ISO 8601)` };
    }
    return receivedAt;
  }
  let ts: number;
  if (typeof raw === 'number') {
    ts = opts.unit === 's' ? raw * 1000 : opts.unit === 'ms' ? raw : opts.unit === 'iso' ? NaN : parseTimestamp(raw);
  } else if (typeof raw === 'string') {
    ts = opts.unit === 's' ? Number(raw) * 1000 : opts.unit === 'ms' ? Number(raw) : parseTimestamp(raw);
  } else {
    ts = NaN;
  }
  if (!Number.isFinite(ts)) {
    return { error: 'bad_timestamp', detail: `timestamp ${preview(raw)} is not a ${unitText(opts.unit)}` };
  }
  if (ts <= 0) return { error: 'bad_timestamp', detail: `timestamp ${preview(raw)} is ${ts === 0 ? 'the epoch itself (1970-01-01: a clock never set?)' : 'before 1970'}; expected a ${unitText(opts.unit)}` };
  const floor = opts.notBefore ?? NOT_BEFORE_DEFAULT;
  if (ts < floor) {
    return {
      error: 'bad_timestamp',
      detail: `timestamp ${preview(raw)} reads as ${new Date(ts).toISOString()}, before ${new Date(floor).toISOString().slice(0, 10)} (source.timestamp.notBefore): a device clock never set (1970 plus its uptime), a counter, or a number taken for a timestamp; lower notBefore to replay older recordings`,
    };
  }
  if (ts - receivedAt > opts.maxFutureMs) {
    return {
      error: 'bad_timestamp',
      detail: `timestamp ${preview(raw)} is ${Math.round((ts - receivedAt) / 1000)} s ahead of arrival (limit ${opts.maxFutureMs / 1000} s); wrong unit or clock?`,
    };
  }
  return ts;
}

/**
 * Whether a field where a channel value belongs holds a time instead: a string that is no number but reads as a time
 * (a probe read "channel 'flow' is "2026-12-07T06:00:00Z"; expected a finite number", its invalid signal sending the
 * operator to the flow transmitter), or a number that, read as the source reads its timestamps, is within a day of
 * the message's arrival (`ts,v1,v2` sent to a three-channel model was read as flow = 1.7e12, scored, and alerted at
 * millions of times the bar, blaming flow). No sensor value sits in that band of epoch milliseconds or seconds (a
 * day wide, around now), so a number elsewhere stays a value as before, a totalizer's included. A line or array of as
 * many fields as channels whose first is one is missing a value, not its timestamp.
 */
export function looksLikeTime(raw: unknown, receivedAt: number, opts: TimestampOptions): boolean {
  if (typeof raw !== 'number' && (typeof raw !== 'string' || raw.trim() === '')) return false;
  const ts = readingTime(raw, receivedAt, { ...opts, source: 'payload' });
  if (typeof ts !== 'number') return false;
  // Text that is no number reads as a time anywhere; a number only near the arrival.
  const numeric = typeof raw === 'number' || !isFieldError(channelValue(raw, ''));
  return !numeric || Math.abs(ts - receivedAt) <= NEAR_ARRIVAL_MS;
}

/** How near its arrival a number in a value's place must read as a time to be taken for a misplaced timestamp. */
const NEAR_ARRIVAL_MS = 86_400_000;

function unitText(unit: TimestampOptions['unit']): string {
  if (unit === 'ms') return 'number of epoch milliseconds';
  if (unit === 's') return 'number of epoch seconds';
  if (unit === 'iso') return 'ISO 8601 string';
  return 'timestamp (epoch s, ms, µs or ns, or ISO 8601)';
}

/**
 * A channel value as a finite float32 number (data/float32.ts): numbers, numeric strings and booleans (0/1) are
 * accepted; NaN, Infinity and values beyond float32 (`4e38`, `1e308`) are rejected.
 */
export function channelValue(raw: unknown, channel: string): number | FieldError {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'boolean') v = raw ? 1 : 0;
  else if (typeof raw === 'string' && raw.trim() !== '') v = Number(raw);
  else v = NaN;
  if (!Number.isFinite(v)) {
    // A decimal comma in a string ("50,2"): said, as the CSV reader and the number codec say it (a probe).
    const comma = typeof raw === 'string' && DECIMAL_COMMA.test(raw) ? " (a decimal comma: send '.' as the decimal mark, or a JSON number)" : '';
    return { error: 'bad_value', detail: `channel '${channel}' is ${preview(raw)}; expected a finite number${comma}` };
  }
  if (!isFloat32(v)) return { error: 'bad_value', detail: `channel '${channel}' is ${preview(raw)}, ${float32RangeText()}; expected a finite float32 number` };
  return v;
}

/** Characters of a preview; longer renderings end in '...' at PREVIEW - 3. */
const PREVIEW = 60;

/**
 * A short, safe rendering of a value for error messages: JSON's text of it, cut at PREVIEW characters. Only what is
 * shown is rendered (a hostile 64 KB payload nested 20,000 deep cost 12 ms in JSON.stringify, which then overflowed
 * the stack), so the cost is bounded by PREVIEW, whatever the value.
 */
export function preview(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v.length > PREVIEW ? v.slice(0, PREVIEW + 1) : v);
  else if (typeof v === 'object' && v !== null) s = jsonPrefix(v, PREVIEW + 1);
  else s = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > PREVIEW ? `${s.slice(0, PREVIEW - 3)}...` : s;
}

/**
 * The first `max` characters (or more) of JSON.stringify(v) for a value of JSON (what JSON.parse returns), rendered
 * no further: each level of nesting adds a character, so the recursion is no deeper than `max`.
 */
function jsonPrefix(v: object, max: number): string {
  let out = '';
  const full = () => out.length >= max;
  const walk = (x: unknown, inArray: boolean): void => {
    if (typeof x === 'string') out += JSON.stringify(x.length > max ? x.slice(0, max) : x);
    else if (typeof x === 'number') out += Number.isFinite(x) ? String(x) : 'null';
    else if (typeof x === 'boolean' || x === null) out += String(x);
    else if (Array.isArray(x)) {
      out += '[';
      for (let i = 0; i < x.length && !full(); i++) {
        if (i > 0) out += ',';
        walk(x[i], true);
      }
      if (!full()) out += ']';
    } else if (typeof x === 'object') {
      out += '{';
      let first = true;
      for (const key of Object.keys(x)) {
        if (full()) break;
        const value = (x as Record<string, unknown>)[key];
        if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
        out += `${first ? '' : ','}${JSON.stringify(key.length > max ? key.slice(0, max) : key)}:`;
        first = false;
        walk(value, false);
      }
      if (!full()) out += '}';
    } else out += inArray ? 'null' : String(x);
  };
  walk(v, false);
  return out;
}

/** Seven significant digits: float32 precision, without `57.33000183105469` noise on the wire (what encoders write). */
export function compactNumber(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(7)) : v;
}
