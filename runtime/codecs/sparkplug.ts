/**
 * Sparkplug B payloads (protobuf, `spBv1.0/GROUP/TYPE/NODE[/DEVICE]`): numeric metrics whose names are card
 * channels become a Reading, grouped by metric timestamp (else the payload's). Birth certificates (NBIRTH,
 * DBIRTH) teach the name of each alias, since DDATA may carry aliases only; deaths and commands are ignored.
 */
import { createRequire } from 'node:module';
import type { RawMessage, Reading } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { checkChannelPaths } from './channel-paths.ts';
import { channelValue, isFieldError, readingTime, stampArrival } from './values.ts';

type SparkplugPayload = NonNullable<ReturnType<typeof import('sparkplug-payload').get>>;
let spbCache: SparkplugPayload | null | undefined;
/** sparkplug-payload (protobufjs, ~7 MB of RSS) is loaded only when a Sparkplug codec is made. */
function sparkplugPayload(): SparkplugPayload | null {
  spbCache ??= (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get('spBv1.0');
  return spbCache;
}
/** Edge nodes whose alias tables are kept at most (oldest forgotten first). */
const MAX_NODES = 10_000;

interface Metric {
  name?: string | null;
  alias?: unknown;
  timestamp?: unknown;
  value?: unknown;
  isNull?: boolean | null;
  type?: string;
}

/** A protobuf uint64 (Long) or number as a JS number. */
function toNumber(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return undefined;
}

/** Codec for Sparkplug B DDATA/NDATA (and births, which also carry values). */
export function sparkplugCodec(ctx: CodecContext): Codec {
  checkChannelPaths(ctx.paths, ctx.channels);
  // Metric name -> channel: the channel's own name unless source.channels names its metric.
  const known = new Map(ctx.channels.map((ch) => [ctx.paths?.[ch] ?? ch, ch]));
  const aliases = new Map<string, Map<number, string>>();
  const spb = sparkplugPayload();

  return {
    name: 'sparkplug',
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      const seg = msg.topic.split('/');
      const type = seg[0] === 'spBv1.0' ? seg[2] ?? '' : 'DDATA';
      const isBirth = type === 'NBIRTH' || type === 'DBIRTH';
      if (!isBirth && type !== 'DDATA' && type !== 'NDATA') return [];
      if (!spb) return reject(msg, 'bad_protobuf', 'sparkplug-payload has no spBv1.0 codec');
      let payload: { timestamp?: unknown; metrics?: Metric[] | null };
      try {
        payload = spb.decodePayload(msg.payload) as typeof payload;
      } catch (err) {
        return reject(msg, 'bad_protobuf', `payload is not a Sparkplug B protobuf (${(err as Error).message}); expected a ${type} Payload message`);
      }
      const nodeKey = `${seg[1]}/${seg[3]}`;
      let table = aliases.get(nodeKey);
      const groups = new Map<number, Record<string, number>>();
      const arrival = new Set<number>();
      const payloadTs = toNumber(payload.timestamp);
      for (const m of payload.metrics ?? []) {
        const alias = toNumber(m.alias);
        let name = m.name ?? undefined;
        if (isBirth && name && alias !== undefined) {
          if (!table) {
            if (aliases.size >= MAX_NODES) aliases.delete(aliases.keys().next().value as string);
            table = new Map();
            aliases.set(nodeKey, table);
          }
          table.set(alias, name);
        }
        if (!name && alias !== undefined) {
          name = table?.get(alias);
          if (!name) return reject(msg, 'unknown_alias', `metric alias ${alias} has no name; expected a ${type === 'NDATA' ? 'NBIRTH' : 'DBIRTH'} naming it first, or metrics with names`);
        }
        const channel = name === undefined ? undefined : known.get(name);
        if (channel === undefined || m.isNull) continue;
        const v = channelValue(toNumber(m.value) ?? m.value, channel);
        if (isFieldError(v)) return reject(msg, v.error, `${v.detail} (Sparkplug type ${m.type ?? 'unknown'})`);
        const rawTs = toNumber(m.timestamp) ?? payloadTs;
        const ts = readingTime(rawTs, msg.receivedAt, { ...ctx.timestamp, unit: 'ms' });
        if (typeof ts !== 'number') return reject(msg, ts.error, ts.detail);
        let g = groups.get(ts);
        if (!g) groups.set(ts, (g = {}));
        if (rawTs === undefined) arrival.add(ts);
        g[channel] = v;
      }
      if (groups.size === 0) {
        if (isBirth) return [];
        return reject(msg, 'no_known_channels', `${type} has no numeric metric named as a model channel; expected some of ${[...known.keys()].join(', ')}`);
      }
      const out: Reading[] = [];
      for (const ts of [...groups.keys()].sort((a, b) => a - b)) {
        out.push(stampArrival({ sensor: where.sensor, ts, values: groups.get(ts)!, receivedAt: msg.receivedAt }, arrival.has(ts) ? undefined : ts, ctx.timestamp));
      }
      return out;
    },
  };
}
