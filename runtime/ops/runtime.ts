/**
 * The live process: MQTT source -> decode -> pipeline (window, batch, infer, threshold, alert) -> sinks, plus
 * the ops around it (metrics and health server, threshold state persistence, model hot reload, graceful stop).
 * `startRuntime(config)` assembles the parts (assemble.ts), starts them in order (a failed start stops what
 * started, in reverse) and returns a handle with `stop()`, metrics, and event streams for the dashboard.
 */
import v8 from 'node:v8';
import type { RunConfig } from '../config/schema.ts';
import { assemble } from './assemble.ts';
import { Lifecycle } from './lifecycle.ts';
import type { RuntimeDeps, RuntimeHandle } from './handle.ts';

export type { RuntimeDeps, RuntimeHandle } from './handle.ts';

/** Start the runtime; rejects with a clear message when the model, providers or broker cannot be used. */
export async function startRuntime(config: RunConfig, deps: RuntimeDeps = {}): Promise<RuntimeHandle> {
  if (config.lowMemory) {
    // Process-wide V8 settings; they take effect for allocations from here on (set as early as possible).
    // The growth factor (unlike --max-semi-space-size, read only at start) keeps the young generation at 1 MB for
    // embedders (`vigil run` gets it from bin/v8-heap.mjs); optimize-for-size saves 3-10 MB (bench/memory.ts); the old
    // generation grown by a quarter at most over what survived (docs/run.md "Memory"): an alert storm's RSS 220-229 ->
    // 149-154 MB (bench/soak.ts), for a worse p99 at 10,000 readings/s (more full collections), so not by default.
    v8.setFlagsFromString('--optimize-for-size');
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    v8.setFlagsFromString('--heap-growing-percent=25');
  }
  const a = assemble(config, deps);
  const { log, events, serving, flow, edge, counters } = a;

  let stopping: Promise<void> | undefined;
  let life: Lifecycle | undefined;
  const stop = async () => {
    a.state = 'stopping';
    a.syncEdge();
    try {
      await life?.stop();
    } finally {
      a.syncEdge();
      log.info({ messages: edge.messages, scored: counters.scored, alerts: counters.alertsOpened }, 'stopped');
    }
  };
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  // Built before the start, so an attached part has it before the intake reads anything; what a part sets as it
  // starts (the ops server's address, the fleet, the adaptation, the providers tried) is read when asked.
  const handle: RuntimeHandle = {
    config,
    card: () => serving.ref().current.card,
    provider: serving.provider,
    get providerFailures() {
      return serving.providerFailures();
    },
    counters,
    edge,
    metrics: a.metrics,
    get opsUrl() {
      return a.ops()?.url;
    },
    httpRefused: a.httpRefused,
    get fleet() {
      return flow.fleet();
    },
    verdicts: events.verdicts$,
    alerts: events.alerts$,
    readings: events.readings.asObservable(),
    accepted: events.accepted.asObservable(),
    refusing: events.refusing.asObservable(),
    rejected: events.rejected.asObservable(),
    detections: events.detections.asObservable(),
    connection: events.connection.asObservable(),
    reloads: events.reloads.asObservable(),
    get adaptation() {
      return serving.adaptationNow();
    },
    health: () => {
      a.syncEdge();
      return a.health();
    },
    latency: () => ({ p50: flow.latency.quantile(0.5), p99: flow.latency.quantile(0.99) }),
    learning: (sensor) => a.thresholds().learning(sensor),
    openAlerts: () => a.thresholds().alerts.openAlerts(),
    isSilent: (sensor) => a.thresholds().silence?.stateOf(sensor)?.silent ?? false,
    silentSensors: () => a.thresholds().silence?.silentSensors() ?? [],
    levelDrift: (sensor) => a.thresholds().levelDrift(sensor),
    inputShifts: (sensor) => a.thresholds().inputShifts(sensor),
    command: (what, sensor, windows, by) => a.commands.command(what, sensor, windows, by),
    reAnchoring: (sensor) => a.thresholds().reAnchors.progress(sensor),
    maintenance: (sensor) => a.thresholds().alerts.maintenanceOf(sensor),
    persist: () => a.thresholds().persist(),
    drainAlerts: (ms) => a.sinks().drain(ms),
    stop: () => (stopping ??= stop().finally(resolveStopped)),
    stopped,
  };
  const parts = [...a.parts];
  if (deps.attached) parts.splice(parts.indexOf(flow.intake), 0, deps.attached(handle));
  life = new Lifecycle(parts, { onCleanupError: (err) => log.warn({ err: err.message }, 'a part failed to stop after a failed start') });
  await life.start();
  a.state = 'ok';
  return handle;
}
