/**
 * A seeded corpus of hostile and valid MQTT messages for the fuzz tests. Every case says what must happen to
 * it: `valid` (decoded into exactly one reading of a known sensor, in time order) or the reject reasons that
 * are acceptable for it. Bad cases cover truncated and deeply nested JSON, huge payloads, NaN/Infinity, wrong
 * types, unknown topics and hostile sensor ids, wrong channel counts, invalid UTF-8, absurd timestamps and
 * broken Sparkplug B encodings.
 */
import { get as getSparkplug } from 'sparkplug-payload';
import type { RejectReason } from '../../../runtime/codecs/codec.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';

/** One message and what the runtime must do with it. */
export interface FuzzCase {
  topic: string;
  payload: Uint8Array;
  /** `valid`, or the reasons it may be rejected with. */
  expect: 'valid' | readonly RejectReason[];
  /** Generator family, for failure messages. */
  kind: string;
  /** For valid cases: the sensor and timestamp of the one reading it carries. */
  sensor?: string;
  ts?: number;
}

/** Corpus options. */
export interface CorpusOptions {
  codec: 'json' | 'csv' | 'sparkplug';
  count: number;
  seed: number;
  channels: readonly string[];
  /** Arrival time the receiver will see (timestamps are placed before it). */
  now: number;
  /** Share of valid messages (default 0.4). */
  validShare?: number;
  /** Valid sensors (default 40). */
  sensors?: number;
  /** Payload limit of the receiver, to size the huge payloads. */
  maxPayloadBytes: number;
}

const enc = new TextEncoder();
const spb = getSparkplug('spBv1.0')!;

/** Build the corpus; the same options always give the same bytes. */
export function fuzzCorpus(o: CorpusOptions): FuzzCase[] {
  const rand = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const nSensors = o.sensors ?? 40;
  const sensors = Array.from({ length: nSensors }, (_, i) => `pump-${String(i).padStart(3, '0')}`);
  const base = Math.floor((o.now - 10 * 86_400_000) / 1000) * 1000;
  const nextTs = new Map<string, number>(sensors.map((s) => [s, base]));
  const chs = o.channels;
  const values = () => Object.fromEntries(chs.map((c) => [c, Number((rand() * 10 - 5).toFixed(4))]));
  const topicOf = (s: string) => (o.codec === 'sparkplug' ? `spBv1.0/plant/DDATA/edge1/${s}` : `sensors/${s}/data`);
  const birthTopic = (s: string) => `spBv1.0/plant/DBIRTH/edge1/${s}`;
  const aliasBase = 100;
  const born = new Set<string>();

  /** A valid payload for `s` at a fresh timestamp; returns the case. */
  const valid = (): FuzzCase[] => {
    const s = pick(sensors);
    const ts = nextTs.get(s)! + 1000;
    nextTs.set(s, ts);
    const v = values();
    if (o.codec === 'json') {
      const shape = int(0, 3);
      const body =
        shape === 0 ? { ts, values: v } : shape === 1 ? { ts, ...v, unit: 'A' } : shape === 2 ? { ts: new Date(ts).toISOString(), values: v } : { ts: ts / 1000, values: v };
      return [{ topic: topicOf(s), payload: enc.encode(JSON.stringify(body)), expect: 'valid', kind: 'valid', sensor: s, ts }];
    }
    if (o.codec === 'csv') {
      return [{ topic: topicOf(s), payload: enc.encode(`${ts},${chs.map((c) => v[c]).join(',')}`), expect: 'valid', kind: 'valid', sensor: s, ts }];
    }
    const out: FuzzCase[] = [];
    const useAlias = rand() < 0.3;
    if (useAlias && !born.has(s)) {
      born.add(s);
      // A birth with values announces the aliases and is itself a reading.
      const bts = ts;
      out.push({ topic: birthTopic(s), payload: spb.encodePayload({ timestamp: bts, metrics: chs.map((c, i) => ({ name: c, alias: aliasBase + i, type: 'Double', value: v[c] })) }), expect: 'valid', kind: 'valid-birth', sensor: s, ts: bts });
      return out;
    }
    const metrics = chs.map((c, i) => (useAlias ? { alias: aliasBase + i, type: 'Double' as const, value: v[c] } : { name: c, type: 'Double' as const, value: v[c] }));
    return [{ topic: topicOf(s), payload: spb.encodePayload({ timestamp: ts, metrics }), expect: 'valid', kind: useAlias ? 'valid-alias' : 'valid', sensor: s, ts }];
  };

  const s0 = () => pick(sensors);
  const okJson = () => JSON.stringify({ ts: o.now - 1000, values: values() });
  const json = (kind: string, text: string | Uint8Array, expect: readonly RejectReason[], topic = topicOf(s0())): FuzzCase => ({
    topic,
    payload: typeof text === 'string' ? enc.encode(text) : text,
    expect,
    kind,
  });
  let hugeBuf: Uint8Array | undefined;
  const huge = (): Uint8Array => {
    hugeBuf ??= enc.encode(`{"ts":1,"values":{"${chs[0]}":"${'9'.repeat(o.maxPayloadBytes * 4)}"}}`);
    return hugeBuf.subarray(0, o.maxPayloadBytes + 1 + int(0, o.maxPayloadBytes * 3));
  };
  const badUtf8 = (): Uint8Array => {
    const seqs = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]];
    const head = enc.encode(`{"ts":${o.now - 1000},"values":{"${chs[0]}":1,"x":"`);
    const bad = pick(seqs);
    const tail = enc.encode('"}}');
    const out = new Uint8Array(head.length + bad.length + tail.length);
    out.set(head);
    out.set(bad, head.length);
    out.set(tail, head.length + bad.length);
    return out;
  };

  const jsonBad: (() => FuzzCase)[] = [
    () => {
      const t = okJson();
      return json('truncated', t.slice(0, int(0, t.length - 1)), t.length ? ['bad_json'] : ['bad_json']);
    },
    () => {
      const d = int(100, 5000);
      return json('nested-object', `${'{"values":'.repeat(d)}1${'}'.repeat(d)}`, ['no_known_channels', 'bad_shape']);
    },
    () => {
      const d = int(100, 5000);
      return json('nested-array', `${'['.repeat(d)}${']'.repeat(d)}`, ['bad_shape']);
    },
    () => json('nested-unbalanced', '['.repeat(int(1000, 20000)), ['bad_json']),
    () => json('huge', huge(), ['too_large']),
    // A bare NaN or Infinity (Python's json.dumps) is the channel's bad value; other bare words are not JSON.
    () => json('nan-literal', `{"ts":${o.now - 1000},"values":{"${pick(chs)}":${pick(['NaN', 'Infinity', '-Infinity'])}}}`, ['bad_value']),
    () => json('bare-word', `{"ts":${o.now - 1000},"values":{"${pick(chs)}":${pick(['undefined', 'nan', 'inf', 'None'])}}}`, ['bad_json']),
    () => json('nan-string', `{"ts":${o.now - 1000},"values":{"${pick(chs)}":"${pick(['NaN', 'Infinity', '-Infinity', 'abc', '1e999'])}"}}`, ['bad_value']),
    () => json('overflow', `{"ts":${o.now - 1000},"values":{"${pick(chs)}":${pick(['1e999', '-1e400'])}}}`, ['bad_value']),
    () => json('wrong-type-value', `{"ts":${o.now - 1000},"values":{"${pick(chs)}":${pick(['{}', '[1]', '{"v":1}', '""', '"  "'])}}}`, ['bad_value']),
    () => json('wrong-type-values', `{"ts":${o.now - 1000},"values":${pick(['[1,2,3]', '7', '"x"', 'true', 'null'])}}`, ['bad_shape']),
    () => json('wrong-type-payload', pick(['42', '"text"', 'null', 'true', '[1,2]', '[]']), ['bad_shape']),
    () => json('empty', '', ['bad_json']),
    () => json('no-channels', `{"ts":${o.now - 1000},"values":{"foo":1,"bar":2}}`, ['no_known_channels']),
    () => json('null-channels', `{"ts":${o.now - 1000},"values":{"${chs[0]}":null}}`, ['no_known_channels']),
    () => json('proto-pollution', `{"__proto__":{"${chs[0]}":1},"constructor":{"prototype":{"x":1}}}`, ['no_known_channels']),
    () => json('invalid-utf8', badUtf8(), ['not_utf8']),
    () => json('ts-negative', `{"ts":${pick([-1, -5e12, 0])},"values":{"${chs[0]}":1}}`, ['bad_timestamp']),
    () => json('ts-future', `{"ts":${pick([o.now + 30 * 86_400_000, 1e20, 8.64e15, 9e300])},"values":{"${chs[0]}":1}}`, ['bad_timestamp']),
    () => json('ts-garbage', `{"ts":${pick(['"yesterday"', '{}', '[1]', 'true', '"2024-13-45T99:00:00Z"'])},"values":{"${chs[0]}":1}}`, ['bad_timestamp']),
    () => json('unknown-topic', okJson(), ['unknown_topic'], pick(['sensors/x/other', 'foo', 'sensors/a/b/data', 'sensors//data/x', 'other/thing/data'])),
    () => json('hostile-sensor-id', okJson(), ['bad_sensor_id'], `sensors/${pick(['..', '.hidden', 'a b', '\u202Epump', '$SYS', '-x', 'x'.repeat(200), '%2e%2e', "p'1", 'a\\b'])}/data`),
    () => json('empty-sensor-level', okJson(), ['bad_sensor_id'], 'sensors//data'),
  ];
  const csvBad: (() => FuzzCase)[] = [
    () => json('csv-wrong-count', Array.from({ length: pick([1, chs.length + 2, chs.length + 5]) }, () => '1').join(','), ['wrong_channel_count']),
    () => json('csv-nan', `${o.now - 1000},${chs.map(() => pick(['NaN', 'Infinity', 'x', ''])).join(',')}`, ['bad_value']),
    () => json('csv-empty', pick(['', '\n\n', '   ']), ['bad_csv']),
    () => json('csv-too-many-lines', Array.from({ length: 1001 }, () => chs.map(() => '1').join(',')).join('\n'), ['bad_csv']),
    () => json('csv-bad-ts', `${pick(['-5', 'yesterday', String(o.now + 40 * 86_400_000)])},${chs.map(() => '1').join(',')}`, ['bad_timestamp']),
    () => json('invalid-utf8', badUtf8(), ['not_utf8']),
    () => json('huge', huge(), ['too_large']),
    () => json('hostile-sensor-id', chs.map(() => '1').join(','), ['bad_sensor_id'], `sensors/${pick(['..', '.x', 'a b'])}/data`),
  ];
  const spTopic = () => topicOf(s0());
  const goodSp = () => spb.encodePayload({ timestamp: o.now - 1000, metrics: chs.map((c) => ({ name: c, type: 'Double', value: 1 })) });
  const spBad: (() => FuzzCase)[] = [
    () => json('sp-random-bytes', Uint8Array.from({ length: int(1, 200) }, () => int(0, 255)), ['bad_protobuf', 'no_known_channels', 'bad_timestamp', 'bad_value', 'unknown_alias'], spTopic()),
    () => {
      const g = goodSp();
      return json('sp-truncated', g.subarray(0, g.length - int(1, 3)), ['bad_protobuf'], spTopic());
    },
    () => json('sp-json', okJson(), ['bad_protobuf', 'no_known_channels'], spTopic()),
    () => json('sp-unknown-alias', spb.encodePayload({ timestamp: o.now - 1000, metrics: [{ alias: 9999, type: 'Double', value: 1 }] }), ['unknown_alias'], spTopic()),
    () => json('sp-string-value', spb.encodePayload({ timestamp: o.now - 1000, metrics: [{ name: chs[0], type: 'String', value: pick(['abc', 'NaN', '']) }] }), ['bad_value'], spTopic()),
    () => json('sp-nan-value', spb.encodePayload({ timestamp: o.now - 1000, metrics: [{ name: chs[0], type: 'Double', value: pick([NaN, Infinity, -Infinity]) }] }), ['bad_value'], spTopic()),
    // From a device whose birth was not seen (one whose birth was seen may send tags the model lacks: ignored, test/codecs/sparkplug-host.test.ts).
    () => json('sp-unknown-metrics', spb.encodePayload({ timestamp: o.now - 1000, metrics: [{ name: 'rpm_setpoint', type: 'Double', value: 1 }] }), ['no_known_channels'], topicOf(`unborn-${int(0, 9)}`)),
    () => json('sp-future-ts', spb.encodePayload({ timestamp: o.now + 40 * 86_400_000, metrics: [{ name: chs[0], type: 'Double', value: 1 }] }), ['bad_timestamp'], spTopic()),
    () => json('huge', huge(), ['too_large'], spTopic()),
    () => json('hostile-sensor-id', goodSp(), ['bad_sensor_id'], `spBv1.0/plant/DDATA/edge1/${pick(['..', '.x', 'a b'])}`),
  ];
  const bad = o.codec === 'json' ? jsonBad : o.codec === 'csv' ? csvBad : spBad;

  const out: FuzzCase[] = [];
  const share = o.validShare ?? 0.4;
  while (out.length < o.count) {
    if (rand() < share) out.push(...valid());
    else out.push(pick(bad)());
  }
  return out;
}

/** Number of windows of width `window` (stride 1) the valid cases fill, per the window stage's rules. */
export function expectedWindows(cases: FuzzCase[], window: number): number {
  const perSensor = new Map<string, number>();
  for (const c of cases) if (c.expect === 'valid') perSensor.set(c.sensor!, (perSensor.get(c.sensor!) ?? 0) + 1);
  let n = 0;
  for (const k of perSensor.values()) n += Math.max(0, k - window + 1);
  return n;
}
