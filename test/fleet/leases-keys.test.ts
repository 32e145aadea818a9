/**
 * A JetStream KV key listing can give a key twice when the key is written while it lists (a member's heartbeat): the
 * jetstream fleet test once read members ['w-c', 'w-d', 'w-d'] from `vigil fleet status`. Members and owners are
 * counted once each, or a member counted twice shrinks every worker's fair share.
 */
import { describe, expect, it } from 'vitest';
import type { KV } from 'nats';
import { Leases } from '../../runtime/fleet/jetstream/leases.ts';

/** A bucket whose listings give every key twice, as a listing raced by writes can. */
function racedBucket(entries: Record<string, { worker: string; since: number }>, gets: string[] = []): KV {
  const keys = Object.keys(entries);
  return {
    keys: async (filter: string) => (async function* () {
      const prefix = filter.replace('*', '');
      for (const k of [...keys, ...keys]) if (k.startsWith(prefix)) yield k;
    })(),
    get: async (k: string) => (gets.push(k), { operation: 'PUT', value: new TextEncoder().encode(JSON.stringify(entries[k])) }),
  } as unknown as KV;
}

describe('Leases over a listing that repeats keys', () => {
  const kv = racedBucket({ 'm.w-d': { worker: 'w-d', since: 1 }, 'm.w-c': { worker: 'w-c', since: 1 }, 'p.0': { worker: 'w-c', since: 1 }, 'p.1': { worker: 'w-d', since: 1 } });

  it('names each member once', async () => {
    expect(await new Leases(kv, 'w-c').members()).toEqual(['w-c', 'w-d']);
  });

  it('reads each lease once', async () => {
    const gets: string[] = [];
    const raced = racedBucket({ 'p.0': { worker: 'w-c', since: 1 }, 'p.1': { worker: 'w-d', since: 1 } }, gets);
    expect([...(await new Leases(raced, 'w-c').owners())]).toEqual([[0, 'w-c'], [1, 'w-d']]);
    expect(gets).toEqual(['p.0', 'p.1']);
  });
});
