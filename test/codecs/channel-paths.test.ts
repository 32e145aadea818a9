/**
 * Payload key mapping (`source.channels`, issue 17.13): model channels read from nested JSON (Tasmota, Shelly)
 * and from Sparkplug metrics of other names; mappings checked at config load and at start; a payload without
 * a mapped path is rejected with the path and the keys it does have.
 */
import { describe, expect, it } from 'vitest';
import { get as getSparkplug } from 'sparkplug-payload';
import { createCodec, DEFAULT_TIMESTAMP, type CodecContext } from '../../runtime/codecs/index.ts';
import { checkChannelPaths, readPath } from '../../runtime/codecs/channel-paths.ts';
import { SourceSchema } from '../../runtime/config/schema.ts';
import { ok, rej } from './decoded.ts';

const NOW = Date.UTC(2024, 0, 1, 0, 1);
const msg = (payload: string | Uint8Array, topic = 'tele/th1/SENSOR') => ({ topic, payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload, receivedAt: NOW });
const where = { sensor: 'th1' };
const tasmota = (t: number, h: number) => JSON.stringify({ Time: '2024-01-01T00:00:00', AM2301: { Temperature: t, Humidity: h }, TempUnit: 'C' });
const json = (paths: Record<string, string>, channels = ['temp', 'hum']) =>
  createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { channels, timestamp: { ...DEFAULT_TIMESTAMP, field: 'Time' }, paths } as CodecContext);

describe('JSON paths', () => {
  it('reads a Tasmota SENSOR payload under the model channel names, timestamp from Time', () => {
    const codec = json({ temp: 'AM2301.Temperature', hum: 'AM2301.Humidity' });
    expect(ok(codec.decode(msg(tasmota(21.3, 40)), where))).toEqual([{ sensor: 'th1', ts: Date.UTC(2024, 0, 1), values: { temp: 21.3, hum: 40 }, receivedAt: NOW }]);
  });

  it('without the mapping the same payload has none of the channels (what the mapping fixes)', () => {
    expect(rej(json({}).decode(msg(tasmota(21.3, 40)), where))).toMatchObject({ reason: 'no_known_channels' });
  });

  it('indexes arrays (Shelly Gen1 meters) and mixes mapped with plain channels', () => {
    const codec = json({ power: 'meters.0.power' }, ['power', 'voltage']);
    expect(ok(codec.decode(msg('{"meters":[{"power":12.5}],"voltage":230}'), where))[0].values).toEqual({ power: 12.5, voltage: 230 });
  });

  it('rejects a payload without a mapped path as missing_path, naming the path and the keys there', () => {
    const codec = json({ temp: 'AM2301.Temperature', hum: 'AM2301.Humidity' });
    const r = rej(codec.decode(msg('{"Time":"2024-01-01T00:00:00","DS18B20":{"Temperature":20}}'), where));
    expect(r.reason).toBe('missing_path');
    expect(r.detail).toBe("source.channels maps 'temp' to 'AM2301.Temperature', but the payload has no 'AM2301' (keys there: Time, DS18B20)");
    expect(rej(codec.decode(msg('{"AM2301":{"Temperature":21}}'), where)).detail).toMatch(/'AM2301' has no 'Humidity' \(keys there: Temperature\)/);
    expect(rej(codec.decode(msg('{"AM2301":{"Temperature":{"x":1},"Humidity":1}}'), where))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'temp'") });
    // An explicit null is a missing sample, as for unmapped channels.
    expect(ok(codec.decode(msg('{"AM2301":{"Temperature":null,"Humidity":41}}'), where))[0].values).toEqual({ hum: 41 });
  });

  it('follows own keys only', () => {
    expect(readPath({ a: { b: 1 } }, 'a.b')).toEqual({ found: true, value: 1 });
    expect(readPath({ a: {} }, 'a.constructor')).toMatchObject({ found: false, missing: 'constructor', at: 'a' });
    expect(readPath({ a: 1 }, 'a.b')).toMatchObject({ found: false, missing: 'b', at: 'a', keys: [] });
  });
});

describe('Sparkplug metric names', () => {
  it('reads a metric of another name as the channel', () => {
    const spb = getSparkplug('spBv1.0')!;
    const codec = createCodec({ kind: 'sparkplug', delimiter: ',', joinToleranceMs: 0 }, { channels: ['temp'], timestamp: DEFAULT_TIMESTAMP, paths: { temp: 'Inputs/Temperature' } });
    const p = spb.encodePayload({ timestamp: NOW - 1000, metrics: [{ name: 'Inputs/Temperature', type: 'Double', value: 21.5 }, { name: 'temp', type: 'Double', value: 99 }] });
    expect(ok(codec.decode(msg(p, 'spBv1.0/g/DDATA/n/d'), where))[0].values).toEqual({ temp: 21.5 });
  });
});

describe('checked at config load and at start', () => {
  const source = (extra: object) => SourceSchema.safeParse({ topics: ['tele/{sensor}/SENSOR'], ...extra });
  it('accepts dotted paths for json and sparkplug', () => {
    expect(source({ channels: { temp: 'AM2301.Temperature' } }).success).toBe(true);
    expect(source({ codec: { kind: 'sparkplug' }, channels: { temp: 'Inputs/Temperature' } }).success).toBe(true);
  });
  it('rejects empty segments and codecs that read by position', () => {
    for (const bad of ['', '.a', 'a.', 'a..b']) {
      const r = source({ channels: { temp: bad } });
      expect(r.success, bad).toBe(false);
      expect(r.error!.issues[0].path).toEqual(['channels', 'temp']);
    }
    const csv = source({ codec: { kind: 'csv' }, channels: { temp: 'a' } });
    expect(csv.error!.issues[0]).toMatchObject({ path: ['channels'], message: expect.stringContaining('codec csv reads them by position or topic') });
  });
  it('refuses, when the codec is made, a key that is not a model channel or two channels on one path', () => {
    expect(() => json({ tmp: 'AM2301.Temperature' })).toThrow("source.channels: 'tmp' is not a channel of the model (model channels: temp, hum)");
    expect(() => checkChannelPaths({ temp: 'x.y', hum: 'x.y' }, ['temp', 'hum'])).toThrow("'hum' and 'temp' both read 'x.y'");
  });
});
