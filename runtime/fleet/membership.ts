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

interface Heartbeat {
  worker: string;
  group: string;
  partitions: number;
  at: number;
  host: string;
  pid: number;
}

/** Join the fleet; resolves once the membership connection is up (partitions are claimed after `settleMs`). */
export async function joinFleet(opts: JoinOptions): Promise<FleetMembership> {
  const { fleet, log } = opts;
  // A JetStream fleet is coordinated by its leases; joining the MQTT membership too would split the sensors.
  if (fleet.jetstream) throw new Error('fleet.jetstream is set: start this worker with `vigil fleet worker --jetstream --config FILE`, not `vigil run`');
  const now = opts.now ?? Date.now;
  const self = opts.workerId ?? defaultWorkerId(fleet, opts.broker);
  const base = `${fleet.prefix}/${fleet.group}/members`;
  const myTopic = `${base}/${self}`;
  const seen = new Map<string, number>();
  const mismatched = new Set<string>();
  let healthy = true;
  let linked = false;
  let settled = fleet.settleMs === 0;
  let owned = new Set<number>();
  const view$ = new BehaviorSubject<FleetView>({ members: [], owned: [], settled });
  const subscribed$ = new BehaviorSubject<number[]>([]);

  const client: MqttClient = mqtt.connect(opts.broker.url, {
    ...clientOptions({ ...opts.broker, clean: true }),
    clientId: `${self}-fleet`.slice(0, 128),
    // The will clears our retained heartbeat when the broker loses us without a goodbye.
    will: { topic: myTopic, payload: Buffer.alloc(0), qos: 1, retain: true },
  });

  const recompute = () => {
    const t = now();
    for (const [m, at] of seen) {
      if (t - at > fleet.leaseMs) {
        seen.delete(m);
        log?.warn({ group: fleet.group, worker: m, leaseMs: fleet.leaseMs }, 'fleet member lease expired; taking over its partitions');
        // Clear its stale retained heartbeat so late joiners do not count it either.
        if (client.connected) client.publish(`${base}/${m}`, Buffer.alloc(0), { qos: 1, retain: true });
      }
    }
    const members = [...seen.keys()].filter((m) => m !== self);
    // Without the membership link the others will soon see our will and take our partitions: let go first,
    // so a network blip causes a short gap rather than two workers judging the same sensors.
    const active = healthy && linked;
    if (active) members.push(self);
    members.sort();
    const next = new Set<number>();
    if (settled && active) for (let k = 0; k < fleet.partitions; k++) if (ownerOf(k, members) === self) next.add(k);
    const prev = view$.value;
    const changed = prev.settled !== settled || prev.members.join() !== members.join() || [...owned].join() !== [...next].join();
    owned = next;
    if (changed) {
      const v: FleetView = { members, owned: [...next], settled };
      log?.info({ group: fleet.group, worker: self, members, partitions: v.owned.length, owned: v.owned }, 'fleet assignment');
      view$.next(v);
    }
  };

  const beat = () => {
    if (!client.connected || !healthy) return;
    const hb: Heartbeat = { worker: self, group: fleet.group, partitions: fleet.partitions, at: now(), host: hostname(), pid: process.pid };
    client.publish(myTopic, JSON.stringify(hb), { qos: 1, retain: true });
  };

  client.on('message', (topic, payload) => {
    if (!topic.startsWith(`${base}/`)) return;
    const id = topic.slice(base.length + 1);
    if (id === self) return; // our own heartbeat, or our will from an earlier connection: we know better
    if (payload.length === 0) {
      if (seen.delete(id)) log?.info({ group: fleet.group, worker: id }, 'fleet member left');
      recompute();
      return;
    }
    let hb: Partial<Heartbeat>;
    try {
      hb = JSON.parse(payload.toString('utf8')) as Partial<Heartbeat>;
    } catch {
      return;
    }
    if (hb.partitions !== fleet.partitions) {
      if (!mismatched.has(id)) {
        mismatched.add(id);
        log?.error({ group: fleet.group, worker: id, theirs: hb.partitions, ours: fleet.partitions }, 'fleet member uses a different partition count; ignoring it (every worker must agree)');
      }
      return;
    }
    const isNew = !seen.has(id);
    seen.set(id, now());
    if (isNew) recompute();
  });

  const timer = setInterval(() => {
    beat();
    recompute();
  }, fleet.heartbeatMs);
  timer.unref();
  let settleTimer: NodeJS.Timeout | undefined;

  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`fleet: could not connect to ${opts.broker.url} within ${opts.broker.connectTimeoutMs} ms`)), opts.broker.connectTimeoutMs);
    client.once('connect', () => {
      clearTimeout(t);
      linked = true;
      resolve();
    });
  }).catch((err) => {
    clearInterval(timer);
    client.end(true);
    throw err;
  });
  client.on('connect', () => {
    linked = true;
    beat();
    recompute();
  });
  client.on('close', () => {
    if (!linked) return;
    linked = false;
    recompute();
  });
  await client.subscribeAsync(`${base}/+`, { qos: 1 });
  beat();
  if (!settled) {
    settleTimer = setTimeout(() => {
      settled = true;
      recompute();
    }, fleet.settleMs);
    settleTimer.unref();
  }
  recompute();

  return {
    workerId: self,
    group: fleet.group,
    partitions: fleet.partitions,
    views: view$.pipe(distinctUntilChanged()),
    subscribed: subscribed$.pipe(distinctUntilChanged((a, b) => a.join() === b.join())),
    setSubscribed: (partitions) => subscribed$.next([...partitions].sort((a, b) => a - b)),
    current: () => view$.value,
    owns: (k) => owned.has(k),
    setHealthy(h) {
      if (h === healthy) return;
      healthy = h;
      if (h) beat();
      else if (client.connected) client.publish(myTopic, Buffer.alloc(0), { qos: 1, retain: true });
      recompute();
    },
    async leave() {
      clearInterval(timer);
      clearTimeout(settleTimer);
      healthy = false;
      recompute();
      if (client.connected) await client.publishAsync(myTopic, Buffer.alloc(0), { qos: 1, retain: true }).catch(() => undefined);
      await client.endAsync().catch(() => undefined);
      view$.complete();
    },
  };
}
