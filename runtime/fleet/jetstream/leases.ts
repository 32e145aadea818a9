/**
 * Partition ownership through a JetStream KV bucket whose TTL is the lease: `p.{k}` holds the owner of partition
 * k, `m.{worker}` says a worker is alive. A lease is taken with `create` (succeeds only when the key is absent,
 * i.e. free or expired), renewed with `update` at the revision we hold (compare-and-set: fails once anyone else
 * wrote it), and released with a revision-checked delete. A worker that stops renewing (killed, partitioned)
 * loses its leases when the bucket's TTL drops the keys; nobody interprets messages to decide it.
 * Fair share: a worker holds at most ceil(P / live members) partitions; above it, it releases the surplus.
 */
import type { KV } from 'nats';

/** What a lease key holds. */
export interface LeaseValue {
  worker: string;
  since: number;
}

/** One lease we hold. */
export interface HeldLease {
  partition: number;
  revision: number;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** Parse a lease or member value; undefined when it is not one. */
export function parseLease(value: Uint8Array): LeaseValue | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(value)) as LeaseValue;
    return typeof v?.worker === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Partitions a worker may hold when `members` are alive. */
export function fairShare(partitions: number, members: number): number {
  return Math.ceil(partitions / Math.max(1, members));
}

/** Lease and membership operations of one worker on the lease bucket. */
export class Leases {
  readonly held = new Map<number, HeldLease>();

  constructor(
    private readonly kv: KV,
    readonly worker: string,
  ) {}

  /** Say we are alive (a member entry that expires with the bucket TTL). */
  async heartbeat(): Promise<void> {
    await this.kv.put(`m.${this.worker}`, enc({ worker: this.worker, since: Date.now() } satisfies LeaseValue));
  }

  /** Live members (ours included once `heartbeat` ran). */
  async members(): Promise<string[]> {
    // Once each: a listing can give a key twice when it is written meanwhile (a member's heartbeat; nats.go's Keys
    // dedupes for the same reason), and a member counted twice would shrink everyone's fair share for a beat.
    const out = new Set<string>();
    for await (const k of await this.kv.keys('m.*')) out.add(k.slice(2));
    return [...out].sort();
  }

  /** Owners of the partitions that have a lease now. */
  async owners(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    // Keys first, values after: awaiting inside the keys iteration ends it early (nats.js 2.29).
    const keys = new Set<string>();
    for await (const k of await this.kv.keys('p.*')) keys.add(k);
    for (const k of keys) {
      const e = await this.kv.get(k);
      const v = e && e.operation === 'PUT' ? parseLease(e.value) : undefined;
      if (v) out.set(Number(k.slice(2)), v.worker);
    }
    return out;
  }

  /** Take partition k if its lease is free or expired; false when someone holds it. */
  async take(k: number): Promise<boolean> {
    try {
      const revision = await this.kv.create(`p.${k}`, enc({ worker: this.worker, since: Date.now() } satisfies LeaseValue));
      this.held.set(k, { partition: k, revision });
      return true;
    } catch {
      return false;
    }
  }

  /** Renew every held lease; returns the partitions whose lease was lost (expired and taken, or deleted). */
  async renew(): Promise<number[]> {
    const lost: number[] = [];
    for (const l of [...this.held.values()]) {
      try {
        l.revision = await this.kv.update(`p.${l.partition}`, enc({ worker: this.worker, since: Date.now() } satisfies LeaseValue), l.revision);
      } catch {
        this.held.delete(l.partition);
        lost.push(l.partition);
      }
    }
    return lost;
  }

  /** Give partition k back (only if we still hold it at our revision). */
  async release(k: number): Promise<void> {
    const l = this.held.get(k);
    if (!l) return;
    this.held.delete(k);
    await this.kv.delete(`p.${k}`, { previousSeq: l.revision }).catch(() => undefined);
  }

  /** Leave: release every lease and the member entry. */
  async leave(): Promise<void> {
    for (const k of [...this.held.keys()]) await this.release(k);
    await this.kv.delete(`m.${this.worker}`).catch(() => undefined);
  }
}
