/**
 * The runtime's intake: the broker subscription (all configured topics, or in a fleet only the partitions this
 * worker owns) merged with any extra source, skipping our own alert, dead-letter and fleet topics.
 */
import { anyGatewayTopic, outputTopics } from '../config/gateway.ts';
import { merge, type Observable } from 'rxjs';
import type { IConnackPacket, MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import type { TopicTemplate } from '../mqtt/topic-template.ts';
import { redactUrl } from '../util/redact-url.ts';
import { mqttSource } from '../mqtt/source.ts';
import { fleetSource, type FleetMembership } from '../fleet/index.ts';
import { intakeGate, type IntakeGate } from '../mqtt/intake-gate.ts';
import { IntakePressure, type Warmup } from './intake-pressure.ts';
import { writesPerTurn } from '../mqtt/writes-per-turn.ts';
import { intakeTurns } from '../mqtt/intake-turns.ts';
import type { RawMessage } from '../stream/types.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters } from './metrics.ts';

/** The intake stream, a promise that settles once the broker has answered the subscriptions, and its QoS 1 back-pressure. */
export interface Intake {
  messages: Observable<RawMessage>;
  subscribed: Promise<void>;
  /** The back-pressure itself (stopped at a stop). */
  gate: IntakeGate;
  /** What the gate judges: feed it the pipeline's waiting windows and batches (intake-pressure.ts). */
  pressure: IntakePressure;
  /**
   * Whether nothing can arrive now (the gate holds the intake, or the broker connection is down) and for how long in
   * all so far: the reorder stage's clock stops for both (paused-clock.ts).
   */
  stillness: { readonly paused: boolean; pausedMs(): number };
  /** Give the client back its own message handling (unsliced, ungated) and per-packet writes. */
  close(): void;
}

/** The config sections the intake reads. */
export type IntakeConfig = Pick<RunConfig, 'source' | 'broker' | 'fleet' | 'batch' | 'window' | 'alerts' | 'deadLetter' | 'gateway'>;


/** Messages the runtime takes in; subscribing to `messages` subscribes at the broker. */
export function openIntake(
  client: MqttClient,
  config: IntakeConfig,
  templates: TopicTemplate[],
  opts: { fleet?: FleetMembership; extra?: Observable<RawMessage>; log: VigilLogger; edge: EdgeCounters; /** The warm-up of the model in service (intake-pressure.ts). */ warmup?: () => Warmup | undefined },
): Intake {
  const { fleet, log } = opts;
  // What any gateway publishes under this one's templates is no reading: alerts, dead letters, status (a probe's `plant/#`).
  const own = Object.values(outputTopics(config)).flatMap((t) => anyGatewayTopic(t) ?? []);
  const fleetTopics = config.fleet ? `${config.fleet.prefix}/` : undefined;
  // Asked of every message: a loop, where `own.some((ours) => ours(t))` made a closure per message (~100 bytes).
  const isOwn = (t: string) => {
    for (let i = 0; i < own.length; i++) if (own[i](t)) return true;
    return false;
  };
  let resolve!: () => void;
  const subscribed = new Promise<void>((r) => (resolve = r));
  const sourceOpts = {
    onSubscribed: () => resolve(),
    qos: config.source.qos,
    ignore: (t: string) => isOwn(t) || !!(fleetTopics && t.startsWith(fleetTopics)),
    onSubscribeError: (f: string, reason: string) => {
      opts.edge.subscriptionsRefused++;
      log.error({ filter: f, reason }, `subscription refused: nothing on ${f} reaches vigil; check that the broker's ACL lets vigil's user read it (then restart vigil)`);
    },
    keepSubscriptions: config.broker.clean === false,
    onEarlyDropped: (n: number) => log.warn({ dropped: n }, 'messages delivered before the intake listened passed their bound and were dropped'),
  };
  // In a fleet, only the partitions this worker owns (see runtime/fleet and docs/fleet.md).
  const mqtt$ = fleet ? fleetSource(client, fleet, { ...sourceOpts, templates }) : mqttSource(client, { ...sourceOpts, filters: templates.map((t) => t.filter) });
  const { maxPendingBytes, pauseIntakeAt, resumeIntakeAt, stopDrainMs } = config.batch;
  const { edge } = opts;
  const gate = intakeGate(client, {
    pauseAtBytes: maxPendingBytes * pauseIntakeAt,
    resumeAtBytes: maxPendingBytes * resumeIntakeAt,
    onPause: () => {
      edge.intakePauses++;
      edge.intakePaused = 1;
      // The first pause says what is happening; later ones are in vigil_intake_pauses_total.
      if (edge.intakePauses === 1) {
        log.info(
          { pendingBytes: Math.round(pressure.memoryBytes()), maxPendingBytes, drainMs: Math.round(pressure.drainMs()), stopDrainMs },
          'inference is behind: holding QoS 1 intake (the broker queues for us) until the backlog drains; what is acknowledged stays within what a stop can score (batch.stopDrainMs) and within batch.maxPendingBytes. The broker keeps only so much for us (Mosquitto: max_queued_messages, 1,000 by default; raise it, or 0 for none): what it drops shows as vigil_readings_missing_total',
        );
      }
    },
    onResume: (ms) => {
      edge.intakePaused = 0;
      edge.intakePausedMs += ms;
    },
  });
  const pressure = new IntakePressure(gate, { maxPendingBytes, stopDrainMs, pauseIntakeAt, stride: config.window.stride }, opts.warmup);
  // At QoS 1 every message is answered by a PUBACK: one socket write per chunk read, not one per message.
  const stopCoalescing = writesPerTurn(client);
  // A burst is handled in slices, HTTP requests and timers served between them (over the gate's hook: installed after it).
  const stopTurns = intakeTurns(client);
  // Every connect from here on is a reconnect. With a persistent session the broker queues what is published while
  // we are away; when it answers that it has no session for us (it restarted without having saved it: Mosquitto
  // saves every autosave_interval, so a kill -9 loses sessions younger than its last save; or it expired it), that
  // was never queued and is lost where we cannot count it: say so, and count it. mqtt.js subscribes again.
  const sessionLost = (ack: IConnackPacket) => {
    if (config.broker.clean || ack.sessionPresent) return;
    edge.sessionsLost++;
    edge.sessionLostAt = Date.now();
    log.warn(
      { broker: redactUrl(config.broker.url), clientId: client.options.clientId, sessionsLost: edge.sessionsLost },
      'the broker had no session for us on reconnecting (restarted without saving it, or it expired): readings published while we were disconnected were not queued for us and are lost; subscribing again',
    );
  };
  // The broker away: a reading held for older ones waits for them (a re-probe: a 1.75 s broker restart let held
  // readings go before the redelivered ones came, which were then dropped out of order and counted missing).
  let away: number | undefined = client.connected ? undefined : performance.now();
  let awayMs = 0;
  const onGone = () => (away ??= performance.now());
  // One listener for both: the session the broker kept (or not), and the end of the time away.
  const onConnect = (ack: IConnackPacket) => {
    sessionLost(ack);
    if (away !== undefined) awayMs += performance.now() - away;
    away = undefined;
  };
  client.on('close', onGone);
  client.on('connect', onConnect);
  const stillness = {
    get paused() {
      return gate.paused || away !== undefined;
    },
    pausedMs: () => gate.pausedMs() + awayMs + (away !== undefined ? performance.now() - away : 0),
  };
  const close = () => {
    client.off('close', onGone);
    client.off('connect', onConnect);
    stopTurns();
    gate.close();
    stopCoalescing();
  };
  return { messages: opts.extra ? merge(mqtt$, opts.extra) : mqtt$, subscribed, gate, pressure, stillness, close };
}
