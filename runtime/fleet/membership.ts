/**
 * Fleet membership over MQTT, with no coordinator: each worker keeps a retained heartbeat on
 * `{prefix}/{group}/members/{workerId}` and a last will that clears it, so a crashed worker disappears as soon
 * as the broker notices its connection is gone (at once for a killed process, 1.5 x keepalive for a dead
 * network). A heartbeat not renewed within the lease also expires the member, which covers a broker that
 * lost the will. Every worker watches the same topic, sees the same members, and computes the same owner of
 * each partition (rendezvous hashing), so ownership changes only when membership does.
 */
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { clientOptions, type BrokerConfig, type MiniLogger } from '../mqtt/connect.ts';
import type { FleetConfig } from './config.ts';
import { MemberTable, type Heartbeat } from './member-table.ts';
import { ownerOf } from './partition.ts';

/** What a worker knows about the fleet at one moment. */
export interface FleetView {
  /** Live members, sorted, this worker included while it is healthy. */
  members: string[];
  /** Partitions this worker owns, ascending (empty until settled). */
  owned: number[];
  /** Whether the start-up settle time has passed. */
  settled: boolean;
}

/** A worker's membership. */
export interface FleetMembership {
  readonly workerId: string;
  readonly group: string;
  readonly partitions: number;
  /** Views as they change (the current one first). */
  readonly views: Observable<FleetView>;
  current(): FleetView;
  /** Whether this worker owns partition `k` now. */
  owns(k: number): boolean;
  /**
   * Tell the fleet whether this worker can take data (its data connection is up). An unhealthy worker stops
   * renewing its lease and owns nothing, so the others pick its partitions up.
   */
  setHealthy(healthy: boolean): void;
  /**
   * Partitions whose subscriptions the broker has confirmed (SUBACK), as the intake reports them: a
   * publisher that waits for a partition here, rather than in `views`, cannot publish into no subscription.
   */
  readonly subscribed: Observable<number[]>;
  /** Called by the intake after each SUBACK / unsubscribe with the partitions it now covers. */
  setSubscribed(partitions: number[]): void;
  /** Leave gracefully: clear the heartbeat (the others take over at once) and disconnect. */
  leave(): Promise<void>;
}

/** Options of `joinFleet`. */
export interface JoinOptions {
  broker: BrokerConfig;
  fleet: FleetConfig;
  /** Default: `fleet.workerId`, else the broker client id, else `host-pid`. */
  workerId?: string;
  log?: MiniLogger;
  now?: () => number;
}

/** The default worker id: configured, else the broker client id, else host and pid. */
export function defaultWorkerId(fleet: FleetConfig, broker: BrokerConfig): string {
  const raw = fleet.workerId ?? broker.clientId ?? `${hostname()}-${process.pid}`;
  return raw.replace(/[^A-Za-z0-9_.:-]/g, '_').replace(/^[^A-Za-z0-9]/, 'w').slice(0, 64);
}

/** Join the fleet; resolves once the membership connection is up (partitions are claimed after `settleMs`). */
export async function joinFleet(opts: JoinOptions): Promise<FleetMembership> {
  const { fleet } = opts;
  // A JetStream fleet is coordinated by its leases; joining the MQTT membership too would split the sensors.
  if (fleet.jetstream) throw new Error('fleet.jetstream is set: start this worker with `vigil fleet worker --jetstream --config FILE`, not `vigil run`');
  const link = new MemberLink(opts);
  const subscribed$ = new BehaviorSubject<number[]>([]);
  await link.start();
  return {
    workerId: link.self,
    group: fleet.group,
    partitions: fleet.partitions,
    views: link.view$.pipe(distinctUntilChanged()),
    subscribed: subscribed$.pipe(distinctUntilChanged((a, b) => a.join() === b.join())),
    setSubscribed: (partitions) => subscribed$.next([...partitions].sort((a, b) => a - b)),
    current: () => link.view$.value,
    owns: (k) => link.owns(k),
    setHealthy: (h) => link.setHealthy(h),
    leave: () => link.leave(),
  };
}

const CLEAR = Buffer.alloc(0);
const RETAINED = { qos: 1, retain: true } as const;

/**
 * One worker's side of the membership: its connection with a last will, its retained heartbeat, the members it
 * hears of, and the view (members, owned partitions) they give. Every change of health, link, members or
 * settling recomputes the view.
 */
class MemberLink {
  readonly self: string;
  readonly view$: BehaviorSubject<FleetView>;
  private readonly fleet: FleetConfig;
  private readonly log: MiniLogger | undefined;
  private readonly now: () => number;
  /** `{prefix}/{group}/members`: every member's heartbeat is retained under it. */
  private readonly base: string;
  private readonly myTopic: string;
  private readonly table: MemberTable;
  private readonly client: MqttClient;
  private readonly timer: NodeJS.Timeout;
  private settleTimer: NodeJS.Timeout | undefined;
  private healthy = true;
  /** The membership connection is up. */
  private linked = false;
  private settled: boolean;
  private owned = new Set<number>();

  constructor(private readonly opts: JoinOptions) {
    const { fleet } = opts;
    this.fleet = fleet;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.self = opts.workerId ?? defaultWorkerId(fleet, opts.broker);
    this.base = `${fleet.prefix}/${fleet.group}/members`;
    this.myTopic = `${this.base}/${this.self}`;
    this.table = new MemberTable(fleet, this.now, this.log);
    this.settled = fleet.settleMs === 0;
    this.view$ = new BehaviorSubject<FleetView>({ members: [], owned: [], settled: this.settled });
    this.client = mqtt.connect(opts.broker.url, {
      ...clientOptions({ ...opts.broker, clean: true }),
      clientId: `${this.self}-fleet`.slice(0, 128),
      // The will clears our retained heartbeat when the broker loses us without a goodbye.
      will: { topic: this.myTopic, payload: CLEAR, qos: 1, retain: true },
    });
    this.client.on('message', (topic, payload) => this.hear(topic, payload));
    this.timer = setInterval(() => {
      this.beat();
      this.recompute();
    }, fleet.heartbeatMs);
    this.timer.unref();
  }

  /** Wait for the first connection, then follow the link, subscribe to the members, beat and start settling. */
  async start(): Promise<void> {
    await this.firstConnect();
    this.client.on('connect', () => {
      this.linked = true;
      this.beat();
      this.recompute();
    });
    this.client.on('close', () => {
      if (!this.linked) return;
      this.linked = false;
      this.recompute();
    });
    await this.client.subscribeAsync(`${this.base}/+`, { qos: 1 });
    this.beat();
    if (!this.settled) {
      this.settleTimer = setTimeout(() => {
        this.settled = true;
        this.recompute();
      }, this.fleet.settleMs);
      this.settleTimer.unref();
    }
    this.recompute();
  }

  owns(k: number): boolean {
    return this.owned.has(k);
  }

  setHealthy(h: boolean): void {
    if (h === this.healthy) return;
    this.healthy = h;
    if (h) this.beat();
    else if (this.client.connected) this.client.publish(this.myTopic, CLEAR, RETAINED);
    this.recompute();
  }

  async leave(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.settleTimer);
    this.healthy = false;
    this.recompute();
    if (this.client.connected) await this.client.publishAsync(this.myTopic, CLEAR, RETAINED).catch(() => undefined);
    await this.client.endAsync().catch(() => undefined);
    this.view$.complete();
  }

  /** Resolve on the first connection; on a timeout stop everything and reject. */
  private async firstConnect(): Promise<void> {
    const { broker } = this.opts;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fleet: could not connect to ${broker.url} within ${broker.connectTimeoutMs} ms`)), broker.connectTimeoutMs);
      this.client.once('connect', () => {
        clearTimeout(t);
        this.linked = true;
        resolve();
      });
    }).catch((err) => {
      clearInterval(this.timer);
      this.client.end(true);
      throw err;
    });
  }

  /** A message on a member topic. */
  private hear(topic: string, payload: Buffer): void {
    if (!topic.startsWith(`${this.base}/`)) return;
    const id = topic.slice(this.base.length + 1);
    if (id === this.self) return; // our own heartbeat, or our will from an earlier connection: we know better
    if (this.table.hear(id, payload)) this.recompute();
  }

  /** Publish our retained heartbeat (only while connected and healthy). */
  private beat(): void {
    if (!this.client.connected || !this.healthy) return;
    const hb: Heartbeat = { worker: this.self, group: this.fleet.group, partitions: this.fleet.partitions, at: this.now(), host: hostname(), pid: process.pid };
    this.client.publish(this.myTopic, JSON.stringify(hb), RETAINED);
  }

  /** Expire silent members, work out the partitions we own, and publish the view if it changed. */
  private recompute(): void {
    const { fleet, self } = this;
    this.table.expire((m) => {
      // Clear its stale retained heartbeat so late joiners do not count it either.
      if (this.client.connected) this.client.publish(`${this.base}/${m}`, CLEAR, RETAINED);
    });
    // Without the membership link the others will soon see our will and take our partitions: let go first,
    // so a network blip causes a short gap rather than two workers judging the same sensors.
    const active = this.healthy && this.linked;
    const members = this.table.members(self, active);
    const next = new Set<number>();
    if (this.settled && active) for (let k = 0; k < fleet.partitions; k++) if (ownerOf(k, members) === self) next.add(k);
    const prev = this.view$.value;
    const changed = prev.settled !== this.settled || prev.members.join() !== members.join() || [...this.owned].join() !== [...next].join();
    this.owned = next;
    if (changed) {
      const v: FleetView = { members, owned: [...next], settled: this.settled };
      this.log?.info({ group: fleet.group, worker: self, members, partitions: v.owned.length, owned: v.owned }, 'fleet assignment');
      this.view$.next(v);
    }
  }
}
