/**
 * Sparkplug B 3.0 DATA as edge nodes send it: the datatype is given in the birth and SHOULD NOT be repeated in
 * DDATA, integers narrower than 64 bits travel as two's complement in the uint32 `int_value`, and `is_null` marks a
 * sample with no value. Messages are built with Tahu's protobuf message type directly (no encoder of vigil's or of
 * Tahu's that would fill in the datatype).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP, isRejected, type DecodeResult } from '../../runtime/codecs/index.ts';

type Proto = { create(o: object): object; encode(m: object): { finish(): Uint8Array } };
const Payload = (createRequire(import.meta.url)('sparkplug-payload/lib/sparkplugPayloadProto') as { org: { eclipse: { tahu: { protobuf: { Payload: Proto } } } } }).org.eclipse.tahu.protobuf.Payload;
const FLOAT = 9;
const INT32 = 3;
const INT16 = 2;
const BOOLEAN = 11;
const T0 = 1_700_000_000_000;
const where = { sensor: 'plant:edge1:pump7' };
const bytes = (p: object) => Payload.encode(Payload.create(p)).finish();
const msg = (type: string, p: object, device = true) => ({ topic: `spBv1.0/plant/${type}/edge1${device ? '/pump7' : ''}`, payload: bytes(p), receivedAt: T0 + 500 });
const read = (r: DecodeResult) => (isRejected(r) ? `${r.reason}: ${r.detail}` : r.map((x) => ({ ts: x.ts, ...x.values })));

function births() {
  const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: 5000 }, { channels: ['flow', 'delta', 'trim', 'running'], timestamp: DEFAULT_TIMESTAMP });
  codec.decode(msg('NBIRTH', { timestamp: T0, seq: 0, metrics: [{ name: 'bdSeq', datatype: 8, longValue: 0 }] }, false), where);
  const birth = codec.decode(
    msg('DBIRTH', {
      timestamp: T0, seq: 1,
      metrics: [
        { name: 'flow', alias: 1, datatype: FLOAT, floatValue: 1.5 },
        { name: 'delta', alias: 2, datatype: INT32, intValue: 5 },
        { name: 'trim', alias: 3, datatype: INT16, intValue: 1 },
        { name: 'running', alias: 4, datatype: BOOLEAN, booleanValue: true },
      ],
    }),
    where,
  );
  return { codec, birth };
}

describe('Sparkplug DATA by the datatypes of the births', () => {
  it('reads alias-only DDATA that leaves the datatype to the DBIRTH, signed integers included', () => {
    const { codec, birth } = births();
    expect(read(birth)).toEqual([{ ts: T0, flow: 1.5, delta: 5, trim: 1, running: 1 }]);
    const r = codec.decode(
      msg('DDATA', { timestamp: T0 + 1000, seq: 2, metrics: [{ alias: 1, floatValue: 2.25 }, { alias: 2, intValue: 0xfffffffb }, { alias: 3, intValue: 0xfffe }, { alias: 4, booleanValue: false }] }),
      where,
    );
    // Int32 -5 and Int16 -2 as two's complement in the uint32 field (Sparkplug 3.0), not 4294967291 and 65534.
    expect(read(r)).toEqual([{ ts: T0 + 1000, flow: 2.25, delta: -5, trim: -2, running: 0 }]);
  });

  it('reads DDATA that names its metrics without a datatype, by the type the DBIRTH gave each name', () => {
    const { codec } = births();
    const r = codec.decode(msg('DDATA', { timestamp: T0 + 1000, seq: 2, metrics: [{ name: 'delta', intValue: 0xffffffff }, { name: 'flow', floatValue: 3 }] }), where);
    expect(read(r)).toEqual([{ ts: T0 + 1000, delta: -1, flow: 3 }]);
  });

  it('takes an is_null metric as a sample with no value, not as a bad message', () => {
    const { codec } = births();
    const r = codec.decode(msg('DDATA', { timestamp: T0 + 1000, seq: 2, metrics: [{ alias: 1, isNull: true }, { alias: 2, intValue: 7 }] }), where);
    expect(read(r)).toEqual([{ ts: T0 + 1000, delta: 7 }]);
    // A message whose only model metric is null carries nothing to score (the device's birth was seen: not a fault).
    const only = codec.decode(msg('DDATA', { timestamp: T0 + 2000, seq: 3, metrics: [{ alias: 1, isNull: true, datatype: FLOAT }] }), where);
    expect(read(only)).toEqual([]);
  });

  it('names the datatype the birth gave when a value is not a number', () => {
    const codec = createCodec({ kind: 'sparkplug', rebirthIntervalMs: null }, { channels: ['state'], timestamp: DEFAULT_TIMESTAMP });
    codec.decode(msg('DBIRTH', { timestamp: T0, seq: 1, metrics: [{ name: 'state', alias: 9, datatype: 12, stringValue: 'IDLE' }] }), where);
    const r = codec.decode(msg('DDATA', { timestamp: T0 + 1000, seq: 2, metrics: [{ alias: 9, stringValue: 'RUN' }] }), where);
    expect(read(r)).toMatch(/^bad_value: .*\(Sparkplug type String\)/);
  });
});
