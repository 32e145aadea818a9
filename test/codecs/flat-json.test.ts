import { describe, expect, it, vi } from 'vitest';
import { FlatJson, flatJsonFits } from '../../runtime/codecs/flat-json.ts';
import { createCodec, DEFAULT_TIMESTAMP, type CodecContext } from '../../runtime/codecs/index.ts';
import { Rng } from '../../runtime/util/prng.ts';

const CHANNELS = ['current', 'temp', 'ts2'];
const enc = (s: string) => new TextEncoder().encode(s);

/** What the general path reads from `text`: the time and the channels, or undefined where it lacks one as a number. */
function viaParse(text: string): { ts: number; values: number[] } | undefined {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return undefined;
  const source = 'values' in rec ? (rec.values as Record<string, unknown>) : rec;
  if (typeof source !== 'object' || source === null) return undefined;
  const values = CHANNELS.map((c) => source[c]);
  if (typeof rec.ts !== 'number' || values.some((v) => typeof v !== 'number')) return undefined;
  return { ts: rec.ts, values: values as number[] };
}

const read = (text: string) => {
  const f = new FlatJson(CHANNELS, 'ts');
  return f.read(enc(text)) ? { ts: f.ts, values: [...f.values] } : undefined;
};

describe('flat JSON fast path', () => {
  it('reads the flat and the nested shape as JSON.parse does', () => {
    for (const text of [
      '{"ts":1700000000000,"current":1.5,"temp":20,"ts2":-0.25}',
      ' {\n\t"ts" : 1700000000000 , "current":1.5e2,"unit":"A","ok":true,"x":null,"temp":-0,"ts2":1E-3 }\r\n',
      '{"ts":1700000000000,"values":{"current":1.5,"temp":20,"ts2":3,"unit":"C"},"current":"ignored? no: declined"}',
      '{"ts":1700000000,"values":{"current":0.1,"temp":123456789012345678901234,"ts2":5e-324}}',
      '{"current":1,"temp":2,"ts2":3,"ts":1,"current":4}',
    ]) {
      const expected = viaParse(text);
      const got = read(text);
      if (text.includes('declined')) {
        expect(got).toBeUndefined();
        continue;
      }
      expect(got).toBeDefined();
      expect(got!.ts).toBe(expected!.ts);
      got!.values.forEach((v, c) => expect(Object.is(v, expected!.values[c])).toBe(true));
    }
  });

  it('declines everything else, for the general path to read or refuse', () => {
    for (const text of [
      '{"ts":1700000000000,"current":1.5,"temp":20}', // a channel missing
      '{"current":1.5,"temp":20,"ts2":1}', // no time
      '{"ts":"2023-11-14T22:13:20Z","current":1,"temp":2,"ts2":3}',
      '{"ts":1,"current":"1.5","temp":20,"ts2":1}',
      '{"ts":1,"current":null,"temp":20,"ts2":1}',
      '{"ts":1,"current":1,"temp":20,"ts2":1,"note":"\\n"}',
      '{"ts":1,"current":1,"temp":20,"ts2":1,"note":"é"}',
      '{"ts":1,"current":1,"temp":20,"ts2":1,"meta":{}}',
      '{"ts":1,"current":1,"temp":20,"ts2":1,"list":[1]}',
      '{"ts":1,"values":{"current":1,"temp":2,"ts2":3},"values":{"current":1,"temp":2,"ts2":3}}',
      '{"ts":1,"values":7,"current":1,"temp":2,"ts2":3}',
      '\uFEFF{"ts":1,"current":1,"temp":20,"ts2":1}',
      '{"ts":01,"current":1,"temp":20,"ts2":1}',
      '{"ts":1.,"current":1,"temp":20,"ts2":1}',
      '{"ts":1,"current":1,"temp":20,"ts2":1,}',
      '{"ts":1,"current":1,"temp":20,"ts2":1} x',
      '{"ts":1,"current":1,"temp":20,"ts2":1',
      '{"ts":1,"current":+1,"temp":20,"ts2":1}',
      '{"ts":1,"current":NaN,"temp":20,"ts2":1}',
      '[1,2,3]',
      '',
    ]) expect(read(text), text).toBeUndefined();
  });

  it('agrees with JSON.parse on every payload it takes, numbers to the last bit (seeded)', () => {
    const rng = new Rng(14);
    const pick = <T,>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
    const number = (): string => {
      const v = (rng.uniform() - 0.5) * 10 ** rng.int(-30, 30);
      switch (rng.int(0, 4)) {
        case 0: return String(v);
        case 1: return v.toFixed(rng.int(0, 12));
        case 2: return v.toExponential(rng.int(0, 20));
        case 3: return `${rng.int(0, 1) ? '-' : ''}${rng.int(1, 9)}${Array.from({ length: rng.int(0, 25) }, () => rng.int(0, 9)).join('')}`;
        default: return String(Math.fround(v));
      }
    };
    const value = () => pick([number, number, () => '"A"', () => 'true', () => 'null', () => '{}'])();
    let taken = 0;
    for (let i = 0; i < 5000; i++) {
      const keys = [...CHANNELS, 'ts', pick(['unit', 'current', 'temp', 'ts'])].sort(() => rng.uniform() - 0.5);
      const body = keys.map((k) => `"${k}":${k === 'unit' ? value() : number()}`).join(pick([',', ' , ', ',\n']));
      let text = rng.int(0, 3) === 0 ? `{"ts":${number()},"values":{${body}}}` : `{${body}}`;
      // Some payloads broken: a byte changed or the end cut off.
      if (rng.int(0, 3) === 0) {
        const at = rng.int(0, text.length - 1);
        text = rng.int(0, 1) ? text.slice(0, at) : text.slice(0, at) + pick(['"', '}', ',', 'x', ' ', '.', 'e', '-', '\\']) + text.slice(at + 1);
      }
      const got = read(text);
      const expected = viaParse(text);
      if (got === undefined) continue;
      taken++;
      expect(expected, text).toBeDefined();
      expect(Object.is(got.ts, expected!.ts), text).toBe(true);
      got.values.forEach((v, c) => expect(Object.is(v, expected!.values[c]), `${text}: ${CHANNELS[c]}`).toBe(true));
    }
    expect(taken).toBeGreaterThan(2000);
  });

  it('leaves the codec reading and refusing as the general path does', () => {
    const ctx: CodecContext = { channels: ['current', 'temp'], timestamp: { ...DEFAULT_TIMESTAMP, notBefore: Date.UTC(2000, 0, 1) } };
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, ctx);
    const NOW = 1_700_000_100_000;
    const decode = (text: string) => codec.decode({ topic: 'p/1', payload: enc(text), receivedAt: NOW }, { sensor: 'p1' });
    for (const body of ['"ts":1700000000000,"current":1.5,"temp":20', '"ts":1700000000,"current":1.5,"temp":20', '"ts":5,"current":1,"temp":2', '"ts":1800000000000,"current":1,"temp":2', '"ts":1700000000000,"current":1e39,"temp":2', '"ts":1700000000000,"current":1e999,"temp":2']) {
      // The same payload with a string the fast path declines (an escape) goes the general way.
      const general = decode(`{${body},"note":"\\u0041"}`);
      expect(decode(`{${body}}`)).toEqual(Array.isArray(general) ? general : { ...general, payload: enc(`{${body}}`) });
    }
  });

  it('reads a number of any length as the general path does, without throwing', () => {
    // Up to 16 MiB a payload when source.maxPayloadBytes allows: a number past ~120,000 digits was converted through
    // an argument list (String.fromCharCode(...bytes)) and threw, refused as the codec failing instead of as its value.
    const ctx: CodecContext = { channels: ['current', 'temp'], timestamp: DEFAULT_TIMESTAMP };
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, ctx);
    // The readings, or the reason and what it says (not the 300 KB payload, slow to compare).
    const decode = (text: string) => {
      const r = codec.decode({ topic: 'p/1', payload: enc(text), receivedAt: 1_700_000_100_000 }, { sensor: 'p1' });
      return Array.isArray(r) ? r : { reason: r.reason, detail: r.detail };
    };
    for (const big of ['1' + '5'.repeat(300_000), '0.' + '0'.repeat(300_000) + '7', '-2.' + '5'.repeat(300_000) + 'e-3']) {
      const general = decode(`{"ts":1700000000000,"current":${big},"temp":20,"note":"\\u0041"}`);
      expect(decode(`{"ts":1700000000000,"current":${big},"temp":20}`)).toEqual(general);
    }
  });

  it('spares the JSON codec the text and JSON.parse for the common shape, not for others', () => {
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { channels: ['current', 'temp'], timestamp: DEFAULT_TIMESTAMP });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const decode = (text: string) => codec.decode({ topic: 'p/1', payload: enc(text), receivedAt: 1_700_000_100_000 }, { sensor: 'p1' });
      expect(decode('{"ts":1700000000000,"current":1.5,"temp":20}')).toEqual([{ sensor: 'p1', ts: 1_700_000_000_000, values: { current: 1.5, temp: 20 }, receivedAt: 1_700_000_100_000 }]);
      expect(decode('{"ts":1700000000000,"values":{"current":1.5,"temp":20}}')).toHaveLength(1);
      expect(parse).not.toHaveBeenCalled();
      expect(decode('{"ts":1700000000000,"current":"1.5","temp":20}')).toHaveLength(1);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('is used only where names can be matched byte for byte', () => {
    expect(flatJsonFits(['current', 'temp'], 'ts')).toBe(true);
    expect(flatJsonFits(['tempé'], 'ts')).toBe(false);
    expect(flatJsonFits(['a"b'], 'ts')).toBe(false);
    expect(flatJsonFits(['values'], 'ts')).toBe(false);
  });
});
