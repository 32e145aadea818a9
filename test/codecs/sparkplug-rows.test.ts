/**
 * How Sparkplug metrics become rows: metrics a driver stamped one by one a few ms apart are one row; a device that
 * splits each row over two DDATA messages has its rows joined once it has shown it (the first split row comes too
 * late for its row and is refused downstream, counted); a device reporting by exception (a few metrics per DDATA,
 * each message stamped anew) has each row emitted with its message, never held.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP, isRejected, type DecodeResult } from '../../runtime/codecs/index.ts';

type Proto = { create(o: object): object; encode(m: object): { finish(): Uint8Array } };
const Payload = (createRequire(import.meta.url)('sparkplug-payload/lib/sparkplugPayloadProto') as { org: { eclipse: { tahu: { protobuf: { Payload: Proto } } } } }).org.eclipse.tahu.protobuf.Payload;
const DOUBLE = 10;
const T0 = 1_700_000_000_000;
const CH = ['a', 'b', 'c', 'd'];
const where = { sensor: 'plant:edge1:pump7' };
let seq = 0;
const ddata = (metrics: { name: string; v: number; ts?: number }[], ts: number, at = ts + 20) => ({
  topic: 'spBv1.0/plant/DDATA/edge1/pump7',
  payload: Payload.encode(Payload.create({ timestamp: ts, seq: seq++ % 256, metrics: metrics.map((m) => ({ name: m.name, datatype: DOUBLE, doubleValue: m.v, ...(m.ts === undefined ? {} : { timestamp: m.ts }) })) })).finish(),
  receivedAt: at,
});
const rows = (r: DecodeResult) => (isRejected(r) ? r.reason : r.map((x) => ({ ts: x.ts, ...x.values })));
const codec = () => createCodec({ kind: 'sparkplug', rebirthIntervalMs: null }, { channels: CH, timestamp: DEFAULT_TIMESTAMP });

describe('Sparkplug metrics into rows', () => {
  it('joins metrics stamped a few ms apart in one DDATA into one row, stamped with the first', () => {
    const c = codec();
    const r = c.decode(ddata(CH.map((name, i) => ({ name, v: i, ts: T0 + 3 * i })), T0 + 9), where);
    expect(rows(r)).toEqual([{ ts: T0, a: 0, b: 1, c: 2, d: 3 }]);
    // A historical batch in one message, rows a second apart: one row each.
    const batch = c.decode(ddata([...CH.map((name) => ({ name, v: 1, ts: T0 + 1000 })), ...CH.map((name) => ({ name, v: 2, ts: T0 + 2000 }))], T0 + 2000), where);
    expect(rows(batch)).toEqual([{ ts: T0 + 1000, a: 1, b: 1, c: 1, d: 1 }, { ts: T0 + 2000, a: 2, b: 2, c: 2, d: 2 }]);
  });

  it('joins the rows of a device that splits them over two DDATA once it has shown it', () => {
    const c = codec();
    const half = (names: string[], t: number) => ddata(names.map((name) => ({ name, v: t - T0 })), t);
    expect(rows(c.decode(half(['a', 'b'], T0), where))).toEqual([{ ts: T0, a: 0, b: 0 }]);
    // The rest of that row: too late for it; from now on the device's rows wait for their rest.
    expect(rows(c.decode(half(['c', 'd'], T0), where))).toEqual([]);
    expect(rows(c.decode(half(['a', 'b'], T0 + 1000), where))).toEqual([{ ts: T0, c: 0, d: 0 }]);
    expect(rows(c.decode(half(['c', 'd'], T0 + 1000), where))).toEqual([{ ts: T0 + 1000, a: 1000, b: 1000, c: 1000, d: 1000 }]);
    expect(rows(c.decode(half(['a', 'b'], T0 + 2000), where))).toEqual([]);
    expect(rows(c.decode(half(['c', 'd'], T0 + 2000), where))).toEqual([{ ts: T0 + 2000, a: 2000, b: 2000, c: 2000, d: 2000 }]);
    // At a stop, the part still waiting for its rest is let go with the topic it came on, not lost (Codec.flush).
    expect(rows(c.decode(half(['a', 'b'], T0 + 3000), where))).toEqual([]);
    expect(c.flush!().map((h) => ({ topic: h.topic, ts: h.reading.ts, ...h.reading.values }))).toEqual([{ topic: 'spBv1.0/plant/DDATA/edge1/pump7', ts: T0 + 3000, a: 3000, b: 3000 }]);
    expect(c.flush!()).toEqual([]);
  });

  it('emits a held part with its own device\'s next message, never in another device\'s', () => {
    const c = codec();
    const half = (names: string[], t: number) => ddata(names.map((name) => ({ name, v: 1 })), t);
    c.decode(half(['a', 'b'], T0), where);
    c.decode(half(['c', 'd'], T0), where); // shows the split
    expect(rows(c.decode(half(['a', 'b'], T0 + 1000), where))).toEqual([{ ts: T0, c: 1, d: 1 }]);
    // Another device's message, much later: the part held for pump7 stays out of its result.
    const other = { topic: 'spBv1.0/plant/DDATA/edge1/pump8', payload: ddata(CH.map((name) => ({ name, v: 5 })), T0 + 5000).payload, receivedAt: T0 + 5020 };
    expect(rows(c.decode(other, { sensor: 'plant:edge1:pump8' }))).toEqual([{ ts: T0 + 5000, a: 5, b: 5, c: 5, d: 5 }]);
    // pump7's next row brings it out.
    expect(rows(c.decode(half(['a', 'b'], T0 + 6000), where))).toEqual([{ ts: T0 + 1000, a: 1, b: 1 }]);
  });

  it('lets go of a device reporting by exception taken for one that splits its rows', () => {
    const c = codec();
    const one = (name: string, t: number) => ddata([{ name, v: t - T0 }], t);
    expect(rows(c.decode(ddata(CH.map((name) => ({ name, v: 0 })), T0), where))).toHaveLength(1);
    // Two changes 50 ms apart, on different channels: taken for the two parts of one row.
    expect(rows(c.decode(one('a', T0 + 1000), where))).toEqual([{ ts: T0 + 1000, a: 1000 }]);
    expect(rows(c.decode(one('b', T0 + 1050), where))).toEqual([]);
    // Its rows never complete: after two it is let go, and its rows go out with their messages again.
    expect(rows(c.decode(one('c', T0 + 2000), where))).toEqual([{ ts: T0 + 1050, b: 1050 }]);
    expect(rows(c.decode(one('d', T0 + 3000), where))).toEqual([{ ts: T0 + 2000, c: 2000 }]);
    expect(rows(c.decode(one('a', T0 + 4000), where))).toEqual([{ ts: T0 + 3000, d: 3000 }, { ts: T0 + 4000, a: 4000 }]);
    expect(rows(c.decode(one('b', T0 + 5000), where))).toEqual([{ ts: T0 + 5000, b: 5000 }]);
  });

  it('emits a device reporting by exception row by row, with its message', () => {
    const c = codec();
    expect(rows(c.decode(ddata(CH.map((name) => ({ name, v: 1 })), T0), where))).toEqual([{ ts: T0, a: 1, b: 1, c: 1, d: 1 }]);
    expect(rows(c.decode(ddata([{ name: 'b', v: 2 }], T0 + 1000), where))).toEqual([{ ts: T0 + 1000, b: 2 }]);
    expect(rows(c.decode(ddata([{ name: 'a', v: 3 }, { name: 'd', v: 3 }], T0 + 2000), where))).toEqual([{ ts: T0 + 2000, a: 3, d: 3 }]);
  });
});
