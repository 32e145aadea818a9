/**
 * Sticky partitioning of a sensor fleet: a sensor always hashes to the same partition, and each partition is
 * owned by exactly one worker, chosen by rendezvous (highest random weight) hashing over the live members. When
 * a member leaves, only its partitions move; when one joins, it takes roughly 1/N of the partitions and
 * nothing else moves. Every worker computes the same owner from the same member set, so no coordinator is needed.
 */
import { sensorIdProblem } from '../mqtt/topic-template.ts';
// FNV-1a + fmix32 over the key: near-identical sensor names spread evenly.
import { hash32 } from '../util/prng.ts';


/** The partition of a sensor, 0..partitions-1; stable across processes, machines and versions. */
export function partitionOf(sensor: string, partitions: number): number {
  return hash32(sensor) % partitions;
}

/** The topic level that names partition `k` (`p7`). */
export function partitionLevel(k: number): string {
  return `p${k}`;
}

/** Parse a partition level (`p7` -> 7), or undefined when it is not one below `partitions`. */
export function parsePartitionLevel(level: string, partitions: number): number | undefined {
  const m = /^p(\d{1,5})$/.exec(level);
  if (!m) return undefined;
  const k = Number(m[1]);
  return k < partitions ? k : undefined;
}

/**
 * The topic a publisher (or bridge) sends a sensor's readings to: `{sensor}` and `{partition}` filled in, e.g.
 * `sensors/{partition}/{sensor}/data` -> `sensors/p7/pump-001/data`. Refuses sensor ids that could inject
 * wildcards or levels.
 */
export function partitionTopic(template: string, sensor: string, partitions: number): string {
  const problem = sensorIdProblem(sensor);
  if (problem) throw new Error(problem);
  if (!template.includes('{partition}')) throw new Error(`topic template '${template}' has no {partition} level; expected e.g. sensors/{partition}/{sensor}/data`);
  return template.replaceAll('{partition}', partitionLevel(partitionOf(sensor, partitions))).replaceAll('{sensor}', sensor);
}

/** The member that owns partition `k` among `members` (rendezvous hashing), or undefined when there are none. */
export function ownerOf(k: number, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const s = hash32(`${m}#${k}`);
    // Ties (astronomically rare) go to the smaller id so every worker agrees.
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** Partitions each member owns, for `partitions` partitions. */
export function assignPartitions(members: Iterable<string>, partitions: number): Map<string, number[]> {
  const list = [...members];
  const out = new Map<string, number[]>(list.map((m) => [m, []]));
  for (let k = 0; k < partitions; k++) {
    const o = ownerOf(k, list);
    if (o !== undefined) out.get(o)!.push(k);
  }
  return out;
}
