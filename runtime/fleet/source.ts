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
import { listenClientMessages } from '../mqtt/client-messages.ts';
import { Observable } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { RawMessage } from '../stream/types.ts';
import type { TopicTemplate } from '../mqtt/topic-template.ts';
import type { FleetMembership, FleetView } from './membership.ts';
import { parsePartitionLevel, partitionLevel, partitionOf } from './partition.ts';

/** Options of the fleet source. */
export interface FleetSourceOptions {
  templates: TopicTemplate[];
  qos: 0 | 1;
  ignore?: (topic: string) => boolean;
  onSubscribeError?: (filter: string, reason: string) => void;
  /** Told how many messages that arrived before the source listened were dropped past their bound (runtime/mqtt/early-messages.ts). */
  onEarlyDropped?: (n: number) => void;
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

  return new Observable<RawMessage>((sub) => {
    const subscriptions = new FleetSubscriptions(client, fleet, opts, plans);
    const accept = (topic: string) => {
      if (opts.ignore?.(topic)) return false;
      if (fleet.owns(partitionOfTopic(topic, plans, fleet.partitions))) return true;
      opts.onSkipped?.(topic);
      return false;
    };
    // What a persistent session delivered before this listener existed goes first (runtime/mqtt/client-messages.ts).
    const detach = listenClientMessages(client, { now, accept, onEarlyDropped: opts.onEarlyDropped }, (m) => sub.next(m));
    const health = () => fleet.setHealthy(client.connected);
    client.on('connect', health);
    client.on('offline', health);
    client.on('close', health);
    subscriptions.subscribeWhole();
    const views = fleet.views.subscribe((v) => subscriptions.follow(v));

    return () => {
      views.unsubscribe();
      detach();
      client.off('connect', health);
      client.off('offline', health);
      client.off('close', health);
      subscriptions.close();
    };
  });
}

/**
 * One fleet source's subscriptions: the filters asked for, those the broker confirmed, and the partition each
 * partitioned filter stands for. They follow the owned partitions of each view, and after every answer tell the
 * membership which partitions are fully covered.
 */
class FleetSubscriptions {
  private readonly subscribed = new Set<string>();
  // Filters the broker has acknowledged, and the partition each partitioned filter stands for.
  private readonly confirmed = new Set<string>();
  private readonly partitionOf = new Map<string, number>();
  /** Templates with a `{partition}` level. */
  private readonly partitioned: Plan[];
  /** Filters of the templates without one, subscribed whole. */
  private readonly whole: string[];
  /** The first settled view was followed (and `onSubscribed` promised). */
  private ready = false;

  constructor(
    private readonly client: MqttClient,
    private readonly fleet: FleetMembership,
    private readonly opts: FleetSourceOptions,
    plans: Plan[],
  ) {
    this.partitioned = plans.filter((p) => p.level >= 0);
    this.whole = plans.filter((p) => p.level < 0).map((p) => p.template.filter);
  }

  subscribeWhole(): void {
    this.subscribe(this.whole);
  }

  /** Subscribe to the filters of the partitions the view owns, drop the others. */
  follow(v: FleetView): void {
    const want = new Set<string>();
    for (const p of this.partitioned) {
      for (const k of v.owned) {
        const f = partitionFilter(p.template, p.level, k);
        want.add(f);
        this.partitionOf.set(f, k);
      }
    }
    // Ownership is checked per message, so the order of these two does not matter for correctness.
    const first = v.settled && !this.ready;
    if (first) this.ready = true;
    this.subscribe([...want].filter((f) => !this.subscribed.has(f)), first ? this.opts.onSubscribed : undefined);
    this.unsubscribe([...this.subscribed].filter((f) => !want.has(f) && !this.whole.includes(f)));
  }

  /** Unsubscribe from everything (while connected). */
  close(): void {
    if (this.client.connected && this.subscribed.size) this.client.unsubscribe([...this.subscribed]);
  }

  private subscribe(filters: string[], done?: () => void): void {
    if (!filters.length) return done?.();
    for (const f of filters) this.subscribed.add(f);
    this.client.subscribe(filters, { qos: this.opts.qos }, (err, granted) => {
      if (err) for (const f of filters) this.opts.onSubscribeError?.(f, err.message);
      for (const g of granted ?? []) if (g.qos === 128) this.opts.onSubscribeError?.(g.topic, 'refused by the broker (not authorised?)');
      const refused = new Set((granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic));
      if (!err) for (const f of filters) if (this.subscribed.has(f) && !refused.has(f)) this.confirmed.add(f);
      this.report();
      done?.();
    });
  }

  private unsubscribe(filters: string[]): void {
    if (!filters.length) return;
    for (const f of filters) {
      this.subscribed.delete(f);
      this.confirmed.delete(f);
      this.partitionOf.delete(f);
    }
    this.client.unsubscribe(filters);
    this.report();
  }

  /** Tell the membership which partitions the confirmed subscriptions cover. */
  private report(): void {
    const { fleet, confirmed } = this;
    if (this.partitioned.length === 0) return fleet.setSubscribed(this.whole.every((f) => confirmed.has(f)) ? fleet.current().owned : []);
    const covered = new Set<number>();
    for (const [f, k] of this.partitionOf) if (confirmed.has(f) && this.subscribed.has(f)) covered.add(k);
    fleet.setSubscribed([...covered].filter((k) => [...this.partitionOf].every(([f, j]) => j !== k || confirmed.has(f))));
  }
}
