/**
 * A partition bridge for publishers that cannot put the partition in their topics: subscribe to the plain
 * topics (`sensors/{sensor}/data`) and republish each message, unchanged, to its partitioned topic
 * (`sensors/{partition}/{sensor}/data`). It keeps no state, so several bridges can share the load through an
 * MQTT 5 shared subscription (`$share/...`), at the price of per-sensor order across bridges; one bridge per
 * broker node (or a broker that partitions natively) keeps order.
 */
import type { MqttClient } from 'mqtt';
import { compileTopicTemplate } from '../mqtt/topic-template.ts';
import { partitionTopic } from './partition.ts';

/** Options of the bridge. */
export interface BridgeOptions {
  /** Template of the incoming topics, naming `{sensor}` (e.g. `sensors/{sensor}/data`). */
  from: string;
  /** Template of the outgoing topics, with `{partition}` and `{sensor}`. */
  to: string;
  partitions: number;
  qos: 0 | 1;
  /** Subscription filter to use instead of the one derived from `from` (e.g. a `$share/...` group). */
  filter?: string;
}

/** Counters of a bridge. */
export interface BridgeStats {
  forwarded: number;
  /** Topics that name no valid sensor (not forwarded). */
  refused: number;
}

/** Start bridging on a connected client; returns the stats, a promise of the broker's suback, and a stop function. */
export function partitionBridge(client: MqttClient, opts: BridgeOptions): { stats: BridgeStats; ready: Promise<void>; stop: () => void } {
  const from = compileTopicTemplate(opts.from);
  const stats: BridgeStats = { forwarded: 0, refused: 0 };
  const filter = opts.filter ?? from.filter;
  const sample = opts.to.replaceAll('{partition}', 'p0').replaceAll('{sensor}', 'x');
  if (!('error' in from.match(sample))) throw new Error(`bridge would loop: outgoing topics like '${sample}' match the incoming template '${opts.from}'`);
  const onMessage = (topic: string, payload: Buffer) => {
    const r = from.match(topic);
    if ('error' in r) return void stats.refused++;
    client.publish(partitionTopic(opts.to, r.sensor, opts.partitions), payload, { qos: opts.qos });
    stats.forwarded++;
  };
  client.on('message', onMessage);
  const ready = new Promise<void>((resolve, reject) => client.subscribe(filter, { qos: opts.qos }, (err) => (err ? reject(err) : resolve())));
  return {
    stats,
    ready,
    stop() {
      client.off('message', onMessage);
      if (client.connected) client.unsubscribe(filter);
    },
  };
}
