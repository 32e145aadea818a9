/**
 * What a Sparkplug B host application remembers of each edge node: the alias table its births defined, the
 * sequence number of its last message, and when a rebirth was last asked of it. On an alias it does not know
 * (after a restart vigil has no table) or a gap in `seq`, the spec asks the host to publish a Node Control/Rebirth
 * NCMD; the node then republishes NBIRTH and its DBIRTHs, and the tables are whole again. Requests are limited
 * to one per node per interval, timed by message arrival (no timers). A stop keeps the sessions whose `seq` it
 * followed (`save`) for the next start (`restore`): a persistent session's broker redelivers what it queued meanwhile,
 * DATA by alias that vigil could read again only after a rebirth (an HVAC probe: 2,580 messages, 14 h of each unit,
 * rejected as unknown_alias). A restored session is taken up only by a first message whose `seq` follows the saved
 * one (nothing lost, the same session) or repeats it (the last message read, redelivered: the intake held it
 * unacknowledged at the stop); any other drops it, as unknown as before.
 */
import { z } from 'zod';
import { issueSummary } from '../util/describe-issues.ts';

/** What a birth said of a metric: its name and its datatype (Sparkplug code; 0 when the birth gave none). */
export interface MetricDefinition {
  name: string;
  datatype: number;
}

/** One edge node's session as seen from here. */
interface NodeSession {
  /**
   * Aliases by device ('' for the node's own metrics), each read with the births of its own device: the spec makes
   * aliases unique per node, but a hand-built node that reuses one for another device's metric had DATA of the first
   * read as the second's (a probe: a pump's flow scored as its temperature, without a word).
   */
  aliases: Map<string, Map<number, MetricDefinition>>;
  /** Which device's birth last defined each alias, to tell a reuse across devices (once per session). */
  owners: Map<number, string>;
  reuseTold: boolean;
  /** Datatypes by device and metric name (`device/name`, the node's own metrics under ''), for DATA that names metrics without a type. */
  types: Map<string, number>;
  /** Devices ('' for the node itself) whose birth this session has seen. */
  born: Set<string>;
  /** The sensors its messages fed (its devices', and its own for NDATA): told offline when the node dies. */
  sensors: Set<string>;
  /** `seq` of the node's last message; tracked only once its NBIRTH was seen (node-level topics subscribed). */
  seq?: number;
  /** bdSeq of the NBIRTH, to tell this session's NDEATH from a late one of the previous session. */
  bdSeq?: number;
  lastRebirthAt?: number;
  /** Restored from the last stop, its tables not yet taken up: read only once a message's `seq` follows the saved one. */
  restored?: boolean;
  /** Seq gaps since the last one was told (by a rebirth request or a note), and when a note was last made. */
  gaps: number;
  lastNoteAt?: number;
}

/** At most one note of a node's seq gaps per this many ms (when no rebirth request tells of them). */
export const GAP_NOTE_INTERVAL_MS = 60_000;

/** Why a rebirth is asked for. */
export type RebirthReason = 'unknown_alias' | 'seq_gap';

/** Sensors remembered per node for its death (a node with more devices than this has the rest judged by their silence). */
const MAX_SENSORS_PER_NODE = 10_000;
/** Edge nodes whose sessions are kept at most (the least recently heard is forgotten first). */
const MAX_NODES = 10_000;

/** What a stop keeps of each node's session (JSON), validated at the next start. */
const SavedSessionsSchema = z.object({
  format: z.literal('vigil-sparkplug-sessions/1'),
  nodes: z.array(
    z.object({
      node: z.string(),
      seq: z.number().int().min(0).max(255),
      bdSeq: z.number().optional(),
      born: z.array(z.string()),
      aliases: z.array(z.object({ device: z.string(), alias: z.number(), name: z.string(), datatype: z.number().int() })),
      types: z.array(z.tuple([z.string(), z.number().int()])),
      sensors: z.array(z.string()),
    }),
  ),
});

/** Forget what a node's births said (a new session, or kept tables a restart cannot trust). */
function forgetTables(s: NodeSession): void {
  s.aliases.clear();
  s.owners.clear();
  s.reuseTold = false;
  s.types.clear();
  s.born.clear();
}

/** Per-node session state of one codec instance. */
export class SparkplugNodes {
  private readonly nodes = new Map<string, NodeSession>();

  /** @param rebirthIntervalMs at most one rebirth request per node per this many ms; null: never ask. */
  constructor(private readonly rebirthIntervalMs: number | null) {}

  /** Whether rebirths are asked at all. */
  get asks(): boolean {
    return this.rebirthIntervalMs !== null;
  }

  /** The node's session, created (and marked most recently heard) as needed. */
  private session(node: string): NodeSession {
    let s = this.nodes.get(node);
    if (s) this.nodes.delete(node);
    else {
      if (this.nodes.size >= MAX_NODES) this.nodes.delete(this.nodes.keys().next().value as string);
      s = { aliases: new Map(), owners: new Map(), reuseTold: false, types: new Map(), born: new Set(), sensors: new Set(), gaps: 0 };
    }
    this.nodes.set(node, s);
    return s;
  }

  /** NBIRTH: a new session; earlier aliases (of the node and its devices) no longer hold. */
  nodeBirth(node: string, seq: number | undefined, bdSeq: number | undefined): void {
    const s = this.session(node);
    forgetTables(s);
    s.born.add('');
    s.seq = seq;
    s.bdSeq = bdSeq;
    s.restored = false;
  }

  /**
   * NDEATH: forget the session, unless it is a late death of an older one (another bdSeq); returns the sensors the
   * ended session fed, or undefined when no session ended (a late death, or a node not known here).
   */
  nodeDeath(node: string, bdSeq: number | undefined): string[] | undefined {
    const s = this.nodes.get(node);
    if (!s || !(s.bdSeq === undefined || bdSeq === undefined || s.bdSeq === bdSeq)) return undefined;
    this.nodes.delete(node);
    return [...s.sensors];
  }

  /** A message of `node` fed `sensor` (kept for the node's death; at most MAX_SENSORS_PER_NODE). */
  fed(node: string, sensor: string): void {
    const s = this.nodes.get(node);
    if (s && s.sensors.size < MAX_SENSORS_PER_NODE) s.sensors.add(sensor);
  }

  /**
   * Record what a birth (of `device`, '' for the node's own) said of a metric: its alias, if any, and its datatype.
   * Returns the other device whose birth defined the same alias, the first time this session reuses one.
   */
  learn(node: string, device: string, name: string, alias: number | undefined, datatype: number): string | undefined {
    const s = this.session(node);
    if (datatype) s.types.set(`${device}/${name}`, datatype);
    if (alias === undefined) return undefined;
    let own = s.aliases.get(device);
    if (!own) s.aliases.set(device, (own = new Map()));
    own.set(alias, { name, datatype });
    const owner = s.owners.get(alias);
    s.owners.set(alias, device);
    if (owner === undefined || owner === device || s.reuseTold) return undefined;
    s.reuseTold = true;
    return owner;
  }

  /** A device's birth (DBIRTH) was seen in this session: the aliases of its earlier birth no longer hold. */
  deviceBirth(node: string, device: string): void {
    const s = this.session(node);
    s.born.add(device);
    s.aliases.delete(device);
  }

  /**
   * DDEATH: the device is offline; its data are not to be read again before its next DBIRTH (a DDATA by alias after
   * it is unknown, and asks for the births, as the spec has a host do).
   */
  deviceDeath(node: string, device: string): void {
    const s = this.nodes.get(node);
    if (!s) return;
    s.born.delete(device);
    s.aliases.delete(device);
  }

  /** Whether this session has seen the birth of `device` ('' for the node's NBIRTH). */
  born(node: string, device: string): boolean {
    return this.taken(node)?.born.has(device) ?? false;
  }

  /** The node's session, unless it is restored and not taken up yet. */
  private taken(node: string): NodeSession | undefined {
    const s = this.nodes.get(node);
    return s?.restored ? undefined : s;
  }

  /**
   * The metric an alias of `device` ('' for the node's own) stands for: as its own birth said, else, for a device born
   * in this session, as the node's NBIRTH said. Never as another device's birth said: a review read a dead pump's
   * flow as its neighbour's temperature, and an unborn device's data must ask for the births instead.
   */
  alias(node: string, device: string, alias: number): MetricDefinition | undefined {
    const s = this.taken(node);
    if (!s) return undefined;
    const own = s.aliases.get(device)?.get(alias);
    if (own || device === '' || !s.born.has(device)) return own;
    return s.aliases.get('')?.get(alias);
  }

  /** The datatype a birth gave the metric `name` of `device` ('' for the node's own), or 0. */
  datatype(node: string, device: string, name: string): number {
    return this.taken(node)?.types.get(`${device}/${name}`) ?? 0;
  }

  /** Note a message's `seq` (any type but NBIRTH); true when it does not follow the previous one (a gap). */
  sequence(node: string, seq: number | undefined): boolean {
    const s = this.nodes.get(node);
    if (!s || s.seq === undefined || seq === undefined) return false;
    // After a restart, the last message read before the stop may come again first: the one the intake held unacknowledged.
    const gap = seq !== (s.seq + 1) % 256 && !(s.restored && seq === s.seq);
    s.seq = seq;
    if (gap) s.gaps++;
    if (s.restored) {
      // The first message since the restart: the same session, nothing lost, or the saved tables no longer hold.
      s.restored = false;
      if (gap) forgetTables(s);
    }
    return gap;
  }

  /** The sessions whose `seq` is followed (JSON-safe), for the next start; undefined with none. */
  save(): z.infer<typeof SavedSessionsSchema> | undefined {
    const nodes = [...this.nodes]
      .filter(([, s]) => s.seq !== undefined)
      .map(([node, s]) => ({
        node,
        seq: s.seq!,
        ...(s.bdSeq !== undefined && { bdSeq: s.bdSeq }),
        born: [...s.born],
        aliases: [...s.aliases].flatMap(([device, own]) => [...own].map(([alias, d]) => ({ device, alias, name: d.name, datatype: d.datatype }))),
        types: [...s.types],
        sensors: [...s.sensors],
      }));
    return nodes.length ? { format: 'vigil-sparkplug-sessions/1', nodes } : undefined;
  }

  /** Take up what a stop saved (`save`), each session restored until its next message; throws, naming the field, on anything else. Returns the nodes. */
  restore(saved: unknown): number {
    const r = SavedSessionsSchema.safeParse(saved);
    if (!r.success) throw new Error(issueSummary(r.error));
    for (const n of r.data.nodes) {
      const s = this.session(n.node);
      s.seq = n.seq;
      s.bdSeq = n.bdSeq;
      s.born = new Set(n.born);
      s.types = new Map(n.types);
      s.sensors = new Set(n.sensors.slice(0, MAX_SENSORS_PER_NODE));
      s.aliases.clear();
      for (const a of n.aliases) {
        let own = s.aliases.get(a.device);
        if (!own) s.aliases.set(a.device, (own = new Map()));
        own.set(a.alias, { name: a.name, datatype: a.datatype });
        s.owners.set(a.alias, a.device);
      }
      s.restored = true;
    }
    return r.data.nodes.length;
  }

  /** The gaps of `node` not told yet. */
  pendingGaps(node: string): number {
    return this.nodes.get(node)?.gaps ?? 0;
  }

  /** The gaps of `node` not told yet, when they are to be told now (at most once per GAP_NOTE_INTERVAL_MS); then reset. */
  gapsToTell(node: string, now: number, force = false): number {
    const s = this.nodes.get(node);
    if (!s || s.gaps === 0) return 0;
    if (!force && s.lastNoteAt !== undefined && now - s.lastNoteAt < GAP_NOTE_INTERVAL_MS) return 0;
    const n = s.gaps;
    s.gaps = 0;
    s.lastNoteAt = now;
    return n;
  }

  /** Whether to ask `node` for a rebirth now (and note that it was asked). */
  shouldAsk(node: string, now: number): boolean {
    if (this.rebirthIntervalMs === null) return false;
    const s = this.session(node);
    if (s.lastRebirthAt !== undefined && now - s.lastRebirthAt < this.rebirthIntervalMs) return false;
    s.lastRebirthAt = now;
    return true;
  }
}
