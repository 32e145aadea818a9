/**
 * The MQTT source of a fleet worker: only messages of the partitions this worker owns. With a `{partition}`
 * level in the topic template (`sensors/{partition}/{sensor}/data`) the worker subscribes to its partitions
 * only (`sensors/p3/+/data`, ...) and follows ownership changes with subscribe/unsubscribe, so each message
 * crosses the network once. Templates without it are subscribed whole and filtered here by the sensor's hash
 * (every worker receives everything; fine for small fleets or when publishers cannot change topics).
 * Either way a message is let through only while its partition is owned, so a message in flight during a
 * hand-over is taken by one worker, not two. Messages whose topic maps to no sensor are owned by the hash of
 * the topic, so exactly one worker dead-letters each of them.
 */
import { Observable } from 'rxjs';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { RawMessage } from '../stream/types.ts';
import type { TopicTemplate } from '../mqtt/topic-template.ts';
import type { FleetMembership } from './membership.ts';
import { parsePartitionLevel, partitionLevel, partitionOf } from './partition.ts';

/** Options of the fleet source. */
export interface FleetSourceOptions {
  templates: TopicTemplate[];
  qos: 0 | 1;
  ignore?: (topic: string) => boolean;
  onSubscribeError?: (filter: string, reason: string) => void;
  /** Told once the worker is in service: settled, and its first subscriptions answered by the broker. */
  onSubscribed?: () => void;
  /** Counts messages let through / skipped because another worker owns them. */
  onSkipped?: (topic: string) => void;
  now?: () => number;
}

interface Plan {
  template: TopicTemplate;
  /** Level index of `{partition}`, or -1. */
  level: number;
}

/** Subscription filter of partition `k` for a template with a `{partition}` level at `level`. */
export function partitionFilter(template: TopicTemplate, level: number, k: number): string {
  const parts = template.filter.split('/');
  parts[level] = partitionLevel(k);
  return parts.join('/');
}

/** Which partition a topic belongs to under the templates. */
export function partitionOfTopic(topic: string, plans: { template: TopicTemplate; level: number }[], partitions: number): number {
  for (const p of plans) {
    const r = p.template.match(topic);
    if ('error' in r) continue;
    if (p.level < 0) return partitionOf(r.sensor, partitions);
    const k = parsePartitionLevel(topic.split('/')[p.level] ?? '', partitions);
    if (k !== undefined) return k;
  }
  return partitionOf(topic, partitions);
}

/** Messages of this worker's partitions as an Observable; subscriptions follow the membership's views. */
export function fleetSource(client: MqttClient, fleet: FleetMembership, opts: FleetSourceOptions): Observable<RawMessage> {
  const now = opts.now ?? Date.now;
  const plans: Plan[] = opts.templates.map((t) => ({ template: t, level: t.template.split('/').indexOf('{partition}') }));
  const partitioned = plans.filter((p) => p.level >= 0);
  const whole = plans.filter((p) => p.level < 0).map((p) => p.template.filter);

  return new Observable<RawMessage>((sub) => {
    const subscribed = new Set<string>();
    // Filters the broker has acknowledged, and the partition each partitioned filter stands for.
    const confirmed = new Set<string>();
    const partitionOf = new Map<string, number>();
    const report = () => {
      if (partitioned.length === 0) return fleet.setSubscribed(whole.every((f) => confirmed.has(f)) ? fleet.current().owned : []);
      const covered = new Set<number>();
      for (const [f, k] of partitionOf) if (confirmed.has(f) && subscribed.has(f)) covered.add(k);
      fleet.setSubscribed([...covered].filter((k) => [...partitionOf].every(([f, j]) => j !== k || confirmed.has(f))));
    };
    let ready = false;
    const subscribe = (filters: string[], done?: () => void) => {
      if (!filters.length) return done?.();
      for (const f of filters) subscribed.add(f);
      client.subscribe(filters, { qos: opts.qos }, (err, granted) => {
        if (err) for (const f of filters) opts.onSubscribeError?.(f, err.message);
        for (const g of granted ?? []) if (g.qos === 128) opts.onSubscribeError?.(g.topic, 'refused by the broker (not authorised?)');
        const refused = new Set((granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic));
        if (!err) for (const f of filters) if (subscribed.has(f) && !refused.has(f)) confirmed.add(f);
        report();
        done?.();
      });
    };
    const unsubscribe = (filters: string[]) => {
      if (!filters.length) return;
      for (const f of filters) {
        subscribed.delete(f);
        confirmed.delete(f);
        partitionOf.delete(f);
      }
      client.unsubscribe(filters);
      report();
    };

    const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
      if (opts.ignore?.(topic)) return;
      if (!fleet.owns(partitionOfTopic(topic, plans, fleet.partitions))) {
        opts.onSkipped?.(topic);
        return;
      }
      const contentType = packet.properties?.contentType;
      sub.next(contentType === undefined ? { topic, payload, receivedAt: now() } : { topic, payload, receivedAt: now(), contentType });
    };
    client.on('message', onMessage);
    const health = () => fleet.setHealthy(client.connected);
    client.on('connect', health);
    client.on('offline', health);
    client.on('close', health);
    subscribe(whole);

    const views = fleet.views.subscribe((v) => {
      const want = new Set<string>();
      for (const p of partitioned) {
        for (const k of v.owned) {
          const f = partitionFilter(p.template, p.level, k);
          want.add(f);
          partitionOf.set(f, k);
        }
      }
      // Ownership is checked per message, so the order of these two does not matter for correctness.
      const first = v.settled && !ready;
      if (first) ready = true;
      subscribe([...want].filter((f) => !subscribed.has(f)), first ? opts.onSubscribed : undefined);
      unsubscribe([...subscribed].filter((f) => !want.has(f) && !whole.includes(f)));
    });

    return () => {
      views.unsubscribe();
      client.off('message', onMessage);
      client.off('connect', health);
      client.off('offline', health);
      client.off('close', health);
      if (client.connected && subscribed.size) client.unsubscribe([...subscribed]);
    };
  });
}
