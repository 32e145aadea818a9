/**
 * The data path of the live process as runtime parts: `decoder` (topic templates and the payload codec of the
 * card in service) and `intake`, which joins the fleet when one is configured, subscribes, and runs
 * messages -> decode -> pipeline -> delivery (pipeline-run.ts). Its stop ends intake first, hands the partitions over, then
 * drains what was already taken through inference and the alert stage (at most `batch.stopDrainMs`), acknowledging
 * nothing more, and keeps each sensor's last readings for the next start (window-tails.ts).
 */
import { ReplaySubject, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import { createCodec } from '../codecs/registry.ts';
import type { Codec, CodecRequest } from '../codecs/codec.ts';
import { decode } from '../codecs/decode.ts';
import { compileTopicTemplate, topicRouter, type TopicTemplate } from '../mqtt/topic-template.ts';
import { warnOfTopics } from './topic-warnings.ts';
import { outputTopics } from '../config/gateway.ts';
import { publishCodecRequest } from '../mqtt/codec-requests.ts';
import { handOverState, joinFleet, type FleetMembership, type Handover } from '../fleet/index.ts';
import { servingRanges } from '../model/ranges.ts';
import type { ModelRef } from '../inference/model-ref.ts';
import { keepSlowTailsEvery, keepTails, takeTails, windowTailsFile, type WindowTails } from '../stream/window-tails.ts';
import { admissionPools } from '../stream/admission.ts';
import { RefusedReadings } from '../stream/data-gaps.ts';
import type { PipelineCounters } from '../stream/counters.ts';
import type { RawMessage, Reading, Rejected } from '../stream/types.ts';
import type { Adaptation } from '../adapt/adaptation.ts';
import type { RuntimeEvents } from './events.ts';
import { openIntake, type Intake } from './intake.ts';
import { codecSessions } from './codec-sessions.ts';
import type { Warmup } from './intake-pressure.ts';
import type { Part } from './lifecycle.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters, RuntimeMetrics } from './metrics.ts';
import type { RuntimeSinks } from './sinks.ts';
import type { RuntimeThresholds } from './thresholds.ts';
import { shedWarning } from './shed-warning.ts';
import { watchDrops, type DropWatch } from './drops.ts';
import type { LatencyRing } from './latency.ts';
import { deliverTo } from './deliver.ts';
import { silenceFlow } from './silence-flow.ts';
import { runPipeline, type FlowStats } from './pipeline-run.ts';

/** The config sections the data path reads. */
export type FlowConfig = Pick<RunConfig, 'source' | 'broker' | 'fleet' | 'window' | 'batch' | 'alerts' | 'deadLetter' | 'health' | 'state' | 'gateway' | 'log'>;

/** What the data path needs from the parts around it (each read once that part has started). */
export interface FlowDeps {
  log: VigilLogger;
  edge: EdgeCounters;
  counters: PipelineCounters;
  metrics: RuntimeMetrics;
  events: RuntimeEvents;
  /** The broker client, once connected (undefined before). */
  client: () => MqttClient | undefined;
  ref: () => ModelRef;
  thresholds: () => RuntimeThresholds;
  sinks: () => RuntimeSinks;
  adaptation: () => Adaptation | undefined;
  /** Extra messages merged with the MQTT intake. */
  source?: Observable<RawMessage>;
  /** The warm-up of the model in service (its card, time and windows): the intake's pace before that model's first batch. */
  warmup?: () => Warmup | undefined;
}

/** The data path's parts and what the health report reads from them. */
export interface Flow {
  decoder: Part;
  intake: Part;
  fleet(): FleetMembership | undefined;
  drops: DropWatch;
  latency: LatencyRing;
  lastMessageAt(): number;
  /** What /health's `nothingHeard`, `nothingReadable` and `nothingAccepted` judge: messages received, readings decoded, readings accepted. */
  readability(): Readability;
  pipelineRestarts(): number;
}

/**
 * A message's three steps, when (wall clock, ms; 0: never) and how many: received (handed to the intake by the
 * subscription or an embedding's source, refused and repeated ones too: `firstMessageAt`), decoded into a reading, and
 * that reading accepted by the window stage (not a duplicate, nor dropped there).
 */
export interface Readability {
  firstMessageAt: number;
  lastDecodedAt: number;
  /** Messages refused since the last reading was decoded (since start, before the first). */
  rejectedSinceDecoded: number;
  lastAcceptedAt: number;
  accepted: number;
  /** Readings decoded since the last one accepted (since start, before the first), and when the first of them was. */
  decodedSinceAccepted: number;
  firstDecodedSinceAcceptedAt: number;
}


/** The data path of one runtime. */
export function openFlow(config: FlowConfig, deps: FlowDeps): Flow {
  const { log, edge, events } = deps;
  const shed = shedWarning(log, config.batch.maxPendingBytes);
  const drops = watchDrops(deps.counters, config.health, log);
  const stats: FlowStats = { lastMessageAt: 0, firstMessageAt: 0, lastDecodedAt: 0, rejectedSinceDecoded: 0, lastAcceptedAt: 0, accepted: 0, decodedSinceAccepted: 0, firstDecodedSinceAcceptedAt: 0, restarts: 0 };
  const delivery = deliverTo(deps, config.log);
  // Replayed: a pipeline that fails during the drain and is retried after the stop ends at once, not never.
  const stop$ = new ReplaySubject<void>(1);
  let decoding: OperatorFunction<RawMessage, Reading> | undefined;
  let templates: TopicTemplate[] = [];
  let fleet: FleetMembership | undefined;
  let handover: Handover | undefined;
  let run: { sub: Subscription; drained: Promise<void> } | undefined;
  let intake: Intake | undefined;
  // Windows span a restart (window-tails.ts): outside a fleet, whose sensors move between workers.
  const tailsFile = config.fleet ? undefined : windowTailsFile(config.state.file);
  // And the codec's sessions with its publishers (a Sparkplug node's aliases), where the broker keeps ours.
  const sessions = codecSessions(config, log);
  let codec: Codec | undefined;
  let tails: WindowTails | undefined;
  let stopKeepingTails = () => {};
  const refused = new RefusedReadings();
  const silence = silenceFlow(config, deps, refused);

  const decoder: Part = {
    name: 'decoder',
    start() {
      templates = config.source.topics.map((t) => compileTopicTemplate(t, config.source.sensorId));
      warnOfTopics(config.source, templates, log, outputTopics(config));
      const ref = deps.ref();
      const count = (event: string, n = 1) => edge.codecEvents.set(event, (edge.codecEvents.get(event) ?? 0) + n);
      const request = (r: CodecRequest) => publishCodecRequest(deps.client(), r, log, count);
      const note = (fields: Record<string, unknown>, msg: string) => log.warn(fields, msg);
      const offline = (sensor: string, cause: string) => silence.offline(sensor, cause);
      codec = createCodec(config.source.codec, { channels: ref.current.card.channels, timestamp: config.source.timestamp, paths: config.source.channels, request, note, count, offline });
      const onRejected = (r: Rejected) => {
        stats.rejectedSinceDecoded++;
        if (r.sensor !== undefined) {
          refused.add(r.sensor);
          silence.heard(r.sensor, Date.now(), true);
        }
        deps.sinks().reject(r);
        events.rejected.next(r);
      };
      const poolOf = config.window.admission && admissionPools(config.window.admission, 0).poolOf;
      decoding = decode({ codec, route: topicRouter(templates), maxPayloadBytes: config.source.maxPayloadBytes, onRejected, poolOf, ranges: () => servingRanges(ref.current.card) });
    },
  };

  const intakePart: Part = {
    name: 'intake',
    async start() {
      const client = deps.client();
      if (!client || !decoding) throw new Error('intake: the broker or the decoder is not started');
      fleet = config.fleet ? await joinFleet({ broker: config.broker, fleet: config.fleet, log }) : undefined;
      // In a fleet, sensor states (threshold, residual mean, open alert) travel with their partitions (runtime/fleet/handover.ts).
      if (fleet && config.fleet?.stateHandover) handover = handOverState(client, fleet, deps.thresholds(), { prefix: config.fleet.prefix, intervalMs: config.fleet.stateIntervalMs, log });
      intake = openIntake(client, config, templates, { fleet, extra: deps.source, log, edge, warmup: deps.warmup });
      if (tailsFile) tails = { seeds: takeTails(tailsFile, deps.ref().current.card.channels, log) };
      // Before anything is decoded: what the broker queued waits for the intake (early-messages.ts).
      sessions.take(client, codec);
      stopKeepingTails = keepSlowTailsEvery(tailsFile, () => tails?.read, config.state.intervalMs, log);
      silence.start();
      run = runPipeline({ config, deps, into: intake, decoding, shed, drops, stats, onDetection: delivery.deliver, tails, refused, silence }, stop$);
      // Report ready only once the broker has confirmed the subscriptions, so nothing published after is missed.
      await Promise.race([intake.subscribed, new Promise((r) => setTimeout(r, config.broker.connectTimeoutMs).unref())]);
    },
    async stop() {
      silence.stop();
      // From here on nothing is acknowledged: what the broker still has, or sends, stays its to redeliver.
      intake?.gate.stopTaking();
      stop$.next();
      // Hand our partitions to the other workers now, while we drain what we already took.
      await handover?.publishNow();
      handover?.stop();
      await fleet?.leave();
      // Intake is closed: windows already cut are flushed through inference and the alert stage.
      const drainMs = config.batch.stopDrainMs;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([run?.drained.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), drainMs)))]);
      clearTimeout(timer);
      // What the drain limit left (windows of readings taken in, acknowledged at QoS 1, never scored): the inference
      // stage counts what its teardown abandons.
      const before = deps.counters.droppedAbandoned;
      run?.sub.unsubscribe();
      const unscored = deps.counters.droppedAbandoned - before;
      if (!finished && unscored > 0) {
        log.warn({ windows: unscored, stopDrainMs: drainMs }, `${unscored} window(s) cut before the stop were not scored within batch.stopDrainMs (${drainMs} ms): their readings are lost; give the drain longer where the service manager allows`);
      }
      stopKeepingTails();
      if (tails?.read) keepTails(tailsFile, tails.read(), log);
      sessions.keep(codec);
      const left = intake?.gate.leftUnacknowledged ?? 0;
      if (left > 0) {
        const next = config.broker.clean === false ? 'the broker redelivers them to the next run of this persistent session' : 'with a clean session (broker.clean true) the broker drops them when vigil disconnects';
        log.info({ messages: left }, `${left} message(s) delivered during the stop left unacknowledged: ${next}`);
      }
      // The intake gate is left shut (not intake.close()): nothing more is acknowledged until the client is ended.
      shed.flush();
      drops.flush();
      delivery.flush();
    },
  };
  return { decoder, intake: intakePart, fleet: () => fleet, drops, latency: delivery.latency, lastMessageAt: () => stats.lastMessageAt, readability: () => stats, pipelineRestarts: () => stats.restarts };
}
