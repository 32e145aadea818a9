/**
 * The Sparkplug codec over a node's session (field probes of a Sparkplug gateway, and their review): aliases a node
 * reuses across devices, store-and-forward (`is_historical`) data, deaths and births, and topics without the node
 * level. The host's rebirth requests and seq gaps are in sparkplug-host.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP, isRejected, type CodecRequest } from '../../runtime/codecs/index.ts';
import { dbirth, ddata, msg, nbirth, spb, T0, values, where } from './sparkplug-messages.ts';
import { sparkplugNodeLevelMissing } from '../../runtime/codecs/sparkplug-topics.ts';

describe('Sparkplug host: aliases a node reuses across its devices', () => {
  it("reads each device's DATA with its own birth's aliases, and says the reuse once (a probe: pump1's flow scored as temperature)", () => {
    const notes: { fields: Record<string, unknown>; msg: string }[] = [];
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['flow', 'temperature'], timestamp: DEFAULT_TIMESTAMP, note: (fields, msg) => notes.push({ fields, msg }) });
    const dev = (type: string, device: string, p: object, when: number) => ({ topic: `spBv1.0/plant/${type}/edge1/${device}`, payload: spb.encodePayload(p as never), receivedAt: when });
    const p1 = { sensor: 'plant:edge1:pump1' };
    const p2 = { sensor: 'plant:edge1:pump2' };
    codec.decode(nbirth(0, T0), p1);
    codec.decode(dev('DBIRTH', 'pump1', { timestamp: T0, seq: 1, metrics: [{ name: 'flow', alias: 1, type: 'Double', value: 95 }, { name: 'temperature', alias: 2, type: 'Double', value: 34 }] }, T0), p1);
    expect(notes).toEqual([]);
    // pump2's birth gives the same aliases the other way round (against the spec, as hand-built nodes do).
    codec.decode(dev('DBIRTH', 'pump2', { timestamp: T0 + 1, seq: 2, metrics: [{ name: 'temperature', alias: 1, type: 'Double', value: 40 }, { name: 'flow', alias: 2, type: 'Double', value: 80 }] }, T0 + 1), p2);
    expect(notes).toEqual([{ fields: { node: 'plant/edge1', device: 'pump2', alias: 1, other: 'pump1' }, msg: expect.stringContaining('aliases unique per node') }]);
    const d1 = codec.decode(dev('DDATA', 'pump1', { timestamp: T0 + 2, seq: 3, metrics: [{ alias: 1, type: 'Double', value: 96 }, { alias: 2, type: 'Double', value: 35 }] }, T0 + 2), p1);
    expect(values(d1)).toEqual([{ flow: 96, temperature: 35 }]);
    const d2 = codec.decode(dev('DDATA', 'pump2', { timestamp: T0 + 3, seq: 4, metrics: [{ alias: 1, type: 'Double', value: 41 }, { alias: 2, type: 'Double', value: 81 }] }, T0 + 3), p2);
    expect(values(d2)).toEqual([{ temperature: 41, flow: 81 }]);
    expect(notes).toHaveLength(1);
    // A DBIRTH of pump1 alone with new aliases replaces its old ones.
    codec.decode(dev('DBIRTH', 'pump1', { timestamp: T0 + 4, seq: 5, metrics: [{ name: 'flow', alias: 7, type: 'Double', value: 97 }, { name: 'temperature', alias: 8, type: 'Double', value: 36 }] }, T0 + 4), p1);
    expect(values(codec.decode(dev('DDATA', 'pump1', { timestamp: T0 + 1000, seq: 6, metrics: [{ alias: 7, type: 'Double', value: 98 }] }, T0 + 1000), p1))).toEqual([{ flow: 98 }]);
    // pump1's old alias 1 is pump2's temperature now: never read as that (a review), but unknown, and the births asked.
    expect(values(codec.decode(dev('DDATA', 'pump1', { timestamp: T0 + 2000, seq: 7, metrics: [{ alias: 1, type: 'Double', value: 42 }] }, T0 + 2000), p1))).toBe('unknown_alias');
    // Nor a device never born here, nor one dead since its birth (a review: read as the neighbour's temperature).
    const p3 = { sensor: 'plant:edge1:pump3' };
    expect(values(codec.decode(dev('DDATA', 'pump3', { timestamp: T0 + 3000, seq: 8, metrics: [{ alias: 1, type: 'Double', value: 12 }] }, T0 + 3000), p3))).toBe('unknown_alias');
    codec.decode(dev('DDEATH', 'pump2', { timestamp: T0 + 4000, seq: 9 }, T0 + 4000), p2);
    expect(values(codec.decode(dev('DDATA', 'pump2', { timestamp: T0 + 5000, seq: 10, metrics: [{ alias: 2, type: 'Double', value: 80 }] }, T0 + 5000), p2))).toBe('unknown_alias');
  });
});

describe('Sparkplug host: store and forward', () => {
  it("sets is_historical metrics older than the sensor's last row aside as 'historical' (a probe: refused as out of order, not dead-lettered, taken for a clock set back)", () => {
    const notes: { fields: Record<string, unknown>; msg: string }[] = [];
    const counted: string[] = [];
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['value'], timestamp: DEFAULT_TIMESTAMP, note: (fields, msg) => notes.push({ fields, msg }), count: (e) => counted.push(e) });
    codec.decode(nbirth(0, T0 + 10_000), where);
    expect(values(codec.decode(dbirth(1, T0 + 10_000), where))).toEqual([{ value: 1 }]);
    // The buffered readings of the outage, stamped before the birth.
    const backlog = msg('DDATA', { timestamp: T0 + 10_001, seq: 2, metrics: [1, 2, 3].map((k) => ({ alias: 1, type: 'Double', value: k, timestamp: T0 + k * 1000, isHistorical: true })) }, T0 + 10_001);
    const r = codec.decode(backlog, where);
    expect(isRejected(r) && r).toMatchObject({ reason: 'historical', detail: expect.stringContaining('3 metric(s) of the model') });
    // Live and historical in one message: the live one is read, the others said once.
    const mixed = msg('DDATA', { timestamp: T0 + 11_000, seq: 3, metrics: [{ alias: 1, type: 'Double', value: 9, timestamp: T0 + 4000, isHistorical: true }, { alias: 1, type: 'Double', value: 5, timestamp: T0 + 11_000 }] }, T0 + 11_000);
    expect(values(codec.decode(mixed, where))).toEqual([{ value: 5 }]);
    expect(notes).toEqual([{ fields: { node: 'plant/edge1', device: 'pump7', historical: 1 }, msg: expect.stringContaining('historical ones set aside') }]);
    expect(counted).toEqual(['historical_set_aside']);
    // History newer than the sensor's last row (a node flushing it before live data resume) is read like any other (a review).
    const newer = msg('DDATA', { timestamp: T0 + 20_000, seq: 4, metrics: [12, 13].map((k) => ({ alias: 1, type: 'Double', value: k, timestamp: T0 + k * 1000, isHistorical: true })) }, T0 + 20_000);
    expect(values(codec.decode(newer, where))).toEqual([{ value: 12 }, { value: 13 }]);
  });
});

describe('Sparkplug host: deaths and births', () => {
  it('a DDEATH is said, its sensor told offline, and the device read again only after its next DBIRTH (a probe: data after a death read with the old aliases)', () => {
    const notes: { fields: Record<string, unknown>; msg: string }[] = [];
    const requests: CodecRequest[] = [];
    const offline: string[] = [];
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['value'], timestamp: DEFAULT_TIMESTAMP, request: (r) => requests.push(r), note: (fields, msg) => notes.push({ fields, msg }), offline: (s, why) => offline.push(`${s} ${why}`) });
    codec.decode(nbirth(0, T0), where);
    codec.decode(dbirth(1, T0), where);
    expect(values(codec.decode(ddata(2, T0 + 1000), where))).toEqual([{ value: 2 }]);
    expect(values(codec.decode(msg('DDEATH', { timestamp: T0 + 2000, seq: 3 }, T0 + 2000), where))).toEqual([]);
    expect(notes).toEqual([{ fields: { node: 'plant/edge1', device: 'pump7', type: 'DDEATH' }, msg: expect.stringContaining('pump7: DDEATH (offline)') }]);
    expect(offline).toEqual(['plant:edge1:pump7 DDEATH']);
    expect(values(codec.decode(ddata(4, T0 + 3000), where))).toBe('unknown_alias');
    expect(requests).toHaveLength(1);
    codec.decode(dbirth(5, T0 + 4000), where);
    expect(values(codec.decode(ddata(6, T0 + 5000, 7), where))).toEqual([{ value: 7 }]);
    // A node's death is said too, its sensors told offline; a second within the minute is not said again.
    codec.decode(msg('NDEATH', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }, T0 + 6000, false), where);
    codec.decode(msg('NDEATH', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }, T0 + 7000, false), where);
    expect(notes.map((n) => n.fields.type)).toEqual(['DDEATH', 'NDEATH']);
    expect(offline).toEqual(['plant:edge1:pump7 DDEATH', 'plant:edge1:pump7 NDEATH']);
  });

  it('reads a birth as one row at the latest time its metrics last changed (a probe: split into rows per metric)', () => {
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['flow', 'temperature'], timestamp: DEFAULT_TIMESTAMP });
    // The metrics' clock (the PLC's) runs 5 s behind the payload's (the edge node's): the row keeps the metrics' clock,
    // so the DATA after it, stamped on that clock, are not older than it (a review).
    const birth = msg('DBIRTH', { timestamp: T0 + 5000, seq: 1, metrics: [{ name: 'flow', alias: 1, type: 'Double', value: 95, timestamp: T0 - 3_600_000 }, { name: 'temperature', alias: 2, type: 'Double', value: 34, timestamp: T0 }] }, T0);
    const r = codec.decode(birth, where);
    expect(isRejected(r) ? r : r.map((x) => [x.ts, x.values])).toEqual([[T0, { flow: 95, temperature: 34 }]]);
    // Without metric times, the payload's.
    const plain = codec.decode(msg('DBIRTH', { timestamp: T0 + 9000, seq: 2, metrics: [{ name: 'flow', alias: 1, type: 'Double', value: 96 }] }, T0 + 9000), { sensor: 'plant:edge1:pump8' });
    expect(isRejected(plain) ? plain : plain.map((x) => x.ts)).toEqual([T0 + 9000]);
  });

  it('a late NDEATH of an older session changes nothing and says nothing (a review: logged as the node going offline)', () => {
    const notes: string[] = [];
    const offline: string[] = [];
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['value'], timestamp: DEFAULT_TIMESTAMP, note: (_f, m) => notes.push(m), offline: (s) => offline.push(s) });
    codec.decode(msg('NBIRTH', { timestamp: T0, seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 5 }] }, T0, false), where);
    codec.decode(dbirth(1, T0), where);
    codec.decode(msg('NDEATH', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 4 }] }, T0 + 100, false), where);
    expect([notes, offline]).toEqual([[], []]);
    expect(values(codec.decode(ddata(2, T0 + 1000, 3), where))).toEqual([{ value: 3 }]);
  });
});

describe('Sparkplug host: sessions kept over a restart', () => {
  it("reads what a persistent session queued during the restart with the node's saved aliases, when its seq follows the saved one (an HVAC probe: 2,580 messages rejected as unknown_alias)", () => {
    const codecWith = (requests: CodecRequest[] = []) => createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['value'], timestamp: DEFAULT_TIMESTAMP, request: (r) => requests.push(r) });
    const before = codecWith();
    before.decode(nbirth(0, T0), where);
    before.decode(dbirth(1, T0), where);
    expect(values(before.decode(ddata(2, T0 + 1000, 5), where))).toEqual([{ value: 5 }]);
    const saved = JSON.parse(JSON.stringify(before.sessions!.save()));
    expect(saved).toMatchObject({ format: 'vigil-sparkplug-sessions/1', nodes: [{ node: 'plant/edge1', seq: 2, bdSeq: 0, born: expect.arrayContaining(['', 'pump7']), sensors: [where.sensor] }] });
    // The next start: the queue's first DDATA follows seq 2, by alias only.
    const requests: CodecRequest[] = [];
    const after = codecWith(requests);
    expect(after.sessions!.restore(saved)).toBe(1);
    expect(values(after.decode(ddata(3, T0 + 2000, 6), where))).toEqual([{ value: 6 }]);
    expect(values(after.decode(ddata(4, T0 + 3000, 7), where))).toEqual([{ value: 7 }]);
    expect(requests).toEqual([]);
    // The last message read before the stop, redelivered first (the intake held it unacknowledged): the same session.
    const again = codecWith();
    again.sessions!.restore(saved);
    expect(values(again.decode(ddata(2, T0 + 1000, 5), where))).toEqual([{ value: 5 }]);
    expect(values(again.decode(ddata(3, T0 + 2000, 6), where))).toEqual([{ value: 6 }]);
    // Messages lost meanwhile (seq 2 -> 9): the saved tables may no longer hold; unknown, and the births asked, as before.
    const lost: CodecRequest[] = [];
    const gap = codecWith(lost);
    gap.sessions!.restore(saved);
    expect(values(gap.decode(ddata(9, T0 + 2000, 6), where))).toBe('unknown_alias');
    expect(lost).toHaveLength(1);
    expect(values(gap.decode(ddata(10, T0 + 3000, 6), where))).toBe('unknown_alias');
    // Nothing restored is read before a message confirms it, and a new NBIRTH replaces it all.
    const reborn = codecWith();
    reborn.sessions!.restore(saved);
    reborn.decode(nbirth(0, T0 + 5000), where);
    expect(values(reborn.decode(ddata(1, T0 + 6000), where))).toBe('unknown_alias');
    // A saved file of anything else is refused, naming the field.
    expect(() => codecWith().sessions!.restore({ format: 'vigil-sparkplug-sessions/1', nodes: [{ node: 'x', seq: 300 }] })).toThrow(/nodes\.0\.seq/);
  });
});

describe('Sparkplug topics without the node level', () => {
  it('are said at start: node births, deaths and seq gaps go unseen (a probe got no word of it)', () => {
    expect(sparkplugNodeLevelMissing(['spBv1.0/{group}/{type}/{node}/{device}'])).toMatch(/device messages only.*add the node level too, e\.g\. 'spBv1\.0\/\{group\}\/\{type\}\/\{node\}'/);
    expect(sparkplugNodeLevelMissing(['site-3/spBv1.0/{group}/{type}/{node}/{device}'])).toMatch(/device messages only/);
    expect(sparkplugNodeLevelMissing(['spBv1.0/{group}/{type}/{node}/{device}', 'spBv1.0/{group}/{type}/{node}'])).toBeUndefined();
    expect(sparkplugNodeLevelMissing(['spBv1.0/{group}/{type}/{node}'])).toBeUndefined();
    expect(sparkplugNodeLevelMissing(['plant/{sensor}/data'])).toBeUndefined();
  });
});
