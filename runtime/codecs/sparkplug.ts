/**
 * Sparkplug B payloads (protobuf, `spBv1.0/GROUP/TYPE/NODE[/DEVICE]`): numeric metrics whose names are card
 * channels become a Reading, grouped by metric timestamp (else the payload's). Birth certificates (NBIRTH,
 * DBIRTH) teach the name and datatype of each alias, since DDATA may carry aliases only and no datatype
 * (sparkplug-metrics.ts reads values by datatype). As a Sparkplug host application
 * should, it asks a node to rebirth (NCMD) on an alias it does not know or a gap in `seq` (sparkplug-nodes.ts);
 * messages it cannot read meanwhile are rejected as `unknown_alias`, so they are counted and dead-lettered. Its
 * nodes' sessions are kept over a restart (`sessions`, runtime/ops/codec-sessions.ts), so what a persistent session's
 * broker queued meanwhile is read.
 */
import { createRequire } from 'node:module';
import type { RawMessage, Reading } from '../stream/types.ts';
import { reject, type Codec, type CodecContext, type DecodeResult, type TopicInfo } from './codec.ts';
import { checkChannelPaths } from './channel-paths.ts';
import { SparkplugNodes } from './sparkplug-nodes.ts';
import { ChannelCase } from './channel-case.ts';
import { SparkplugNotes } from './sparkplug-notes.ts';
import { sparkplugTopic } from './sparkplug-topics.ts';
import { DATATYPE_NAMES, decodeProto, has, longNumber, metricValue, type ProtoMetric, type ProtoPayload } from './sparkplug-metrics.ts';
import { RowJoiner } from './row-joiner.ts';
import { SplitRows } from './split-rows.ts';
import { channelValue, isFieldError, readingTime } from './values.ts';

type SparkplugPayload = NonNullable<ReturnType<typeof import('sparkplug-payload').get>>;
let spbCache: SparkplugPayload | null | undefined;
/** sparkplug-payload (protobufjs, ~7 MB of RSS) is loaded only to encode a rebirth request (decoding uses its protobuf types: sparkplug-metrics.ts). */
function sparkplugPayload(): SparkplugPayload | null {
  spbCache ??= (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get('spBv1.0');
  return spbCache;
}
/**
 * A birth may be this many times `source.maxPayloadBytes`: it lists every metric of a device (thousands of tags on
 * some), while DATA carry what changed. Refused, its aliases are never learnt and every DATA after it is unreadable.
 */
export const BIRTH_BOUND_FACTOR = 16;
/** The message types of a node's session: what `decode` reads. */
const SESSION_TYPES = new Set(['NBIRTH', 'DBIRTH', 'NDATA', 'DDATA', 'NDEATH', 'DDEATH']);
/** Refused messages up to BIRTH_BOUND_FACTOR x this are read for their `seq` (a larger one counts as a gap). */
const REFUSED_READ_BYTES = 64 * 1024;

/** Options of the Sparkplug codec. */
export interface SparkplugOptions {
  /** At most one rebirth request per edge node per this many ms; null: never ask (a passive listener). */
  rebirthIntervalMs: number | null;
  /** Metrics of one device stamped within this many ms join into one row (row-joiner.ts). */
  joinToleranceMs: number;
}

/**
 * The NCMD a host publishes to ask an edge node to republish its births (Sparkplug B 3.0, "Rebirth Request"), under
 * the bridge prefix its messages came with.
 */
export function rebirthRequest(group: string, node: string, now: number, prefix = ''): { topic: string; payload: Uint8Array } {
  const payload = sparkplugPayload()!.encodePayload({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
  return { topic: `${prefix}spBv1.0/${group}/NCMD/${node}`, payload };
}

/** The latest timestamp of the metrics named as model channels, or undefined when none has one. */
function latestStamp(metrics: ProtoMetric[], known: ReadonlyMap<string, string>): number | undefined {
  let latest: number | undefined;
  for (const m of metrics) {
    if (!has(m, 'timestamp') || !m.name || !known.has(m.name)) continue;
    const t = longNumber(m.timestamp);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

/** bdSeq of a birth or death certificate. */
function bdSeqOf(metrics: ProtoMetric[]): number | undefined {
  const m = metrics.find((x) => x.name === 'bdSeq');
  const v = m && metricValue(m, m.datatype ?? 0);
  return typeof v === 'number' ? v : undefined;
}

/** Codec for Sparkplug B DDATA/NDATA (and births, which also carry values); a host application's node sessions. */
export function sparkplugCodec(ctx: CodecContext, opts: SparkplugOptions): Codec {
  checkChannelPaths(ctx.paths, ctx.channels);
  // Metric name -> channel: the channel's own name unless source.channels names its metric.
  const known = new Map(ctx.channels.map((ch) => [ctx.paths?.[ch] ?? ch, ch]));
  const nodes = new SparkplugNodes(ctx.request ? opts.rebirthIntervalMs : null);
  const rows = new RowJoiner(ctx.channels.length, { toleranceMs: opts.joinToleranceMs, maxPending: 100_000 }, ctx.timestamp);
  const split = new SplitRows(ctx.channels.length, opts.joinToleranceMs);

  /** Ask the node for its births, at most once per interval; says whether it was asked. */
  const askRebirth = (t: { prefix: string; seg: string[] } | undefined, why: string, now: number): boolean => {
    const [, group, , node] = t?.seg ?? [];
    if (!t || !group || !node || !nodes.shouldAsk(`${t.prefix}${group}/${node}`, now)) return false;
    const r = rebirthRequest(group, node, now, t.prefix);
    ctx.request!({ ...r, note: `asked Sparkplug edge node ${t.prefix}${group}/${node} to rebirth: ${why}` });
    return true;
  };

  /**
   * A gap in a node's `seq`: messages lost between it and vigil. Asked to rebirth when vigil asks (the request's log
   * line tells, with the gaps since the last one); otherwise, or within the rebirth interval, told by a note at most
   * once a minute per node with the gaps counted meanwhile, so none passes silently.
   */
  const onGap = (t: { prefix: string; seg: string[] } | undefined, nodeKey: string, why: string, now: number) => {
    const pending = nodes.pendingGaps(nodeKey);
    if (askRebirth(t, pending > 1 ? `${why} (${pending} gaps in seq since the last told)` : why, now)) nodes.gapsToTell(nodeKey, now, true);
    else tellGaps(nodeKey, now);
  };
  /** Gaps not told by a rebirth request: a note at most once a minute per node, at the next message after it. */
  const tellGaps = (nodeKey: string, now: number) => {
    const gaps = nodes.gapsToTell(nodeKey, now);
    if (gaps > 0) ctx.note?.({ node: nodeKey, gaps }, `Sparkplug edge node ${nodeKey}: ${gaps} gap(s) in seq (messages lost before vigil)${nodes.asks ? '; a rebirth was asked recently' : '; vigil is a passive listener (rebirthIntervalMs: null) and asks no rebirth'}`);
  };

  const notes = new SparkplugNotes(ctx.note, [...known.keys()]);
  const spelling = new ChannelCase(ctx.note, [...known.keys()], 'metric', (name) => known.get(name)!);
  /** Each sensor's latest row (data time), to tell historical metrics older than it (bounded memory). */
  const lastRow = new Map<string, number>();
  const remember = (sensor: string, ts: number) => {
    if (lastRow.size >= 100_000 && !lastRow.has(sensor)) lastRow.clear();
    lastRow.set(sensor, ts);
  };

  /**
   * A node-level message's `seq` and births/deaths, read or not; true on a gap. An NDEATH that ends the session is said
   * and tells its sensors offline; a late one of an older session (another bdSeq) changes nothing, and says nothing.
   */
  const session = (type: string, nodeKey: string, payload: ProtoPayload, now: number): boolean => {
    const seq = has(payload, 'seq') ? longNumber(payload.seq) : undefined;
    if (type === 'NBIRTH') nodes.nodeBirth(nodeKey, seq, bdSeqOf(payload.metrics ?? []));
    else if (type === 'NDEATH') {
      const ended = nodes.nodeDeath(nodeKey, bdSeqOf(payload.metrics ?? []));
      if (ended) {
        notes.died('NDEATH', nodeKey, '', now);
        for (const sensor of ended) ctx.offline?.(sensor, 'NDEATH');
      }
    } else if (nodes.sequence(nodeKey, seq)) {
      ctx.count?.('seq_gap');
      return true;
    }
    return false;
  };

  return {
    name: 'sparkplug',
    sessions: { save: () => nodes.save(), restore: (saved) => nodes.restore(saved) },
    payloadLimit: (topic, bound) => (/(^|\/)spBv1\.0\/[^/]+\/[ND]BIRTH\//.test(topic) ? bound * BIRTH_BOUND_FACTOR : bound),
    refused(msg: RawMessage): void {
      // A device vigil cannot name (an id outside its sensor-id rule) or a message over the bound still took a `seq`:
      // noted, so the node's next message is not taken for a gap (and a rebirth asked every interval for ever).
      const t = sparkplugTopic(msg.topic);
      const seg = t?.seg ?? [];
      // Only the messages `decode` reads take part in the sequence (a command, NCMD/DCMD, does not).
      if (!t || !seg[3] || !SESSION_TYPES.has(seg[2] ?? '') || msg.payload.byteLength > BIRTH_BOUND_FACTOR * REFUSED_READ_BYTES) return;
      let payload: ProtoPayload;
      try {
        payload = decodeProto(msg.payload);
      } catch {
        return;
      }
      const nodeKey = `${t.prefix}${seg[1]}/${seg[3]}`;
      if (session(seg[2] ?? '', nodeKey, payload, msg.receivedAt)) onGap(t, nodeKey, `seq does not follow the previous message's`, msg.receivedAt);
    },
    decode(msg: RawMessage, where: TopicInfo): DecodeResult {
      const t = sparkplugTopic(msg.topic);
      // A topic without a spBv1.0 level (a custom layout) reads as DDATA, its node named by its own levels.
      const seg = t?.seg ?? msg.topic.split('/');
      const type = t ? seg[2] ?? '' : 'DDATA';
      if (!SESSION_TYPES.has(type)) return [];
      const isBirth = type === 'NBIRTH' || type === 'DBIRTH';
      const isDeath = type === 'NDEATH' || type === 'DDEATH';
      let payload: ProtoPayload;
      try {
        payload = decodeProto(msg.payload);
      } catch (err) {
        if (isDeath) return []; // nothing to read from a death but its bdSeq
        return reject(msg, 'bad_protobuf', `payload is not a Sparkplug B protobuf (${(err as Error).message}); expected a ${type} Payload message`);
      }
      const nodeKey = `${t?.prefix ?? ''}${seg[1]}/${seg[3]}`;
      const device = seg[4] ?? '';
      const metrics = payload.metrics ?? [];
      if (session(type, nodeKey, payload, msg.receivedAt)) onGap(t, nodeKey, `seq ${longNumber(payload.seq)} does not follow the previous message's`, msg.receivedAt);
      else tellGaps(nodeKey, msg.receivedAt);
      if (type === 'DBIRTH') nodes.deviceBirth(nodeKey, device);
      if (isDeath) {
        if (type === 'DDEATH') {
          nodes.deviceDeath(nodeKey, device);
          notes.died(type, nodeKey, device, msg.receivedAt);
          ctx.offline?.(where.sensor, 'DDEATH');
        }
        return [];
      }

      const groups = new Map<number, Record<string, number>>();
      const arrival = new Set<number>();
      let historical = 0;
      const payloadTs = has(payload, 'timestamp') ? longNumber(payload.timestamp) : undefined;
      // A birth is a snapshot of current values: one row, at the latest time its model metrics say they last changed
      // (report-by-exception software stamps each tag so; read per metric, one birth became a row per metric and raised
      // missing-channel signals: a probe), on the same clock as the DATA that follow (the payload's may be another
      // device's: a review); the payload's time where no metric has one.
      const birthTs = isBirth ? latestStamp(metrics, known) ?? payloadTs : undefined;
      for (const m of metrics) {
        const alias = has(m, 'alias') ? longNumber(m.alias) : undefined;
        let name = has(m, 'name') ? m.name : undefined;
        let datatype = m.datatype ?? 0;
        if (isBirth && name) {
          const other = nodes.learn(nodeKey, device, name, alias, datatype);
          if (other !== undefined) {
            ctx.note?.({ node: nodeKey, device, alias, other: other || '(the node itself)' }, `Sparkplug edge node ${nodeKey}: the ${type} of ${device || 'the node'} gives alias ${alias} to ${name}, which the birth of ${other || 'the node itself'} gave to another metric; Sparkplug makes aliases unique per node, so each device's DATA are read with its own birth's aliases (said once per session)`);
          }
        }
        if (!name && alias !== undefined) {
          const def = nodes.alias(nodeKey, device, alias);
          if (!def) {
            // After a restart vigil knows no aliases: ask for the births, and count what cannot be read meanwhile.
            const asked = askRebirth(t, `${type} uses alias ${alias}, which no birth seen here defined`, msg.receivedAt);
            const note = nodes.asks ? (asked ? '; asked the node to rebirth (NCMD Node Control/Rebirth)' : '; a rebirth was asked of the node recently') : '';
            return reject(msg, 'unknown_alias', `metric alias ${alias} has no name; expected a ${type === 'NDATA' ? 'NBIRTH' : 'DBIRTH'} naming it first, or metrics with names${note}`);
          }
          name = def.name;
          datatype ||= def.datatype;
        }
        const channel = name === undefined ? undefined : known.get(name);
        if (channel === undefined) continue;
        // Store-and-forward data (Sparkplug 3.0 `is_historical`) come after the node's birth: those older than the
        // sensor's last reading were refused by the window stage as out of order, taken for a clock set back and
        // dead-lettered nothing (a probe). They are set aside here under their own reason instead; those newer than
        // it (a node flushing its history before live data resume) are read like any other (a review).
        if (m.isHistorical === true) {
          const at = has(m, 'timestamp') ? longNumber(m.timestamp) : payloadTs;
          const last = lastRow.get(where.sensor);
          if (at === undefined || (last !== undefined && at <= last)) {
            historical++;
            continue;
          }
        }
        datatype ||= nodes.datatype(nodeKey, device, name!);
        const value = metricValue(m, datatype);
        // An is_null metric is a sample with no value: the window stage holds the channel as for a JSON null.
        if (value === null) continue;
        const v = channelValue(value, channel);
        if (isFieldError(v)) return reject(msg, v.error, `${v.detail} (Sparkplug type ${DATATYPE_NAMES[datatype] ?? datatype})`);
        const rawTs = isBirth ? birthTs : has(m, 'timestamp') ? longNumber(m.timestamp) : payloadTs;
        const ts = readingTime(rawTs, msg.receivedAt, { ...ctx.timestamp, unit: 'ms' });
        if (typeof ts !== 'number') return reject(msg, ts.error, ts.detail);
        let g = groups.get(ts);
        if (!g) groups.set(ts, (g = {}));
        if (rawTs === undefined) arrival.add(ts);
        g[channel] = v;
      }
      if (type === 'DBIRTH') {
        const names = metrics.flatMap((m) => (has(m, 'name') && m.name !== undefined ? [m.name] : []));
        notes.birth(nodeKey, device, metrics, names.some((n) => known.has(n)));
        spelling.check(where.sensor, names, (n) => names.includes(n));
      }
      if (groups.size === 0 && historical > 0) {
        return reject(msg, 'historical', `${historical} metric(s) of the model's channels marked is_historical (store-and-forward data a node sends after its birth, older than the live values the birth carried); a sensor is judged in time order, so they are set aside (dead-lettered), not scored`);
      }
      if (historical > 0) {
        ctx.count?.('historical_set_aside', historical);
        notes.historicalBeside(nodeKey, device, historical);
      }
      if (groups.size === 0) {
        // A device (or node) whose birth was seen says what it carries: DATA with none of the model's metrics (other
        // tags on the same node, a report by exception of what else changed) are nothing to score, not a fault.
        if (isBirth || nodes.born(nodeKey, device)) return [];
        // Without its birth there is no telling: ask for it (a host should), and count this one.
        const asked = askRebirth(t, `${type} of a ${device ? 'device' : 'node'} whose birth was not seen here`, msg.receivedAt);
        return reject(msg, 'no_known_channels', `${type} has no numeric metric named as a model channel; expected some of ${[...known.keys()].join(', ')}${asked ? '; asked the node to rebirth, after which such messages of a device without model metrics are ignored' : ''}`);
      }
      const sensor = where.sensor;
      nodes.fed(nodeKey, sensor);
      const order = [...groups.keys()].sort((a, b) => a - b);
      split.notice(sensor, order[0], groups.get(order[0])!);
      const out: Reading[] = [];
      // Metrics stamped a few ms apart (a driver reading them one by one) join into one row; a device that splits its
      // rows over several messages has its partial rows wait for the rest (split-rows.ts); any other row is complete
      // with its message.
      for (const ts of order) rows.add(sensor, ts, arrival.has(ts) ? undefined : ts, groups.get(ts)!, msg.receivedAt, out, msg.topic);
      if (!split.has(sensor)) rows.flush(sensor, out);
      for (const r of out) {
        if (r.sensor !== sensor) continue;
        split.emitted(sensor, r);
        if (!(r.ts <= (lastRow.get(sensor) ?? Number.NEGATIVE_INFINITY))) remember(sensor, r.ts);
      }
      return out;
    },
    // A splitting device's partial row waits for the rest, or its next row; at a stop neither comes, and its accepted
    // metrics would be lost unscored (row-joiner.ts flushAll, as the number codec's).
    flush: () => rows.flushAll(),
  };
}
