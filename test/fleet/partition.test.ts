/** Partitioning and rendezvous assignment: stable, balanced, and sticky when members come and go. */
import { describe, expect, it } from 'vitest';
import { assignPartitions, ownerOf, parsePartitionLevel, partitionOf, partitionTopic } from '../../runtime/fleet/partition.ts';
import { FleetSchema } from '../../runtime/fleet/config.ts';

const sensors = Array.from({ length: 5000 }, (_, i) => `pump-${i}`);

describe('partitions', () => {
  it('a sensor always maps to the same partition, and sensors spread evenly', () => {
    expect(partitionOf('pump-1', 64)).toBe(partitionOf('pump-1', 64));
    const counts = new Array(16).fill(0);
    for (const s of sensors) counts[partitionOf(s, 16)]++;
    for (const c of counts) expect(Math.abs(c - 5000 / 16)).toBeLessThan(5000 / 16 * 0.25);
  });

  it('builds partitioned topics and refuses ids that inject levels or wildcards', () => {
    expect(partitionTopic('sensors/{partition}/{sensor}/data', 'pump-1', 64)).toBe(`sensors/p${partitionOf('pump-1', 64)}/pump-1/data`);
    for (const bad of ['a/b', '+', '#', '..', 'a+b', '', ' x']) expect(() => partitionTopic('sensors/{partition}/{sensor}/data', bad, 8)).toThrow(/not allowed|path tricks/);
    expect(() => partitionTopic('sensors/{sensor}/data', 'pump-1', 8)).toThrow(/no \{partition\}/);
    expect(parsePartitionLevel('p7', 8)).toBe(7);
    for (const bad of ['p8', 'x7', 'p', 'p-1', 'p007x']) expect(parsePartitionLevel(bad, 8)).toBeUndefined();
  });

  it('every partition has exactly one owner, and owners are balanced', () => {
    const members = ['w-a', 'w-b', 'w-c'];
    const a = assignPartitions(members, 64);
    const all = [...a.values()].flat().sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 64 }, (_, i) => i));
    for (const ps of a.values()) expect(ps.length).toBeGreaterThan(10);
  });

  it('is sticky: removing a member moves only its partitions; adding one moves partitions only to it', () => {
    const before = ['w-a', 'w-b', 'w-c', 'w-d'];
    const after = ['w-a', 'w-c', 'w-d'];
    for (let k = 0; k < 256; k++) {
      const o = ownerOf(k, before)!;
      if (o !== 'w-b') expect(ownerOf(k, after)).toBe(o);
      else expect(after).toContain(ownerOf(k, after));
      const grown = ownerOf(k, [...before, 'w-e'])!;
      expect(grown === o || grown === 'w-e').toBe(true);
    }
    // Member order does not matter.
    for (let k = 0; k < 64; k++) expect(ownerOf(k, [...before].reverse())).toBe(ownerOf(k, before));
  });

  it('config rejects ids that would inject topic levels, and leases shorter than heartbeats', () => {
    expect(FleetSchema.safeParse({ group: 'a/b' }).success).toBe(false);
    expect(FleetSchema.safeParse({ group: '+' }).success).toBe(false);
    expect(FleetSchema.safeParse({ group: 'g', workerId: '#' }).success).toBe(false);
    expect(FleetSchema.safeParse({ group: 'g', prefix: 'vigil/+/x' }).success).toBe(false);
    expect(FleetSchema.safeParse({ group: 'g', heartbeatMs: 5000, leaseMs: 1000 }).success).toBe(false);
    expect(FleetSchema.parse({ group: 'g' })).toMatchObject({ partitions: 64, heartbeatMs: 2000, leaseMs: 6000 });
  });
});
