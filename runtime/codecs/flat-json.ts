/**
 * The JSON object codec's fast path (json-object.ts): a payload of the shape nearly every publisher sends,
 * `{"ts":1700000000000,"current":1.2,...}` or `{"ts":...,"values":{"current":1.2,...}}`, read straight from its bytes
 * into numbers, without the text, the parsed object and its property map that `JSON.parse` makes of every reading
 * (about 900 bytes and a third of decode's time at 10,000 readings/s, bench/allocation.ts).
 *
 * It takes only what it can read exactly as `JSON.parse` would: ASCII keys and strings without escapes, numbers
 * (converted as `JSON.parse` converts them), `true`, `false`, `null`, and one `values` object; the time and every
 * channel present as numbers. Anything else (a missing channel, a string value, an escape, a byte past ASCII, a
 * syntax error, a duplicate `values`) is declined, and the codec reads the payload the general way, so every
 * rejection, note and dead letter is as before.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const NOT_FOUND = -1;
/** Powers of ten a double holds exactly: a mantissa of at most 15 digits times or over one is rounded once, as a parser rounds. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= ZERO && b <= NINE;
const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s) && !s.includes('"') && !s.includes('\\');

/** Whether channels and a time field can be read by a FlatJson: names it can match byte for byte. */
export function flatJsonFits(channels: readonly string[], tsField: string): boolean {
  return channels.length > 0 && [...channels, tsField].every(ascii) && !channels.includes('values');
}

/** Reads payloads of the common flat or nested shape; one per codec, its arrays reused from payload to payload. */
export class FlatJson {
  /** The channels' values in card order after a successful `read` (overwritten by the next). */
  values: Float64Array;
  /** The time field's value after a successful `read`. */
  ts = 0;
  private readonly names: Uint8Array[];
  private readonly tsName: Uint8Array;
  private readonly valuesName = new TextEncoder().encode('values');
  /** Per object level (0: the root, 1: `values`): the channels' values, and which were seen in this read (`seen[c] === this.read`). */
  private readonly level: { values: Float64Array; seen: Uint32Array }[];
  /** Which read this is: marks what it saw without clearing the marks of the last. */
  private reads = 0;
  private tsSeen = false;
  private nested = false;
  private pos = 0;
  private num = 0;

  constructor(channels: readonly string[], tsField: string) {
    const enc = new TextEncoder();
    this.names = channels.map((c) => enc.encode(c));
    this.tsName = enc.encode(tsField);
    this.level = [0, 1].map(() => ({ values: new Float64Array(channels.length), seen: new Uint32Array(channels.length) }));
    this.values = this.level[0].values;
  }

  /** Read `b`: true when it has the shape, with every channel and the time as numbers (then in `values` and `ts`). */
  read(b: Uint8Array): boolean {
    this.tsSeen = false;
    this.nested = false;
    if (++this.reads === 0xffffffff) {
      // Once in four billion reads the marks start again, cleared.
      this.reads = 1;
      for (const l of this.level) l.seen.fill(0);
    }
    this.pos = this.skip(b, 0);
    if (b[this.pos] !== OPEN || !this.object(b, 0)) return false;
    if (this.skip(b, this.pos) !== b.length || !this.tsSeen) return false;
    const { values, seen } = this.level[this.nested ? 1 : 0];
    for (let c = 0; c < seen.length; c++) if (seen[c] !== this.reads) return false;
    this.values = values;
    return true;
  }

  /** An object from `{` at `pos`, left after its `}`; depth 0 is the root, 1 the `values` object. */
  private object(b: Uint8Array, depth: number): boolean {
    const { values, seen } = this.level[depth];
    let i = this.skip(b, this.pos + 1);
    if (b[i] === CLOSE) {
      this.pos = i + 1;
      return true;
    }
    for (;;) {
      if (b[i] !== QUOTE) return false;
      const start = i + 1;
      i = this.string(b, start);
      if (i < 0) return false;
      const end = i - 1;
      i = this.skip(b, i);
      if (b[i] !== COLON) return false;
      i = this.skip(b, i + 1);
      const ch = this.channel(b, start, end);
      if (depth === 0 && same(b, start, end, this.valuesName)) {
        if (b[i] !== OPEN || this.nested) return false;
        this.nested = true;
        this.pos = i;
        if (!this.object(b, 1)) return false;
        i = this.pos;
      } else if (b[i] === MINUS || isDigit(b[i])) {
        i = this.number(b, i);
        if (i < 0) return false;
        if (ch !== NOT_FOUND) {
          values[ch] = this.num;
          seen[ch] = this.reads;
        }
        if (depth === 0 && same(b, start, end, this.tsName)) {
          this.ts = this.num;
          this.tsSeen = true;
        }
      } else {
        // Another key's string or literal is passed over; a channel's or the time's, or any object or array, is not.
        if (ch !== NOT_FOUND || (depth === 0 && same(b, start, end, this.tsName))) return false;
        i = b[i] === QUOTE ? this.string(b, i + 1) : this.literal(b, i);
        if (i < 0) return false;
      }
      i = this.skip(b, i);
      if (b[i] === CLOSE) {
        this.pos = i + 1;
        return true;
      }
      if (b[i] !== COMMA) return false;
      i = this.skip(b, i + 1);
    }
  }

  /** The channel whose name is b[start, end), or NOT_FOUND. */
  private channel(b: Uint8Array, start: number, end: number): number {
    for (let c = 0; c < this.names.length; c++) if (same(b, start, end, this.names[c])) return c;
    return NOT_FOUND;
  }

  /** Past the closing quote of a string whose content starts at `i`; -1 for an escape, a control or non-ASCII byte, or no end. */
  private string(b: Uint8Array, i: number): number {
    for (; i < b.length; i++) {
      const c = b[i];
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH || c < 0x20 || c > 0x7e) return -1;
    }
    return -1;
  }

  /** Past `true`, `false` or `null` at `i`, or -1. */
  private literal(b: Uint8Array, i: number): number {
    for (const word of LITERALS) if (same(b, i, i + word.length, word)) return i + word.length;
    return -1;
  }

  /** A JSON number at `i` into `num`; returns where it ends, or -1 when the text is no JSON number. */
  private number(b: Uint8Array, i: number): number {
    const start = i;
    const negative = b[i] === MINUS;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    if (b[i] === ZERO) {
      i++;
      digits++;
    } else if (isDigit(b[i])) {
      for (; isDigit(b[i]); i++, digits++) mantissa = mantissa * 10 + (b[i] - ZERO);
    } else return -1;
    if (b[i] === DOT) {
      i++;
      if (!isDigit(b[i])) return -1;
      for (; isDigit(b[i]); i++, digits++, scale--) mantissa = mantissa * 10 + (b[i] - ZERO);
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      const sign = b[i] === MINUS ? -1 : 1;
      if (b[i] === MINUS || b[i] === PLUS) i++;
      if (!isDigit(b[i])) return -1;
      let exp = 0;
      for (; isDigit(b[i]); i++) exp = exp < 1e6 ? exp * 10 + (b[i] - ZERO) : exp;
      scale += sign * exp;
    }
    if (i < b.length && !isSpace(b[i]) && b[i] !== COMMA && b[i] !== CLOSE) return -1;
    if (digits <= 15 && scale >= -22 && scale <= 22) {
      const v = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
      this.num = negative ? -v : v;
    } else {
      // Rare (over 15 digits, a large exponent): the engine's own conversion of the same text (ASCII, so any decoder
      // reads it; not String.fromCharCode(...bytes), whose argument list overflowed the stack at ~120,000 digits).
      this.num = Number(NUMBER_TEXT.decode(b.subarray(start, i)));
    }
    return i;
  }

  /** The first index from `i` that is not JSON whitespace. */
  private skip(b: Uint8Array, i: number): number {
    while (i < b.length && isSpace(b[i])) i++;
    return i;
  }
}

const LITERALS = ['true', 'false', 'null'].map((w) => new TextEncoder().encode(w));
const NUMBER_TEXT = new TextDecoder();

/** Whether b[start, end) is `name`. */
function same(b: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length || end > b.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
  return true;
}
