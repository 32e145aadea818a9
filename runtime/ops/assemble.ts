/**
 * The composition root of `vigil run`: `assemble(config)` builds the runtime's parts, each from its own config
 * sections, in the order a Lifecycle starts them (and stops them, in reverse):
 *
 *   events, model, thresholds, adaptation, decoder, broker, sinks, ops, state, intake, model watch
 *
 * so a stop ends the model watch and intake first (handing fleet partitions over), drains the pipeline, saves
 * the state, closes the ops server, drains the alert sinks, closes the broker, stops learning, closes the model
 * and completes the event streams. Nothing here starts anything.
 */
import type { MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import { holdEarlyMessages } from '../mqtt/early-messages.ts';
import { connectBroker, waitConnected } from '../mqtt/connect.ts';
import { largestIncomingPayload, maxPacketBytes } from '../mqtt/max-packet.ts';
import { gatewayStatus } from '../mqtt/gateway-status.ts';
import { createCounters, type PipelineCounters } from '../stream/counters.ts';
import type { RuntimeDeps } from './handle.ts';
import { createEvents, type RuntimeEvents } from './events.ts';
import { openFlow, type Flow } from './flow.ts';
import { startOpsServer, type HealthReport, type OpsServer } from './http.ts';
import { httpRefusals, type HttpRefused } from './http-refusals.ts';
import { warnIfOpen } from './http-exposure.ts';
import { lockStateFile, type StateLock } from './state-lock.ts';
import { healthOf } from './health.ts';
import type { Part } from './lifecycle.ts';
import { createLogger, type VigilLogger } from './logger.ts';
import { createEdgeCounters, createMetrics, type EdgeCounters, type RuntimeMetrics } from './metrics.ts';
import { openServing, type Serving } from './serving.ts';
import { openSinks, type RuntimeSinks } from './sinks.ts';
import { openThresholds, type RuntimeThresholds } from './thresholds.ts';
import { publishUnresolved } from './unresolved-closes.ts';
import type { OperatorCommand, OperatorCommands } from './sensor-commands.ts';
import { withCanaryRelease } from '../adapt/release-canaries.ts';
import { listenCommands } from '../mqtt/command-topic.ts';
import { gatewayTopic } from '../config/gateway.ts';

/** The assembled runtime: its parts in start order, and what its handle reads. */
export interface Assembly {
  parts: Part[];
  log: VigilLogger;
  counters: PipelineCounters;
  edge: EdgeCounters;
  metrics: RuntimeMetrics;
  events: RuntimeEvents;
  serving: Serving;
  flow: Flow;
  thresholds(): RuntimeThresholds;
  sinks(): RuntimeSinks;
  ops(): OpsServer | undefined;
  /** Report a request refused by an HTTP server's gate (the ops server's own, the dashboard's): counted and logged. */
  httpRefused: HttpRefused;
  /** Copy the sinks' counts into the edge counters (before a scrape, a health report, a stop). */
  syncEdge(): void;
  /** What the runtime is doing now, as /health reports it. */
  state: HealthReport['status'];
  health(): HealthReport;
  /** The operator commands (sensor-commands.ts), `release` answered by the adaptation (runtime/adapt/release-canaries.ts). */
  commands: OperatorCommands;
}

/** A value one part sets when it starts and others read after. */
interface Late<T> {
  set(v: T): T;
  /** The value, or an error naming what is not started yet. */
  get(): T;
  peek(): T | undefined;
}
function late<T>(what: string): Late<T> {
  let value: T | undefined;
  return {
    set: (v) => (value = v),
    get: () => value ?? fail(`${what} is not started`),
    peek: () => value,
  };
}
function fail(message: string): never {
  throw new Error(message);
}

/** How long a stop waits for the broker to acknowledge what vigil still has in flight (ms). */
const END_GRACE_MS = 2000;

/** The broker connection, with the gateway's status on it (gateway-status.ts); the connection stream follows it. */
function brokerPart(config: RunConfig['broker'], gateway: RunConfig['gateway'], maxPacket: number, log: VigilLogger, events: RuntimeEvents, client: Late<MqttClient>): Part {
  let status: { offline(): void } | undefined;
  return {
    name: 'broker',
    async start() {
      const said = gatewayStatus(gateway, log);
      const c = client.set(connectBroker(config, log, 'broker', said.will, maxPacket));
      status = said.start(c);
      // A persistent session's queued messages arrive before the intake listens: held for it (early-messages.ts).
      holdEarlyMessages(c);
      c.on('connect', () => events.connection.next(true));
      c.on('close', () => events.connection.value && events.connection.next(false));
      await waitConnected(c, config.connectTimeoutMs);
      events.connection.next(c.connected);
    },
    // A connected client finishes what it is sending, for END_GRACE_MS at most, then says goodbye; one that is not,
    // or whose broker went away during the stop (a site shut down at once), is ended at once: mqtt.js waits for the
    // acknowledgements of what is in flight forever, and a stop that never ended left vigil running (a leaked test
    // process found it; before the ops server moved ahead of the broker the process exited 13, unsaid).
    async stop() {
      const c = client.peek();
      if (!c) return;
      // Said before the goodbye, and waited for with what else is in flight: a consumer must not read it as a crash.
      status?.offline();
      const inFlight = () => Object.keys((c as unknown as { outgoing?: object }).outgoing ?? {}).length > 0;
      // Looked at after each packet the broker sends is handled: mqtt.js says `outgoingEmpty` only once it is itself
      // disconnecting, so waiting for it before `end` took the whole grace at every stop (a probe: 2 s per SIGTERM).
      if (c.connected && inFlight()) await new Promise<void>((r) => {
        const done = () => (clearTimeout(t), c.off('packetreceive', look), c.off('close', done), r());
        const look = () => setImmediate(() => !inFlight() && done());
        const t = setTimeout(done, END_GRACE_MS);
        c.on('packetreceive', look);
        c.once('close', done);
      });
      await new Promise<void>((r) => c.end(!c.connected || inFlight(), {}, () => r()));
    },
  };
}

/** Operators' commands over MQTT, when `gateway.commandTopic` is set (runtime/mqtt/command-topic.ts). */
function commandsPart(gateway: RunConfig['gateway'], client: Late<MqttClient>, reAnchors: () => OperatorCommands, log: VigilLogger): Part {
  let listening: { stop(): void } | undefined;
  return {
    name: 'commands',
    start() {
      const topic = gateway.commandTopic && gatewayTopic(gateway.commandTopic, gateway);
      if (topic) listening = listenCommands(client.get(), topic, gateway.id, (what, sensor, windows, by) => reAnchors().command(what, sensor, windows, by), log);
    },
    stop: () => listening?.stop(),
  };
}

/** One vigil per state file (state-lock.ts), taken before the broker; none without a state file. */
function stateLockPart(file: string | null, log: VigilLogger): Part {
  let lock: StateLock | undefined;
  return {
    name: 'state lock',
    start() {
      if (file) lock = lockStateFile(file, log);
    },
    stop: () => lock?.release(),
  };
}

/** /metrics and /health, when `metrics.port` is set. */
function opsServerPart(config: Pick<RunConfig, 'metrics' | 'http'>, metrics: RuntimeMetrics, health: () => HealthReport, ops: Late<OpsServer>, reAnchors: () => OperatorCommands, refusals: ReturnType<typeof httpRefusals>, log: VigilLogger): Part {
  return {
    name: 'ops server',
    async start() {
      if (config.metrics.port === null) return;
      const command = (what: OperatorCommand, sensor: string, arg: unknown, by: string) => reAnchors().command(what, sensor, arg, by);
      ops.set(await startOpsServer({ port: config.metrics.port, host: config.metrics.host, metrics: metrics.text, contentType: metrics.registry.contentType, health, command, ...config.http, onRefused: refusals.refused('metrics') }));
      warnIfOpen(log, 'metrics', config.metrics.host, ops.get().port, config.http.token);
    },
    async stop() {
      await ops.peek()?.close();
      refusals.flush();
    },
  };
}

/** Only the named sections of the config: what one part may read. */
function sections<K extends keyof RunConfig>(config: RunConfig, ...keys: K[]): Pick<RunConfig, K> {
  return Object.fromEntries(keys.map((k) => [k, config[k]])) as Pick<RunConfig, K>;
}

/** Build the runtime's parts from the config; `deps` injects a logger or an extra source. */
export function assemble(config: RunConfig, deps: RuntimeDeps = {}): Assembly {
  const log = deps.logger ?? createLogger(config.log.level);
  const counters = createCounters();
  const edge = createEdgeCounters();
  const events = createEvents();
  const client = late<MqttClient>('the broker connection');
  const thresholds = late<RuntimeThresholds>('thresholds');
  const sinks = late<RuntimeSinks>('the sinks');
  const ops = late<OpsServer>('the ops server');
  const syncEdge = () => {
    sinks.peek()?.sync();
    const th = thresholds.peek();
    if (th) edge.alertsOpen = th.alerts.openSensors().length;
    if (th) edge.sensorsInMaintenance = th.alerts.inMaintenance(Date.now()).length;
    edge.brokerConnected = client.peek()?.connected ? 1 : 0;
  };
  const metrics = createMetrics(counters, edge, { beforeCollect: syncEdge });
  const refusals = httpRefusals(edge.httpRefused, log);
  const serving = openServing(sections(config, 'model', 'inference', 'batch', 'reload', 'adapt', 'threshold'), { log, edge, metrics, events, thresholds: thresholds.get });
  const ref = serving.ref;
  const commands = withCanaryRelease(() => thresholds.get().reAnchors, serving.adaptationNow, log);
  const flow = openFlow(sections(config, 'source', 'broker', 'fleet', 'window', 'batch', 'alerts', 'deadLetter', 'health', 'state', 'gateway', 'log'), { log, edge, counters, metrics, events, client: client.peek, ref, thresholds: thresholds.get, sinks: sinks.get, adaptation: serving.adaptationNow, warmup: serving.warmup, source: deps.source });

  // Alerts closed because vigil evicted their sensor's alert state for room: published as a silent sensor's are.
  const unresolved = { counters, events, ref, sinks: sinks.get, thresholds: thresholds.get, topK: config.alerts.topChannels };
  const startedAt = Date.now();
  const healthConfig = sections(config, 'broker', 'health', 'source', 'window', 'fleet');
  const parts: Part[] = [
    // First: a twin refused here has started nothing that writes shared files when it stops (the adaptation's reservoir).
    stateLockPart(config.state.file, log),
    { name: 'events', stop: () => events.complete() },
    serving.model,
    { name: 'thresholds', start: () => void thresholds.set(openThresholds(sections(config, 'threshold', 'smoothing', 'window', 'alerts', 'state', 'fleet'), ref(), log, edge, { alerts: { onEvict: (sensor, close) => publishUnresolved(unresolved, sensor, close) } })) },
    serving.adaptation,
    flow.decoder,
    // Its ports before the broker: a port in use stops the start before it takes the broker session of a running twin.
    opsServerPart(sections(config, 'metrics', 'http'), metrics, () => assembly.health(), ops, () => commands, refusals, log),
    brokerPart(config.broker, config.gateway, maxPacketBytes(largestIncomingPayload(config)), log, events, client),
    commandsPart(config.gateway, client, () => commands, log),
    {
      name: 'sinks',
      start: () => void sinks.set(openSinks(client.get(), sections(config, 'alerts', 'deadLetter', 'window', 'state', 'gateway', 'log'), log, edge, () => ref().current.card, (sensor) => thresholds.get().silence?.knows(sensor) ?? false, (sensor) => thresholds.get().alerts.maintenanceOf(sensor))),
      async stop() {
        await sinks.peek()?.drain(5000);
        await sinks.peek()?.close();
      },
    },
    // Saves periodically from here on, and a last time once intake has drained (before the broker goes).
    { name: 'state', start: () => thresholds.get().start(), stop: () => thresholds.get().stop() },
    flow.intake,
    serving.watch,
  ];

  const assembly: Assembly = {
    parts,
    log,
    counters,
    edge,
    metrics,
    events,
    serving,
    flow,
    thresholds: thresholds.get,
    sinks: sinks.get,
    ops: ops.peek,
    httpRefused: refusals.refused,
    syncEdge,
    commands,
    state: 'starting',
    health: () => (syncEdge(), healthOf(healthConfig, { state: assembly.state, startedAt, client: client.peek(), edge, counters, serving, flow, sinks: sinks.peek() })),
  };
  return assembly;
}
