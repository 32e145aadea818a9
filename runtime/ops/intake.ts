/**
 * The runtime's intake: the broker subscription (all configured topics, or in a fleet only the partitions this
 * worker owns) merged with any extra source, skipping our own alert, dead-letter and fleet topics.
 */
import { merge, type Observable } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import type { TopicTemplate } from '../mqtt/topic-template.ts';
import { mqttSource } from '../mqtt/source.ts';
import { fleetSource, type FleetMembership } from '../fleet/index.ts';
import type { RawMessage } from '../stream/types.ts';
import type { VigilLogger } from './logger.ts';

/** The intake stream and a promise that settles once the broker has answered the subscriptions. */
export interface Intake {
  messages: Observable<RawMessage>;
  subscribed: Promise<void>;
}

/** Static prefix of a topic template up to its first placeholder, for ignoring our own output topics. */
function ownTopic(template: string | null): ((t: string) => boolean) | undefined {
  if (!template) return undefined;
  const i = template.indexOf('{');
  return i < 0 ? (t) => t === template : (t) => t.startsWith(template.slice(0, i));
}

/** Messages the runtime takes in; subscribing to `messages` subscribes at the broker. */
export function openIntake(
  client: MqttClient,
  config: RunConfig,
  templates: TopicTemplate[],
  opts: { fleet?: FleetMembership; extra?: Observable<RawMessage>; log: VigilLogger },
): Intake {
  const { fleet, log } = opts;
  const ownAlert = ownTopic(config.alerts.topic);
  const ownDead = ownTopic(config.deadLetter.topic);
  const fleetTopics = config.fleet ? `${config.fleet.prefix}/` : undefined;
  let resolve!: () => void;
  const subscribed = new Promise<void>((r) => (resolve = r));
  const sourceOpts = {
    onSubscribed: () => resolve(),
    qos: config.source.qos,
    ignore: (t: string) => !!(ownAlert?.(t) || ownDead?.(t) || (fleetTopics && t.startsWith(fleetTopics))),
    onSubscribeError: (f: string, reason: string) => log.error({ filter: f, reason }, 'subscription refused'),
  };
  // In a fleet, only the partitions this worker owns (see runtime/fleet and docs/fleet.md).
  const mqtt$ = fleet ? fleetSource(client, fleet, { ...sourceOpts, templates }) : mqttSource(client, { ...sourceOpts, filters: templates.map((t) => t.filter) });
  return { messages: opts.extra ? merge(mqtt$, opts.extra) : mqtt$, subscribed };
}
