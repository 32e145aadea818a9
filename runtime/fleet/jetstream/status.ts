/**
 * What `vigil fleet status --jetstream` shows: live members, the owner of each partition, its backlog (readings
 * in the stream after its resume point: not yet delivered plus delivered and not yet acknowledged) and how many
 * hand-overs it has seen, all read from JetStream (lease bucket, state bucket, consumer info).
 */
import type { JetStreamManager } from 'nats';
import type { FleetNats } from './streams.ts';
import { Leases } from './leases.ts';
import { loadPartitionState } from './partition-state.ts';

/** One partition's row. */
export interface PartitionStatus {
  partition: number;
  owner?: string;
  /** Readings waiting (undefined: no consumer yet). */
  pending?: number;
  /** Stream sequence judged up to. */
  seq: number;
  handovers: number;
}

/** The group at one moment. */
export interface FleetStatus {
  members: string[];
  partitions: PartitionStatus[];
}

/** Read the status of a group with `partitions` partitions from `stream`. */
export async function fleetStatus(nats: FleetNats, stream: string, partitions: number): Promise<FleetStatus> {
  const leases = new Leases(nats.leases, '-');
  const [members, owners] = [await leases.members(), await leases.owners()];
  // Each take-over makes its own consumer and deletes the earlier ones; the newest of a partition is the live one.
  const consumers = new Map<number, { created: number; pending: number }>();
  for await (const c of nats.jsm.consumers.list(stream)) {
    const k = nats.names.consumerPartition(c.name);
    const created = Date.parse(c.created);
    if (k === undefined || (consumers.get(k)?.created ?? -Infinity) > created) continue;
    consumers.set(k, { created, pending: c.num_pending + c.num_ack_pending });
  }
  const rows: PartitionStatus[] = [];
  for (let k = 0; k < partitions; k++) {
    const { state } = await loadPartitionState(nats.states, k, partitions);
    const pending = consumers.get(k)?.pending;
    rows.push({ partition: k, owner: owners.get(k), pending, seq: state?.seq ?? 0, handovers: state?.handovers ?? 0 });
  }
  return { members, partitions: rows };
}

/** The status as text for a terminal. */
export function formatStatus(group: string, s: FleetStatus): string {
  const lines = [`group ${group}: ${s.members.length} member(s): ${s.members.join(' ') || '-'}`];
  lines.push('partition  owner                     pending  judged-to  hand-overs');
  for (const p of s.partitions) {
    lines.push(`p${String(p.partition).padEnd(9)} ${(p.owner ?? '(free)').padEnd(25)} ${String(p.pending ?? '-').padStart(7)}  ${String(p.seq).padStart(9)}  ${String(p.handovers).padStart(10)}`);
  }
  const total = s.partitions.reduce((a, p) => a + (p.pending ?? 0), 0);
  lines.push(`pending in all: ${total}; hand-overs in all: ${s.partitions.reduce((a, p) => a + p.handovers, 0)}`);
  return `${lines.join('\n')}\n`;
}

/** Messages stored in `stream` on subjects matching `filter` (e.g. the verdicts of a group: `vigil.verdicts.>`). */
export async function storedCount(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0);
}
