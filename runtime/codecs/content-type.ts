/**
 * An MQTT 5 content type may choose the codec of one message (`source.codec.byContentType`), so JSON readings and
 * Sparkplug B payloads can share a subscription. The configured codec keeps every message without a content type,
 * with one it reads itself (a `json-array` codec reads `application/json`), or with one not in the table.
 */
import type { RawMessage } from '../stream/types.ts';
import type { Codec, DecodeResult, TopicInfo } from './codec.ts';
import type { CodecKind as Kind } from './registry.ts';

/** Content type -> codecs that read it, the first being the one chosen when the configured codec is not listed. */
export const CONTENT_TYPE_CODECS: Readonly<Record<string, readonly Kind[]>> = {
  'application/json': ['json', 'json-array'],
  'text/csv': ['csv'],
  'text/plain': ['number', 'csv'],
  'application/x-sparkplug-b': ['sparkplug'],
  'application/vnd.sparkplug-b': ['sparkplug'],
  'application/protobuf': ['sparkplug'],
  'application/x-protobuf': ['sparkplug'],
  'application/vnd.google.protobuf': ['sparkplug'],
};

/** The media type of a content type: lower case, parameters (`; charset=utf-8`) dropped. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/** The codec kind a message's content type asks for instead of `configured`, or undefined to keep it. */
export function kindForContentType(contentType: string | undefined, configured: Kind): Kind | undefined {
  if (contentType === undefined) return undefined;
  const kinds = CONTENT_TYPE_CODECS[mediaType(contentType)];
  if (!kinds || kinds.includes(configured)) return undefined;
  return kinds[0];
}

/**
 * Wrap the configured codec: each message whose content type names another codec goes to that one, made on first
 * use by `make` and kept (stateful codecs, such as Sparkplug's alias tables, keep their state across messages).
 */
export function byContentType(base: Codec, configured: Kind, make: (kind: Kind) => Codec): Codec {
  const others = new Map<Kind, Codec>();
  return {
    name: base.name,
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      const kind = kindForContentType(msg.contentType, configured);
      if (kind === undefined) return base.decode(msg, where);
      let codec = others.get(kind);
      if (!codec) others.set(kind, (codec = make(kind)));
      const r = codec.decode(msg, where);
      // Say why this codec read it: the config names another one.
      if (!Array.isArray(r)) r.detail += ` (codec ${kind}, chosen by content type ${msg.contentType})`;
      return r;
    },
    // Limits and sessions are the configured codec's business (a Sparkplug node's births and seq).
    ...(base.payloadLimit ? { payloadLimit: (topic: string, bound: number) => base.payloadLimit!(topic, bound) } : {}),
    ...(base.refused ? { refused: (msg: RawMessage) => base.refused!(msg) } : {}),
    ...(base.sessions ? { sessions: base.sessions } : {}),
    // Rows held by any of them (number's rows in progress) go at the end of intake.
    flush: () => [base, ...others.values()].flatMap((c) => c.flush?.() ?? []),
  };
}
