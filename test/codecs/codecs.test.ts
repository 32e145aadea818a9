import { describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import { get as getSparkplug } from 'sparkplug-payload';
import { decode } from '../../runtime/codecs/decode.ts';
import { createCodec, DEFAULT_TIMESTAMP, isRejected, type CodecContext, type DecodeResult } from '../../runtime/codecs/index.ts';
import { SourceSchema } from '../../runtime/config/source.ts';
import type { RawMessage, Reading, Rejected } from '../../runtime/stream/types.ts';
import { ok, rej } from './decoded.ts';

// Timestamps from 1970 on (the tests' own small numbers): source.timestamp.notBefore lowered, as for old recordings.
const ctx: CodecContext = { channels: ['current', 'temp'], timestamp: { ...DEFAULT_TIMESTAMP, notBefore: 0 } };
const NOW = 1_700_000_100_000;
const enc = (s: string) => new TextEncoder().encode(s);
const msg = (payload: string | Uint8Array, topic = 'sensors/p1/data', receivedAt = NOW): RawMessage => ({
  topic,
  payload: typeof payload === 'string' ? enc(payload) : payload,
  receivedAt,
});
const where = { sensor: 'p1' };

describe('json object codec', () => {
  const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 100 }, ctx);
  it('reads nested values and flat objects, timestamps in ms, s and ISO', () => {
    expect(ok(codec.decode(msg('{"ts":1700000000000,"values":{"current":1.5,"temp":20}}'), where))).toEqual([
      { sensor: 'p1', ts: 1_700_000_000_000, values: { current: 1.5, temp: 20 }, receivedAt: NOW },
    ]);
    expect(ok(codec.decode(msg('{"ts":1700000000,"current":1.5,"unit":"A"}'), where))[0]).toMatchObject({ ts: 1_700_000_000_000, values: { current: 1.5 } });
    expect(ok(codec.decode(msg('{"ts":"2023-11-14T22:13:20Z","temp":"21.5"}'), where))[0]).toMatchObject({ ts: 1_700_000_000_000, values: { temp: 21.5 } });
  });
  it('reads a channel named as an Object.prototype member only from the payload itself', () => {
    const proto = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { ...ctx, channels: ['constructor', 'toString', 'temp'] });
    // Absent from the payload: missing (forward-filled later), not the inherited function refused as a bad value.
    expect(ok(proto.decode(msg('{"ts":1700000000000,"temp":20}'), where))[0].values).toEqual({ temp: 20 });
    expect(ok(proto.decode(msg('{"ts":1700000000000,"values":{"temp":20}}'), where))[0].values).toEqual({ temp: 20 });
    expect(ok(proto.decode(msg('{"ts":1700000000000,"constructor":1.5,"toString":2}'), where))[0].values).toEqual({ constructor: 1.5, toString: 2 });
    expect(rej(proto.decode(msg('{"ts":1700000000000,"constructor":"x"}'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'constructor'") });
  });
  it('uses arrival time when the payload has no timestamp', () => {
    expect(ok(codec.decode(msg('{"current":2}'), where))[0].ts).toBe(NOW);
  });
  it('rejects with a reason and says what was expected', () => {
    expect(rej(codec.decode(msg('{"ts":1,'), where))).toMatchObject({ reason: 'bad_json', detail: expect.stringContaining('expected {"ts"') });
    expect(rej(codec.decode(msg('[1,2]'), where)).reason).toBe('bad_shape');
    expect(rej(codec.decode(msg('{"values":[1]}'), where)).reason).toBe('bad_shape');
    expect(rej(codec.decode(msg('{"voltage":3}'), where))).toMatchObject({ reason: 'no_known_channels', detail: expect.stringContaining('current, temp') });
    expect(rej(codec.decode(msg('{"current":"abc"}'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'current'") });
    expect(rej(codec.decode(msg('{"current":1e999}'), where)).reason).toBe('bad_value');
    // A decimal comma in a string is named as one (a probe got only "expected a finite number").
    expect(rej(codec.decode(msg('{"current":"50,2"}'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringMatching(/channel 'current' is "50,2"; expected a finite number \(a decimal comma: send '\.' as the decimal mark, or a JSON number\)/) });
    expect(rej(codec.decode(msg('{"current":"abc"}'), where)).detail).not.toContain('decimal comma');
    // Python's json.dumps writes a failed measurement as a bare NaN (or Infinity): the value is refused, not the message
    // (bad_json had the sensor signalled silent while it reported every second: a probe); a string's text is left alone.
    expect(rej(codec.decode(msg('{"values":{"current":NaN,"temp":"NaN and Infinity"}}'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'current' is \"NaN\"") });
    expect(rej(codec.decode(msg('{"current":-Infinity}'), where)).reason).toBe('bad_value');
    expect(rej(codec.decode(msg('{"current":NaN,'), where)).reason).toBe('bad_json');
    // A string with escaped quotes next to a bare NaN: read once, not retried from every quote (1.6 s at 64 KiB: a review).
    const hostile = `{"current":NaN,"x":"${'\\"'.repeat(32_000)}`;
    const t0 = performance.now();
    expect(rej(codec.decode(msg(hostile), where)).reason).toBe('bad_json');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(rej(codec.decode(msg('{"ts":"yesterday","current":1}'), where)).reason).toBe('bad_timestamp');
    // 0 is no time before 1970 (a field probe): the epoch itself, a clock never set.
    expect(rej(codec.decode(msg('{"ts":0,"current":1}'), where)).detail).toMatch(/timestamp 0 is the epoch itself \(1970-01-01: a clock never set\?\)/);
    expect(rej(codec.decode(msg(`{"ts":${NOW + 10 * 86400_000},"current":1}`), where))).toMatchObject({ reason: 'bad_timestamp', detail: expect.stringContaining('ahead of arrival') });
    expect(rej(codec.decode(msg(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), where)).reason).toBe('not_utf8');
    expect(rej(codec.decode(msg('['.repeat(200_000)), where)).reason).toBe('bad_json');
    // A value nested deeper than the stack (JSON.parse reads 20,000 levels; JSON.stringify and String() of it overflow
    // it): refused for what it is, as any other value in its place, shown by its start, not thrown out of the codec.
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    expect(rej(codec.decode(msg(`{"ts":1700000000000,"current":${deep}}`), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'current' is [") });
    expect(rej(codec.decode(msg(`{"ts":${deep},"current":1}`), where)).reason).toBe('bad_timestamp');
    expect(rej(codec.decode(msg(`{"ts":1700000000000,"values":${deep}}`), where)).reason).toBe('bad_shape');
  });
  it('requires a payload timestamp when told to', () => {
    const strict = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { ...ctx, timestamp: { ...DEFAULT_TIMESTAMP, source: 'payload' } });
    expect(rej(strict.decode(msg('{"current":1}'), where)).reason).toBe('missing_timestamp');
    // The time under another key than source.timestamp.field: the refusal names the keys there.
    expect(rej(strict.decode(msg('{"time":"2024-03-11T00:00:00Z","current":1}'), where))).toMatchObject({ reason: 'missing_timestamp', detail: expect.stringContaining("field 'ts'") });
    expect(rej(strict.decode(msg('{"time":"2024-03-11T00:00:00Z","current":1}'), where)).detail).toMatch(/keys seen: time, current$/);
  });
});

describe('json array and csv codecs', () => {
  const arr = createCodec({ kind: 'json-array', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const csv = createCodec({ kind: 'csv', delimiter: ',', joinToleranceMs: 0 }, ctx);
  it('reads values in card order, with or without a leading timestamp', () => {
    expect(ok(arr.decode(msg('[1.5, 20]'), where))[0]).toMatchObject({ ts: NOW, values: { current: 1.5, temp: 20 } });
    expect(ok(arr.decode(msg('[1700000000000, 1.5, 20]'), where))[0].ts).toBe(1_700_000_000_000);
    expect(ok(csv.decode(msg('1.5,20'), where))[0].values).toEqual({ current: 1.5, temp: 20 });
    const lines = ok(csv.decode(msg('2023-11-14 22:13:20,1,2\n2023-11-14 22:13:21,3,4\n'), where));
    expect(lines.map((r) => r.ts)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
  });
  it('rejects wrong counts and bad cells, naming the line', () => {
    expect(rej(arr.decode(msg('[1,2,3,4]'), where))).toMatchObject({ reason: 'wrong_channel_count', detail: expect.stringContaining('expected 2') });
    expect(rej(arr.decode(msg('[1,null]'), where)).reason).toBe('bad_value');
    // A value nested deeper than the stack is refused for what it is, not thrown out of the codec (see the json object's).
    expect(rej(arr.decode(msg(`[1700000000000,${'['.repeat(20_000)}${']'.repeat(20_000)},1]`), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining(`is ${'['.repeat(57)}...`) });
    expect(rej(csv.decode(msg('1,2\n1,x'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining('line 2') });
    expect(rej(csv.decode(msg('1'), where)).reason).toBe('wrong_channel_count');
    expect(rej(csv.decode(msg('  \n'), where)).reason).toBe('bad_csv');
  });
  it('reads quoted csv fields and rejects an unclosed quote, naming the line', () => {
    expect(ok(csv.decode(msg('"2023-11-14 22:13:20", "1" ,2'), where))[0]).toMatchObject({ ts: 1_700_000_000_000, values: { current: 1, temp: 2 } });
    expect(rej(csv.decode(msg('1,2\n"3,4'), where))).toMatchObject({ reason: 'bad_csv', detail: expect.stringContaining('line 2: a quoted field is not closed') });
  });
  it('says what a new user got wrong: a value missing behind a timestamp, JSON sent to a csv source', () => {
    // Timestamp and one value of two: as many fields as channels, the first a time (a probe read "channel 'current'
    // is "2023-11-14 22:13:20"; expected a finite number").
    expect(rej(csv.decode(msg('2023-11-14 22:13:20,1'), where))).toMatchObject({ reason: 'wrong_channel_count', detail: expect.stringMatching(/2 fields, the first a timestamp \('2023-11-14 22:13:20'\): a value is missing; expected the timestamp then 2 values \(current,temp\)/) });
    // Two values (no timestamp) still read, an epoch-looking first value included unless it reads as a time within a
    // day of the arrival (then the line is a timestamp and one value: test/codecs/timestamp-in-value-place.test.ts).
    expect(ok(csv.decode(msg('1600000000000,2'), where))[0].values).toEqual({ current: 1_600_000_000_000, temp: 2 });
    expect(rej(csv.decode(msg('1700000000000,2'), where))).toMatchObject({ reason: 'wrong_channel_count', detail: expect.stringContaining('a value is missing') });
    expect(rej(csv.decode(msg('{"ts":"2023-11-14T22:13:20Z","values":{"current":1}}'), where))).toMatchObject({ reason: 'bad_csv', detail: expect.stringContaining('the payload looks like JSON: this source\'s codec is csv') });
    // Any refusal of JSON says so, not only the tokenizer's (a review: '[1,2]' read as a bad value '[1').
    for (const json of ['[1,2]', '{"current":1}']) expect(rej(csv.decode(msg(json), where)).detail).toContain('the payload looks like JSON');
    // An empty first value is a bad value, not a timestamp (a review: read as "the first a timestamp ('')").
    expect(rej(csv.decode(msg(',2'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'current'") });
    // A source stamped on arrival reads no time from the payload: a bad first value stays a bad value.
    const arrival = createCodec({ kind: 'csv', delimiter: ',' }, { ...ctx, timestamp: { ...ctx.timestamp, source: 'arrival' } });
    expect(rej(arrival.decode(msg('abc,2'), where)).reason).toBe('bad_value');
  });
});

describe('bare number codec', () => {
  it('joins one channel per topic into one reading by timestamp', () => {
    const codec = createCodec({ kind: 'number', delimiter: ',', joinToleranceMs: 0 }, ctx);
    expect(ok(codec.decode(msg('1000,1.5'), { sensor: 'p1', channel: 'current' }))).toEqual([]);
    expect(ok(codec.decode(msg('1000,1.5'), { sensor: 'p2', channel: 'current' }))).toEqual([]);
    expect(ok(codec.decode(msg('1000,20'), { sensor: 'p1', channel: 'temp' }))).toEqual([
      { sensor: 'p1', ts: 1_000_000, values: { current: 1.5, temp: 20 }, receivedAt: NOW },
    ]);
    // p2's temp never came: a newer timestamp releases the partial reading for the window stage to forward-fill.
    expect(ok(codec.decode(msg('1001,1.6'), { sensor: 'p2', channel: 'current' }))).toEqual([
      { sensor: 'p2', ts: 1_000_000, values: { current: 1.5 }, receivedAt: NOW },
    ]);
  });
  it('joins values stamped alike however late they arrive, each row in its own sensor\'s result', () => {
    const codec = createCodec({ kind: 'number', delimiter: ',', joinToleranceMs: 0 }, ctx);
    expect(ok(codec.decode(msg('1000,1.5', 't', NOW + 10), { sensor: 'p1', channel: 'current' }))).toEqual([]);
    // Another sensor's message long after: p1's row in progress is not emitted in it.
    expect(ok(codec.decode(msg('1000,7', 't', NOW + 900), { sensor: 'p2', channel: 'current' }))).toEqual([]);
    expect(ok(codec.decode(msg('1000,20', 't', NOW + 1000), { sensor: 'p1', channel: 'temp' }))).toEqual([
      { sensor: 'p1', ts: 1_000_000, values: { current: 1.5, temp: 20 }, receivedAt: NOW + 1000 },
    ]);
  });
  it('joins arrival times within the tolerance', () => {
    const codec = createCodec({ kind: 'number', delimiter: ',', joinToleranceMs: 50 }, ctx);
    expect(ok(codec.decode(msg('1.5', 't', NOW), { sensor: 'p1', channel: 'current' }))).toEqual([]);
    expect(ok(codec.decode(msg('20', 't', NOW + 30), { sensor: 'p1', channel: 'temp' }))[0]).toMatchObject({ ts: NOW, values: { current: 1.5, temp: 20 } });
  });
  it('refuses timestamps before source.timestamp.notBefore (2000 by default), and names a decimal comma (a probe: "40,5" landed in 1970)', () => {
    const codec = createCodec({ kind: 'number', delimiter: ',', joinToleranceMs: 0 }, { ...ctx, timestamp: DEFAULT_TIMESTAMP });
    const comma = rej(codec.decode(msg('40,5'), { sensor: 'p1', channel: 'temp' }));
    expect(comma.reason).toBe('bad_timestamp');
    expect(comma.detail).toMatch(/reads as 1970-01-01T00:00:40\.000Z, before 2000-01-01 \(source\.timestamp\.notBefore\).*"40,5" with a decimal comma\? .* send 40\.5/);
    // A device clock never set: 1970 plus its uptime.
    const json = createCodec({ kind: 'json' }, { ...ctx, timestamp: DEFAULT_TIMESTAMP });
    expect(rej(json.decode(msg('{"ts":86400000,"temp":1}'), { sensor: 'p1' })).detail).toMatch(/a device clock never set/);
    expect(ok(json.decode(msg('{"ts":1700000000000,"temp":1}'), { sensor: 'p1' }))).toHaveLength(1);
    // Lowered for an old recording: read as before.
    const old = createCodec({ kind: 'json' }, { ...ctx, timestamp: { ...DEFAULT_TIMESTAMP, notBefore: Date.UTC(1990, 0, 1) } });
    expect(ok(old.decode(msg('{"ts":"1995-06-01T00:00:00Z","temp":1}'), { sensor: 'p1' }))[0].ts).toBe(Date.UTC(1995, 5, 1));
    expect(SourceSchema.parse({ topics: ['s/{sensor}'], timestamp: { notBefore: '1990-01-01' } }).timestamp.notBefore).toBe(Date.UTC(1990, 0, 1));
    expect(() => SourceSchema.parse({ topics: ['s/{sensor}'], timestamp: { notBefore: 'last tuesday' } })).toThrow(/expected a date such as 2000-01-01/);
  });
  it('rejects unknown channels and non-numbers', () => {
    const codec = createCodec({ kind: 'number', delimiter: ',', joinToleranceMs: 0 }, ctx);
    expect(rej(codec.decode(msg('1'), { sensor: 'p1', channel: 'volts' })).reason).toBe('no_known_channels');
    expect(rej(codec.decode(msg('1'), { sensor: 'p1' })).reason).toBe('unknown_topic');
    expect(rej(codec.decode(msg('NaN'), { sensor: 'p1', channel: 'temp' })).reason).toBe('bad_value');
  });
});

describe('sparkplug codec', () => {
  const spb = getSparkplug('spBv1.0')!;
  const codec = createCodec({ kind: 'sparkplug', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const topic = (type: string) => `spBv1.0/plant/${type}/edge1/pump1`;
  it('reads named metrics, Long values and metric timestamps', () => {
    const payload = spb.encodePayload({
      timestamp: 1_700_000_000_000,
      metrics: [
        { name: 'current', type: 'Double', value: 1.5 },
        { name: 'temp', type: 'Int64', value: 42 },
        { name: 'temp', type: 'Int64', value: 43, timestamp: 1_700_000_001_000 },
        { name: 'label', type: 'String', value: 'x' },
      ],
    });
    expect(ok(codec.decode(msg(payload, topic('DDATA')), where))).toEqual([
      { sensor: 'p1', ts: 1_700_000_000_000, values: { current: 1.5, temp: 42 }, receivedAt: NOW },
      { sensor: 'p1', ts: 1_700_000_001_000, values: { temp: 43 }, receivedAt: NOW },
    ]);
  });
  it('learns aliases from DBIRTH; rejects unknown aliases and garbage', () => {
    const alias = spb.encodePayload({ timestamp: 1_700_000_000_000, metrics: [{ alias: 7, type: 'Float', value: 2.5 }] });
    expect(rej(codec.decode(msg(alias, topic('DDATA')), where)).reason).toBe('unknown_alias');
    const birth = spb.encodePayload({ timestamp: 1_700_000_000_000, metrics: [{ name: 'current', alias: 7, type: 'Float', value: 2 }] });
    expect(ok(codec.decode(msg(birth, topic('DBIRTH')), where))).toHaveLength(1);
    expect(ok(codec.decode(msg(alias, topic('DDATA')), where))[0].values).toEqual({ current: 2.5 });
    expect(rej(codec.decode(msg(enc('garbage here'), topic('DDATA')), where)).reason).toBe('bad_protobuf');
    expect(ok(codec.decode(msg(enc('x'), topic('DDEATH')), where))).toEqual([]);
  });
});

describe('values beyond float32 (issue 17.1)', () => {
  // Windows and models compute in float32: 4e38 would become Infinity there and every window holding it score NaN.
  const beyond = ['4e38', '-4e38', '1e39', '1e308'];
  const json = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const arr = createCodec({ kind: 'json-array', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const csv = createCodec({ kind: 'csv', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const num = createCodec({ kind: 'number', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const spb = getSparkplug('spBv1.0')!;
  const sp = createCodec({ kind: 'sparkplug', delimiter: ',', joinToleranceMs: 0 }, ctx);
  const spMsg = (value: number) => msg(spb.encodePayload({ timestamp: NOW - 1000, metrics: [{ name: 'temp', type: 'Double', value }] }), 'spBv1.0/g/DDATA/e/d');

  it('are rejected as bad_value in every codec, numbers and numeric strings alike, naming the range', () => {
    for (const x of beyond) {
      const cases: [string, DecodeResult][] = [
        ['json', json.decode(msg(`{"current":1,"temp":${x}}`), where)],
        ['json string', json.decode(msg(`{"current":1,"temp":"${x}"}`), where)],
        ['json-array', arr.decode(msg(`[1, ${x}]`), where)],
        ['csv', csv.decode(msg(`1,${x}`), where)],
        ['number', num.decode(msg(x), { sensor: 'p1', channel: 'temp' })],
        ['sparkplug', sp.decode(spMsg(Number(x)), where)],
      ];
      for (const [name, r] of cases) {
        expect(isRejected(r), `${name} ${x}`).toBe(true);
        expect(rej(r), `${name} ${x}`).toMatchObject({ reason: 'bad_value', detail: expect.stringMatching(/channel 'temp' .*float32/) });
      }
    }
  });

  it('rejects NaN and Infinity in every codec; accepts the float32 edge', () => {
    for (const x of ['NaN', 'Infinity', '-Infinity']) {
      expect(rej(json.decode(msg(`{"temp":"${x}"}`), where)).reason).toBe('bad_value');
      expect(rej(arr.decode(msg(`[1, "${x}"]`), where)).reason).toBe('bad_value');
      expect(rej(csv.decode(msg(`1,${x}`), where)).reason).toBe('bad_value');
      expect(rej(num.decode(msg(x), { sensor: 'p1', channel: 'temp' })).reason).toBe('bad_value');
      expect(rej(sp.decode(spMsg(Number(x)), where)).reason).toBe('bad_value');
    }
    expect(ok(json.decode(msg('{"current":-3.4e38,"temp":3.4e38}'), where))[0].values).toEqual({ current: -3.4e38, temp: 3.4e38 });
    expect(ok(csv.decode(msg('1e-300,3.4e38'), where))[0].values).toEqual({ current: 1e-300, temp: 3.4e38 });
  });

  it('go to the side channel (counted, dead-lettered) and never reach a window', () => {
    const rejected: Rejected[] = [];
    const readings: Reading[] = [];
    const payloads = ['{"current":1,"temp":20}', '{"current":1,"temp":1e39}', '{"current":4e38}', '{"current":2,"temp":21}'];
    from(payloads.map((p) => msg(p))).pipe(decode({ codec: json, route: () => where, maxPayloadBytes: 1e6, onRejected: (r) => rejected.push(r) }))
      .subscribe((r) => readings.push(r));
    expect(readings.map((r) => r.values)).toEqual([{ current: 1, temp: 20 }, { current: 2, temp: 21 }]);
    expect(rejected.map((r) => r.reason)).toEqual(['bad_value', 'bad_value']);
    expect(new TextDecoder().decode(rejected[0].payload)).toBe(payloads[1]);
  });
});
