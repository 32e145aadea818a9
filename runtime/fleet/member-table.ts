/**
 * The fleet members one worker has heard from, by their retained heartbeats on `{prefix}/{group}/members/+`: a
 * heartbeat adds or renews a member, an empty one (a goodbye or a last will) removes it, and a member whose
 * heartbeat was not renewed within the lease expires. A member that counts partitions differently is ignored
 * (named once), since every worker must compute the same owners.
 */
import type { MiniLogger } from '../mqtt/connect.ts';
import type { FleetConfig } from './config.ts';

/** The retained payload a member publishes on its own member topic. */
export interface Heartbeat {
  worker: string;
  group: string;
  partitions: number;
  at: number;
  host: string;
  pid: number;
}

/** The members heard from and when each was last heard. */
export class MemberTable {
  /** Member id -> time its latest heartbeat arrived. */
  private readonly seen = new Map<string, number>();
  /** Members already reported for a different partition count. */
  private readonly mismatched = new Set<string>();

  constructor(
    private readonly fleet: FleetConfig,
    private readonly now: () => number,
    private readonly log?: MiniLogger,
  ) {}

  /** Take in one message from member `id`; true when the members may have changed (one left or a new one came). */
  hear(id: string, payload: Buffer): boolean {
    const { fleet, log } = this;
    if (payload.length === 0) {
      if (this.seen.delete(id)) log?.info({ group: fleet.group, worker: id }, 'fleet member left');
      return true;
    }
    let hb: Partial<Heartbeat>;
    try {
      hb = JSON.parse(payload.toString('utf8')) as Partial<Heartbeat>;
    } catch {
      return false;
    }
    // Anyone may publish on the members topic: `null`, a number or an array is not a heartbeat (and must not throw).
    if (hb === null || typeof hb !== 'object' || Array.isArray(hb)) return false;
    if (hb.partitions !== fleet.partitions) {
      if (!this.mismatched.has(id)) {
        this.mismatched.add(id);
        log?.error({ group: fleet.group, worker: id, theirs: hb.partitions, ours: fleet.partitions }, 'fleet member uses a different partition count; ignoring it (every worker must agree)');
      }
      return false;
    }
    const isNew = !this.seen.has(id);
    this.seen.set(id, this.now());
    return isNew;
  }

  /** Drop the members not heard from within the lease, calling `onExpired` for each as it goes. */
  expire(onExpired: (id: string) => void): void {
    const { fleet, log } = this;
    const t = this.now();
    for (const [m, at] of this.seen) {
      if (t - at > fleet.leaseMs) {
        this.seen.delete(m);
        log?.warn({ group: fleet.group, worker: m, leaseMs: fleet.leaseMs }, 'fleet member lease expired; taking over its partitions');
        onExpired(m);
      }
    }
  }

  /** The live members, sorted, with `self` among them when `withSelf`. */
  members(self: string, withSelf: boolean): string[] {
    const members = [...this.seen.keys()].filter((m) => m !== self);
    if (withSelf) members.push(self);
    return members.sort();
  }
}
