/**
 * The Sparkplug codec as a host application (issue 17.11): an unknown alias or a gap in `seq` publishes a Node
 * Control/Rebirth NCMD, at most once per node per interval; what cannot be read meanwhile is rejected (counted);
 * births restore the tables; topic templates that would split a device into two sensors are refused.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP, isRejected, type CodecRequest } from '../../runtime/codecs/index.ts';
import { dbirth, ddata, msg, nbirth, spb, T0, values, where } from './sparkplug-messages.ts';
import { SourceSchema } from '../../runtime/config/schema.ts';
import { compileTopicTemplate } from '../../runtime/mqtt/topic-template.ts';
import { decodeMessage } from '../../runtime/codecs/decode.ts';

function host(rebirthIntervalMs: number | null = 5000) {
  const requests: CodecRequest[] = [];
  const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs }, { channels: ['value'], timestamp: DEFAULT_TIMESTAMP, request: (r) => requests.push(r) });
  return { codec, requests };
}

describe('Sparkplug host: rebirth requests', () => {
  it('asks for a rebirth on an unknown alias (once per interval), counts the data meanwhile, reads it after the births', () => {
    const { codec, requests } = host();
    const r1 = codec.decode(ddata(7, T0), where);
    expect(isRejected(r1) && r1).toMatchObject({ reason: 'unknown_alias', detail: expect.stringContaining('asked the node to rebirth') });
    expect(requests).toHaveLength(1);
    expect(requests[0].topic).toBe('spBv1.0/plant/NCMD/edge1');
    const ncmd = spb.decodePayload(requests[0].payload);
    expect(ncmd.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })]);
    expect(requests[0].note).toMatch(/edge1.*alias 1/);
    // Within the interval: still rejected, not asked again.
    expect(values(codec.decode(ddata(8, T0 + 1000), where))).toBe('unknown_alias');
    expect(requests).toHaveLength(1);
    // The node answers with NBIRTH + DBIRTH; data reads again.
    expect(values(codec.decode(nbirth(0, T0 + 1100), where))).toEqual([]);
    expect(values(codec.decode(dbirth(1, T0 + 1100), where))).toEqual([{ value: 1 }]);
    expect(values(codec.decode(ddata(2, T0 + 1200, 3), where))).toEqual([{ value: 3 }]);
    expect(requests).toHaveLength(1);
  });

  it('reads a node behind a bridge prefix (site-3/spBv1.0/...) and asks its rebirth under that prefix (a probe: all of it refused)', () => {
    const { codec, requests } = host();
    const bridged = (m: { topic: string; payload: Uint8Array; receivedAt: number }) => ({ ...m, topic: `site-3/${m.topic}` });
    expect(values(codec.decode(bridged(ddata(7, T0)), where))).toBe('unknown_alias');
    expect(requests.map((r) => r.topic)).toEqual(['site-3/spBv1.0/plant/NCMD/edge1']);
    expect(requests[0].note).toMatch(/site-3\/plant\/edge1/);
    expect(values(codec.decode(bridged(nbirth(0, T0 + 1100)), where))).toEqual([]);
    expect(values(codec.decode(bridged(dbirth(1, T0 + 1100)), where))).toEqual([{ value: 1 }]);
    expect(values(codec.decode(bridged(ddata(2, T0 + 1200, 3)), where))).toEqual([{ value: 3 }]);
    // The same group and node on the broker itself is another node: its aliases are its own.
    expect(values(codec.decode(ddata(3, T0 + 1300), where))).toBe('unknown_alias');
    expect(requests.map((r) => r.topic)).toEqual(['site-3/spBv1.0/plant/NCMD/edge1', 'spBv1.0/plant/NCMD/edge1']);
  });

  it('asks again after the interval when the node does not answer', () => {
    const { codec, requests } = host(5000);
    codec.decode(ddata(1, T0), where);
    codec.decode(ddata(2, T0 + 4999), where);
    codec.decode(ddata(3, T0 + 5000), where);
    expect(requests).toHaveLength(2);
  });

  it('asks on a seq gap once the NBIRTH was seen, and keeps reading the data', () => {
    const { codec, requests } = host();
    codec.decode(nbirth(0, T0), where);
    codec.decode(dbirth(1, T0), where);
    expect(values(codec.decode(ddata(2, T0 + 1), where))).toEqual([{ value: 2 }]);
    expect(requests).toHaveLength(0);
    expect(values(codec.decode(ddata(5, T0 + 2, 4), where))).toEqual([{ value: 4 }]);
    expect(requests).toHaveLength(1);
    expect(requests[0].note).toMatch(/seq 5 does not follow/);
    // seq wraps 255 -> 0 without a gap.
    const h = host();
    h.codec.decode(nbirth(253, T0), where);
    h.codec.decode(dbirth(254, T0), where);
    h.codec.decode(ddata(255, T0 + 1), where);
    h.codec.decode(ddata(0, T0 + 2), where);
    expect(h.requests).toHaveLength(0);
  });

  it('forgets a node at its NDEATH, and never asks when rebirthIntervalMs is null', () => {
    const { codec, requests } = host();
    codec.decode(nbirth(0, T0), where);
    codec.decode(dbirth(1, T0), where);
    codec.decode(msg('NDEATH', { timestamp: T0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }, T0 + 1, false), where);
    expect(values(codec.decode(ddata(2, T0 + 2), where))).toBe('unknown_alias');
    expect(requests).toHaveLength(1);
    const quiet = host(null);
    const r = quiet.codec.decode(ddata(1, T0), where);
    expect(isRejected(r) && r.detail).not.toMatch(/rebirth/);
    expect(quiet.requests).toHaveLength(0);
  });
});

describe('Sparkplug topics and sensor ids', () => {
  const source = (topics: string[], sensorId?: string) => SourceSchema.safeParse({ topics, sensorId, codec: { kind: 'sparkplug' } });
  it('refuses a sensor id holding the message type level, accepts the documented one', () => {
    expect(source(['spBv1.0/{group}/{type}/{node}/{device}']).error?.issues[0].message).toMatch(/message type level '\{type\}' is part of the sensor id/);
    expect(source(['spBv1.0/{group}/+/{node}/{device}']).success).toBe(false);
    expect(source(['spBv1.0/{group}/{type}/{node}/{device}'], '{group}:{type}:{device}').success).toBe(false);
    expect(source(['spBv1.0/{group}/{type}/{node}/{device}', 'spBv1.0/{group}/{type}/{node}'], '{group}:{node}:{device}').success).toBe(true);
    expect(source(['spBv1.0/{group}/{type}/{node}/{device}'], '{group}:{node}:{devcie}').error?.issues[0]).toMatchObject({ path: ['sensorId'], message: expect.stringContaining('{devcie}') });
  });

  it('gives BIRTH and DATA one sensor, and the node level its own id that no device id can equal', () => {
    const dev = compileTopicTemplate('spBv1.0/{group}/{type}/{node}/{device}', '{group}:{node}:{device}');
    const node = compileTopicTemplate('spBv1.0/{group}/{type}/{node}', '{group}:{node}:{device}');
    expect(dev.match('spBv1.0/plant/DBIRTH/edge1/pump7')).toEqual({ sensor: 'plant:edge1:pump7' });
    expect(dev.match('spBv1.0/plant/DDATA/edge1/pump7')).toEqual({ sensor: 'plant:edge1:pump7' });
    expect(node.match('spBv1.0/plant/NDATA/edge1')).toEqual({ sensor: 'plant:edge1' });
    expect(node.match('spBv1.0/plant/NDATA/edge1:pump7')).toMatchObject({ reason: 'bad_sensor_id' });
    expect(() => compileTopicTemplate('spBv1.0/{group}/{type}/{node}', '{device}:{node}')).toThrow(/names \{device\}/);
  });
});

describe('Sparkplug host: messages refused before decoding', () => {
  const dev = compileTopicTemplate('spBv1.0/{group}/{type}/{node}/{device}', '{group}:{node}:{device}');
  const route = (t: string) => {
    const m = dev.match(t);
    return m ?? { reason: 'unknown_topic' as const, error: 'no match' };
  };
  const at = (type: string, device: string, p: object, when: number) => ({ topic: `spBv1.0/plant/${type}/edge1/${device}`, payload: spb.encodePayload(p as never), receivedAt: when });

  it('counts the seq of a device vigil cannot name, so its node is not asked to rebirth for ever', () => {
    const { codec, requests } = host();
    const opts = { codec, route, maxPayloadBytes: 64 * 1024 };
    decodeMessage(nbirth(0, T0), { ...opts, route: () => ({ sensor: 'plant:edge1' }) });
    expect(decodeMessage(at('DBIRTH', 'pump7', { timestamp: T0, seq: 1, metrics: [{ name: 'value', alias: 1, type: 'Double', value: 1 }] }, T0), opts)).toHaveLength(1);
    // 'Pump 7' is a legal Sparkplug device id, not a legal vigil sensor id: refused, its seq still taken.
    const bad = decodeMessage(at('DDATA', 'Pump 7', { timestamp: T0 + 1, seq: 2, metrics: [{ name: 'value', type: 'Double', value: 2 }] }, T0 + 1), opts);
    expect(bad).toMatchObject({ reason: 'bad_sensor_id' });
    expect(decodeMessage(at('DDATA', 'pump7', { timestamp: T0 + 2, seq: 3, metrics: [{ alias: 1, type: 'Double', value: 3 }] }, T0 + 2), opts)).toHaveLength(1);
    expect(requests).toHaveLength(0);
  });

  it('reads a birth larger than the DATA bound (a device with thousands of tags), up to 16 times it', () => {
    const { codec, requests } = host();
    const opts = { codec, route, maxPayloadBytes: 64 * 1024 };
    const tags = Array.from({ length: 3000 }, (_, i) => ({ name: `Tags/tag-${i}-with-a-long-descriptive-name`, alias: 100 + i, type: 'Double', value: i }));
    const birth = at('DBIRTH', 'pump7', { timestamp: T0, seq: 1, metrics: [{ name: 'value', alias: 1, type: 'Double', value: 1 }, ...tags] }, T0);
    expect(birth.payload.byteLength).toBeGreaterThan(64 * 1024);
    expect(decodeMessage(birth, opts)).toHaveLength(1);
    expect(decodeMessage(at('DDATA', 'pump7', { timestamp: T0 + 1, seq: 2, metrics: [{ alias: 1, type: 'Double', value: 5 }] }, T0 + 1), opts)).toEqual([expect.objectContaining({ values: { value: 5 } })]);
    // DATA keep the configured bound.
    const big = at('DDATA', 'pump7', { timestamp: T0 + 2, seq: 3, metrics: tags }, T0 + 2);
    expect(decodeMessage(big, opts)).toMatchObject({ reason: 'too_large' });
    expect(requests).toHaveLength(0);
  });
});

describe('Sparkplug host: devices and tags the model does not watch', () => {
  const at = (type: string, device: string, p: object, when: number) => ({ topic: `spBv1.0/plant/${type}/edge1/${device}`, payload: spb.encodePayload(p as never), receivedAt: when });
  it('ignores DATA without model metrics from a device whose birth was seen; asks for the birth of one it was not', () => {
    const { codec, requests } = host();
    const valve = { sensor: 'plant:edge1:valve3' };
    // Another device on the node, with none of the model's metrics: its births and data are nothing to score.
    expect(values(codec.decode(at('DBIRTH', 'valve3', { timestamp: T0, seq: 1, metrics: [{ name: 'position', alias: 50, type: 'Float', value: 10 }] }, T0), valve))).toEqual([]);
    expect(values(codec.decode(at('DDATA', 'valve3', { timestamp: T0 + 1, seq: 2, metrics: [{ alias: 50, type: 'Float', value: 11 }] }, T0 + 1), valve))).toEqual([]);
    // The watched device reporting by exception a tag the model lacks: nothing to score either.
    codec.decode(dbirth(3, T0 + 2), where);
    expect(values(codec.decode(msg('DDATA', { timestamp: T0 + 3, seq: 4, metrics: [{ name: 'Properties/serial', type: 'Double', value: 7 }] }, T0 + 3), where))).toEqual([]);
    expect(requests).toHaveLength(0);
    // A device never born here: counted, and the node asked for its births.
    const r = codec.decode(at('DDATA', 'valve9', { timestamp: T0 + 4, seq: 5, metrics: [{ name: 'position', type: 'Float', value: 1 }] }, T0 + 4), { sensor: 'plant:edge1:valve9' });
    expect(isRejected(r) && r).toMatchObject({ reason: 'no_known_channels', detail: expect.stringContaining('asked the node to rebirth') });
    expect(requests).toHaveLength(1);
  });

  it("says once per device when a birth names none of the model's channels (a probe: Pump/Flow for flow, ignored without a word)", () => {
    const notes: { fields: Record<string, unknown>; msg: string }[] = [];
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['flow', 'current'], timestamp: DEFAULT_TIMESTAMP, note: (fields, msg) => notes.push({ fields, msg }) });
    const pump = { sensor: 'plant:edge1:pump7' };
    const tags = [{ name: 'bdSeq', type: 'UInt64', value: 0 }, { name: 'Device Control/Rebirth', type: 'Boolean', value: false }, { name: 'Pump/Flow', alias: 1, type: 'Double', value: 3 }, { name: 'Pump/Current', alias: 2, type: 'Double', value: 4 }];
    expect(values(codec.decode(msg('DBIRTH', { timestamp: T0, seq: 1, metrics: tags }, T0), pump))).toEqual([]);
    expect(notes).toEqual([{ fields: { node: 'plant/edge1', device: 'pump7', metrics: ['Pump/Flow', 'Pump/Current'] }, msg: expect.stringMatching(/pump7: its DBIRTH names none of the model's channels \(it has Pump\/Flow, Pump\/Current; the model reads flow, current\).*source\.channels/) }]);
    // Its next birth (a rebirth) is not said again.
    codec.decode(msg('DBIRTH', { timestamp: T0 + 10, seq: 2, metrics: tags }, T0 + 10), pump);
    expect(notes).toHaveLength(1);
    // A birth with a model channel, or with control metrics only, says nothing.
    codec.decode({ ...msg('DBIRTH', { timestamp: T0 + 20, seq: 3, metrics: [{ name: 'flow', alias: 5, type: 'Double', value: 1 }] }, T0 + 20), topic: 'spBv1.0/plant/DBIRTH/edge1/pump8' }, { sensor: 'plant:edge1:pump8' });
    codec.decode({ ...msg('DBIRTH', { timestamp: T0 + 30, seq: 4, metrics: [{ name: 'Device Control/Rebirth', type: 'Boolean', value: false }] }, T0 + 30), topic: 'spBv1.0/plant/DBIRTH/edge1/pump9' }, { sensor: 'plant:edge1:pump9' });
    expect(notes).toHaveLength(1);
    // Once per node: another device of it without the model's channels says nothing more.
    codec.decode({ ...msg('DBIRTH', { timestamp: T0 + 40, seq: 5, metrics: [{ name: 'Valve/Position', alias: 20, type: 'Double', value: 3 }] }, T0 + 40), topic: 'spBv1.0/plant/DBIRTH/edge1/valve1' }, { sensor: 'plant:edge1:valve1' });
    expect(notes).toHaveLength(1);
    // A node whose first device names a model channel says nothing of its others (a valve beside the pump); a birth
    // whose model metrics are all null names them all the same (a review: warned, then its data were read).
    const quiet: string[] = [];
    const other = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['flow', 'current'], timestamp: DEFAULT_TIMESTAMP, note: (_f, m) => quiet.push(m) });
    const on = (device: string, metrics: object[]) => ({ topic: `spBv1.0/plant/DBIRTH/edge2/${device}`, payload: spb.encodePayload({ timestamp: T0, seq: 1, metrics } as never), receivedAt: T0 });
    other.decode(on('pump1', [{ name: 'flow', alias: 1, type: 'Double', value: null, isNull: true }]), { sensor: 'plant:edge2:pump1' });
    other.decode(on('valve1', [{ name: 'position', alias: 2, type: 'Double', value: 3 }]), { sensor: 'plant:edge2:valve1' });
    expect(quiet).toEqual([]);
  });
});

describe('Sparkplug host: seq gaps a passive listener sees', () => {
  it('tells them at most once a minute per node, with the gaps counted meanwhile, and asks nothing', () => {
    const notes: { fields: Record<string, unknown>; msg: string }[] = [];
    const requests: CodecRequest[] = [];
    const counted: string[] = [];
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: null }, { channels: ['value'], timestamp: DEFAULT_TIMESTAMP, request: (r) => requests.push(r), note: (fields, msg) => notes.push({ fields, msg }), count: (e) => counted.push(e) });
    codec.decode(nbirth(0, T0), where);
    codec.decode(dbirth(1, T0), where);
    codec.decode(ddata(3, T0 + 1000), where); // 2 missing
    expect(counted).toEqual(['seq_gap']);
    expect(notes).toEqual([{ fields: { node: 'plant/edge1', gaps: 1 }, msg: expect.stringContaining('passive listener') }]);
    codec.decode(ddata(6, T0 + 2000), where);
    codec.decode(ddata(9, T0 + 3000), where);
    expect(notes).toHaveLength(1);
    // A minute on, the next message tells the gaps counted meanwhile (no new gap needed).
    codec.decode(ddata(10, T0 + 62_000), where);
    expect(notes[1].fields).toEqual({ node: 'plant/edge1', gaps: 2 });
    codec.decode(ddata(11, T0 + 63_000), where);
    expect(notes).toHaveLength(2);
    expect(requests).toEqual([]);
  });
});

