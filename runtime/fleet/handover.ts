/**
 * Sensor state moves with its partition. Each worker publishes, retained, the states (threshold, tracked
 * residual mean, alert tracker: what the state file holds) of the sensors of every partition it owns to `{prefix}/{group}/state/p{k}` (every `stateIntervalMs` and on a
 * graceful stop). A worker that gains a partition subscribes to its state topic and adopts the states of
 * sensors it does not hold yet, so adaptive thresholds, residual means and open alerts continue where the
 * previous owner left them instead of starting again from the model card (an open alert is not opened twice). A worker that loses a partition forgets its sensors' states, so a
 * partition that comes back later is taken from the newer published state, not from a stale local copy.
 * After a crash the next owner continues from the last periodic publish.
 */
import type { MqttClient } from 'mqtt';
import type { SensorState } from '../thresholds/store.ts';
import type { ThresholdState } from '../thresholds/threshold.ts';
import type { MiniLogger } from '../mqtt/connect.ts';
import type { FleetMembership } from './membership.ts';
import { partitionOf } from './partition.ts';

/** Largest retained state message published per partition; bigger ones are skipped with a warning. */
export const MAX_PARTITION_STATE_BYTES = 16 * 1024 * 1024;

/** The retained message of one partition. Version 1 (threshold states only) is still read. */
export interface PartitionState {
  format: 'vigil-partition-state';
  version: 2;
  worker: string;
  partition: number;
  partitions: number;
  at: number;
  states: Record<string, SensorState>;
}

/** Where the hand-over reads and puts sensor states (the runtime's thresholds, runtime/ops/thresholds.ts). */
export interface SensorStates {
  states(): Record<string, SensorState>;
  /** Take states of sensors not held yet; returns how many were taken. */
  adopt(states: Record<string, SensorState>): number;
  forget(which: (sensor: string) => boolean): void;
}

/** A partition message's states as sensor states (version 1 carried bare threshold states). */
function sensorStatesOf(msg: { version?: unknown; states?: unknown }): Record<string, SensorState> {
  const states = (msg.states ?? {}) as Record<string, unknown>;
  if (msg.version === 2) return states as Record<string, SensorState>;
  return Object.fromEntries(Object.entries(states).map(([s, t]) => [s, { threshold: t as ThresholdState }]));
}

/** Options of the hand-over. */
export interface HandoverOptions {
  prefix: string;
  intervalMs: number;
  log?: MiniLogger;
  /** Told each time states are adopted. */
  onAdopt?: (partition: number, sensors: number, from: string) => void;
}

/** A running hand-over. */
export interface Handover {
  /** Publish the owned partitions' states now (before leaving the fleet). */
  publishNow(): Promise<void>;
  /** States adopted so far. */
  adopted(): number;
  stop(): void;
}

/** Start handing threshold states over with partitions. */
export function handOverState(client: MqttClient, fleet: FleetMembership, bank: SensorStates, opts: HandoverOptions): Handover {
  const P = fleet.partitions;
  const prefix = `${opts.prefix}/${fleet.group}/state/p`;
  const topicOf = (k: number) => `${prefix}${k}`;
  let owned = new Set<number>();
  let adopted = 0;

  const onMessage = (topic: string, payload: Buffer) => {
    if (!topic.startsWith(prefix) || payload.length === 0) return;
    const k = Number(topic.slice(prefix.length));
    if (!owned.has(k)) return;
    let msg: PartitionState;
    try {
      msg = JSON.parse(payload.toString('utf8')) as PartitionState;
    } catch {
      return;
    }
    if (msg.format !== 'vigil-partition-state' || msg.worker === fleet.workerId || msg.partitions !== P || msg.partition !== k) return;
    const mine = Object.fromEntries(Object.entries(sensorStatesOf(msg)).filter(([s]) => partitionOf(s, P) === k));
    const n = bank.adopt(mine);
    adopted += n;
    opts.log?.info({ group: fleet.group, partition: k, from: msg.worker, sensors: n, savedAt: new Date(msg.at).toISOString() }, 'fleet: adopted sensor states with a partition');
    opts.onAdopt?.(k, n, msg.worker);
  };
  client.on('message', onMessage);

  /** Publish the states of partitions `which` (read at once; sent in the background). */
  const publish = async (which: ReadonlySet<number>) => {
    if (!client.connected || which.size === 0) return;
    const byPartition = new Map<number, Record<string, SensorState>>();
    for (const [sensor, state] of Object.entries(bank.states())) {
      const k = partitionOf(sensor, P);
      if (!which.has(k)) continue;
      let m = byPartition.get(k);
      if (!m) byPartition.set(k, (m = {}));
      m[sensor] = state;
    }
    const sends: Promise<unknown>[] = [];
    for (const [k, states] of byPartition) {
      const body = JSON.stringify({ format: 'vigil-partition-state', version: 2, worker: fleet.workerId, partition: k, partitions: P, at: Date.now(), states } satisfies PartitionState);
      if (body.length > MAX_PARTITION_STATE_BYTES) {
        opts.log?.warn({ partition: k, bytes: body.length, limit: MAX_PARTITION_STATE_BYTES }, 'fleet: partition state too large to hand over; use more partitions');
        continue;
      }
      sends.push(client.publishAsync(topicOf(k), body, { qos: 1, retain: true }).catch(() => undefined));
    }
    await Promise.all(sends);
  };
  const publishNow = () => publish(owned);

  const views = fleet.views.subscribe((v) => {
    const next = new Set(v.owned);
    const gained = [...next].filter((k) => !owned.has(k));
    const lost = [...owned].filter((k) => !next.has(k));
    owned = next;
    if (lost.length) {
      const gone = new Set(lost);
      // Their latest states go first, taken before they are forgotten: the next owner adopts them (a sensor it holds
      // no window of yet), not the periodic publish's, which missed what changed since (an operator's maintenance).
      void publish(gone);
      bank.forget((s) => gone.has(partitionOf(s, P)));
      if (client.connected) client.unsubscribe(lost.map(topicOf));
    }
    if (gained.length) client.subscribe(gained.map(topicOf), { qos: 1 });
  });
  const timer = setInterval(() => void publishNow(), opts.intervalMs);
  timer.unref();

  return {
    publishNow,
    adopted: () => adopted,
    stop() {
      clearInterval(timer);
      views.unsubscribe();
      client.off('message', onMessage);
    },
  };
}
