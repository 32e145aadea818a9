/**
 * Sparkplug B metrics as the protobuf carries them, read by datatype. Sparkplug 3.0 says a DATA message SHOULD NOT
 * repeat a metric's datatype: the host keeps it from the birth that defined the metric. Tahu's `decodePayload`
 * picks a value by the message's own datatype only, so a spec-compliant alias-only DDATA came out as null, and an
 * `is_null` metric as a null value with no `isNull`; here the raw protobuf is read instead, and the datatype comes
 * from the message when it has one, else from the birth (`learnt`), else from whichever value field is set.
 */
import { createRequire } from 'node:module';

/** Sparkplug B 3.0 datatype codes (Payload.Metric.datatype) and their names, for messages. */
export const DATATYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Unknown', 1: 'Int8', 2: 'Int16', 3: 'Int32', 4: 'Int64', 5: 'UInt8', 6: 'UInt16', 7: 'UInt32', 8: 'UInt64',
  9: 'Float', 10: 'Double', 11: 'Boolean', 12: 'String', 13: 'DateTime', 14: 'Text', 15: 'UUID',
};

/** A protobuf uint64 as protobufjs gives it (a `long` Long), or a number. */
interface LongLike {
  toNumber(): number;
  toSigned?(): LongLike;
  toUnsigned?(): LongLike;
}

/** A decoded Payload.Metric (protobufjs message; absent fields read as defaults, so presence is own-property). */
export interface ProtoMetric {
  name?: string;
  alias?: LongLike | number;
  timestamp?: LongLike | number;
  datatype?: number;
  isNull?: boolean;
  isHistorical?: boolean;
  /** protobufjs' oneof getter: the name of the value field that is set. */
  value?: string;
  intValue?: number;
  longValue?: LongLike | number;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
}

/** A decoded Payload. */
export interface ProtoPayload {
  timestamp?: LongLike | number;
  seq?: LongLike | number;
  metrics?: ProtoMetric[];
}

type PayloadType = { decode(bytes: Uint8Array): ProtoPayload };
let payloadType: PayloadType | undefined;
/** Tahu's generated protobuf type (loaded with the codec, as sparkplug-payload is). */
function payloadMessage(): PayloadType {
  payloadType ??= (createRequire(import.meta.url)('sparkplug-payload/lib/sparkplugPayloadProto') as { org: { eclipse: { tahu: { protobuf: { Payload: PayloadType } } } } }).org.eclipse.tahu.protobuf.Payload;
  return payloadType;
}

/** Decode a Sparkplug B payload's protobuf; throws on bytes that are not one. */
export function decodeProto(bytes: Uint8Array): ProtoPayload {
  return payloadMessage().decode(bytes);
}

/** Whether the message set `field` (protobufjs leaves absent ones to the prototype's defaults). */
export function has(m: object, field: string): boolean {
  return Object.hasOwn(m, field);
}

/** A uint64 field (or a number) as a JS number; `signed` reads its bits as two's complement. */
export function longNumber(v: LongLike | number | undefined | null, signed = false): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  const l = signed ? v.toSigned?.() ?? v : v.toUnsigned?.() ?? v;
  return l.toNumber();
}

/**
 * A metric's value by datatype: a number, a boolean or a string as the type says; null for an `is_null` metric (a
 * sample with no value); undefined when no value field is set. Integers narrower than 64 bits travel in the uint32
 * `int_value` (signed ones as two's complement, sign-extended here); Tahu's JS encoder puts UInt32 in `long_value`,
 * which is read too.
 */
export function metricValue(m: ProtoMetric, datatype: number): number | boolean | string | null | undefined {
  if (m.isNull) return null;
  const field = m.value;
  if (field === undefined) return undefined;
  const raw = (m as Record<string, unknown>)[field];
  if (field === 'intValue' || field === 'longValue') {
    const wide = field === 'longValue';
    // Signed unless the type says unsigned: an Int64 with no datatype and no birth is far likelier than a UInt64 past 2^63.
    const unsigned = datatype === 5 || datatype === 6 || datatype === 7 || datatype === 8 || datatype === 13;
    const n = wide ? longNumber(raw as LongLike, !unsigned) : (raw as number);
    if (n === undefined) return undefined;
    if (wide) return n;
    if (datatype === 1) return (n << 24) >> 24;
    if (datatype === 2) return (n << 16) >> 16;
    return unsigned ? n >>> 0 : n | 0;
  }
  if (field === 'floatValue' || field === 'doubleValue' || field === 'booleanValue' || field === 'stringValue') return raw as number | boolean | string;
  return undefined; // bytes, data sets, templates, extensions: not a channel value
}
