/**
 * A worker that loses a partition to another (a worker joined: the partitions rebalance) publishes that partition's
 * sensor states as they are before it forgets them (runtime/fleet/handover.ts), so the next owner adopts what changed
 * since the last periodic publish: an operator's maintenance set seconds before the hand-over went missing with it,
 * the new owner alerting on the work (the old one had answered 202).
 */
import { EventEmitter } from 'node:events';
import { BehaviorSubject, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { handOverState, type PartitionState } from '../../runtime/fleet/handover.ts';
import type { FleetMembership, FleetView } from '../../runtime/fleet/membership.ts';
import { partitionOf } from '../../runtime/fleet/partition.ts';
import type { SensorState } from '../../runtime/thresholds/store.ts';

const P = 4;

describe('a partition lost to another worker', () => {
  it('has its sensors\' states published as they are before they are forgotten', () => {
    const sent: { topic: string; body: PartitionState }[] = [];
    const client = Object.assign(new EventEmitter(), {
      connected: true,
      subscribe: () => undefined,
      unsubscribe: () => undefined,
      publishAsync: async (topic: string, body: string) => void sent.push({ topic, body: JSON.parse(body) }),
    }) as unknown as MqttClient;
    const views = new BehaviorSubject<FleetView>({ members: ['w-a'], owned: [0, 1, 2, 3], settled: true });
    const fleet = { workerId: 'w-a', group: 'g', partitions: P, views, subscribed: new Subject<number[]>() } as unknown as FleetMembership;
    const maintenance = { from: 1000, until: 3_601_000, by: '10.0.0.7 curl/8.1' };
    const held = new Map<string, SensorState>([
      ['pump-1', { alert: { recent: [0], lastTs: 900, lastClosedAt: null, maintenance } } as SensorState],
      ['pump-2', { alert: { recent: [0], lastTs: 900, lastClosedAt: null } } as SensorState],
    ]);
    const bank = {
      states: () => Object.fromEntries(held),
      adopt: () => 0,
      forget: (which: (s: string) => boolean) => [...held.keys()].filter(which).forEach((s) => held.delete(s)),
    };
    const h = handOverState(client, fleet, bank, { prefix: 'vigil/fleet', intervalMs: 3_600_000 });
    try {
      const k = partitionOf('pump-1', P);
      views.next({ members: ['w-a', 'w-b'], owned: [0, 1, 2, 3].filter((p) => p !== k), settled: true });
      const mine = sent.filter((m) => m.topic === `vigil/fleet/g/state/p${k}`);
      expect(mine).toHaveLength(1);
      expect(mine[0].body.states['pump-1'].alert?.maintenance).toEqual(maintenance);
      // Only the lost partition's sensors, and then forgotten here.
      expect(Object.keys(mine[0].body.states).every((s) => partitionOf(s, P) === k)).toBe(true);
      expect(held.has('pump-1')).toBe(false);
    } finally {
      h.stop();
    }
  });
});
