/**
 * The live process: MQTT source -> decode -> pipeline (window, batch, infer, threshold, alert) -> sinks, plus
 * the ops around it (metrics and health server, threshold state persistence, model hot reload, graceful stop).
 * `startRuntime(config)` returns a handle with `stop()`, metrics, and event streams for the dashboard.
 */
import { BehaviorSubject, ReplaySubject, Subject, retry, takeUntil, tap, timer, type Subscription } from 'rxjs';
import v8 from 'node:v8';
import type { MqttClient } from 'mqtt';
import type { RunConfig } from '../config/schema.ts';
import { createCodec } from '../codecs/registry.ts';
import { decode } from '../codecs/decode.ts';
import { compileTopicTemplate, topicRouter } from '../mqtt/topic-template.ts';
import { connectBroker, redactedUrl, waitConnected } from '../mqtt/connect.ts';
import { publishCodecRequest } from '../mqtt/codec-requests.ts';
import { handOverState, joinFleet } from '../fleet/index.ts';
import { loadModel } from '../model/load.ts';
import { servingRanges } from '../model/ranges.ts';
import type { ModelCard } from '../model/card.ts';
import type { BatchRunner } from '../inference/model-ref.ts';
import { openModel } from '../inference/open-model.ts';
import { createPipeline } from '../stream/pipeline.ts';
import { createCounters } from '../stream/counters.ts';
import type { AlertEvent, Detection, Reading, Rejected, Verdict } from '../stream/types.ts';
import { createLogger } from './logger.ts';
import { createEdgeCounters, createMetrics } from './metrics.ts';
import { startOpsServer, type HealthReport, type OpsServer } from './http.ts';
import { openSinks } from './sinks.ts';
import { reloadModel, watchModel, type ReloadOutcome } from './reload.ts';
import { startAdaptation, type Adaptation } from '../adapt/adaptation.ts';
import { LatencyRing } from './latency.ts';
import { openThresholds } from './thresholds.ts';
import { openIntake } from './intake.ts';
import { shedWarning } from './shed-warning.ts';
import { watchDrops } from './drops.ts';
import { admissionPools } from '../stream/admission.ts';
import type { RuntimeDeps, RuntimeHandle } from './handle.ts';

export type { RuntimeDeps, RuntimeHandle } from './handle.ts';

/** Start the runtime; rejects with a clear message when the model, providers or broker cannot be used. */
export async function startRuntime(config: RunConfig, deps: RuntimeDeps = {}): Promise<RuntimeHandle> {
  const log = deps.logger ?? createLogger(config.log.level);
  if (config.lowMemory) {
    // Process-wide V8 settings; they take effect for allocations from here on (set as early as possible).
    // The growth factor (unlike --max-semi-space-size, read only at start) keeps the young generation at 1 MB for
    // embedders (`vigil run` gets it from bin/v8-heap.mjs); optimize-for-size saves ~10 MB (bench/memory.ts).
    v8.setFlagsFromString('--optimize-for-size');
    v8.setFlagsFromString('--semi-space-growth-factor=1');
  }
  const loaded = loadModel(config.model);
  const warmup = [...new Set([1, config.batch.size])];
  // How every session of this runtime is opened: at start and on each hot reload.
  const sessionOptions = { providers: config.inference.providers, threads: config.inference.threads, spinning: config.inference.spinning, worker: config.inference.worker, warmup };
  const opened = await openModel(loaded, sessionOptions);
  const { ref, resolved } = opened;
  for (const f of resolved.failures) log.warn({ provider: f.provider, reason: f.reason }, `execution provider ${f.provider} unavailable, fell back`);
  log.info({ model: `${loaded.card.name}@${loaded.card.version}`, warmupMs: Math.round(opened.warmupMs) }, opened.report);
  let provider = resolved.provider;
  const counters = createCounters();
  const edge = createEdgeCounters();
  let syncEdge = () => {};
  const metrics = createMetrics(counters, edge, { beforeCollect: () => syncEdge() });
  metrics.setProvider(provider, loaded.card.name, loaded.card.version);

  const cleanup: (() => Promise<void> | void)[] = [() => ref.close()];
  const fail = async (err: unknown): Promise<never> => {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
    throw err;
  };

  let client: MqttClient | undefined;
  try {
    const templates = config.source.topics.map((t) => compileTopicTemplate(t, config.source.sensorId));
    const codec = createCodec(config.source.codec, { channels: loaded.card.channels, timestamp: config.source.timestamp, paths: config.source.channels, request: (r) => publishCodecRequest(client, r, log) });
    const th = openThresholds(config, ref, log, edge);
    cleanup.push(() => th.stop());

    client = connectBroker(config.broker, log);
    const c = client;
    cleanup.push(() => new Promise<void>((r) => c.end(true, {}, () => r())));
    await waitConnected(client, config.broker.connectTimeoutMs);
    const fleet = config.fleet ? await joinFleet({ broker: config.broker, fleet: config.fleet, log }) : undefined;
    if (fleet) cleanup.push(() => fleet.leave());

    const sinks = openSinks(client, config, log, edge, () => ref.current.card);
    syncEdge = sinks.sync;

    const verdicts = new Subject<Verdict>();
    const alerts = new Subject<AlertEvent>();
    const readings = new Subject<Reading>();
    const rejected = new Subject<Rejected>();
    const detections = new Subject<Detection>();
    const reloads = new Subject<ReloadOutcome>();
    const latency = new LatencyRing();
    const stop$ = new ReplaySubject<void>(1);
    const startedAt = Date.now();
    let lastMessageAt = 0;
    let state: HealthReport['status'] = 'starting';
    let pipelineRestarts = 0;
    let verdictCount = 0;
    let adaptation: Adaptation | undefined;

    // In a fleet, sensor states (threshold, residual mean, open alert) travel with their partitions (runtime/fleet/handover.ts).
    const handover = fleet && config.fleet?.stateHandover ? handOverState(client, fleet, th, { prefix: config.fleet.prefix, intervalMs: config.fleet.stateIntervalMs, log }) : undefined;
    if (handover) cleanup.push(() => handover.stop());

    const shed = shedWarning(log, config.batch.maxPendingBytes);
    const drops = watchDrops(counters, config.health, log);
    cleanup.push(() => shed.flush(), () => drops.flush());
    const intake = openIntake(client, config, templates, { fleet, extra: deps.source, log, edge });
    cleanup.push(() => intake.close());
    const pipeline = createPipeline({
      model: ref,
      thresholds: th.bank,
      window: { ...config.window, onDrop: drops.drop, onEvict: drops.evict },
      batch: { size: config.batch.size, maxWaitMs: config.batch.maxWaitMs },
      infer: {
        maxBatch: Math.max(config.batch.maxBatch, config.batch.size),
        maxPendingBytes: config.batch.maxPendingBytes,
        onShed: shed.shed,
        onPending: intake.gate.update,
        residuals: th.residuals,
        onBatch: (b) => metrics.observeBatch(b.size, b.inferMs),
        onError: (err, size) => log.warn({ err: (err as Error)?.message ?? String(err), windows: size }, 'inference batch failed; its windows were dropped'),
      },
      smoothing: th.smoothing,
      alerts: { bank: th.alerts, topK: config.alerts.topChannels },
      counters,
    });

    const connection = new BehaviorSubject<boolean>(client.connected);
    client.on('connect', () => connection.next(true));
    client.on('close', () => connection.value && connection.next(false));
    const source$ = intake.messages.pipe(
      tap(() => {
        edge.messages++;
        lastMessageAt = Date.now();
      }),
      takeUntil(stop$),
    );

    const onRejected = (r: Rejected) => {
      sinks.reject(r);
      rejected.next(r);
    };

    const onDetection = (d: Detection) => {
      try {
        deliver(d);
      } catch (err) {
        // An exception here would escape RxJS as an uncaught error and end the process; log it and go on.
        log.error({ err: (err as Error).message, sensor: d.verdict.sensor }, 'failed to deliver a verdict');
      }
    };
    const deliver = (d: Detection) => {
      const v = d.verdict;
      // Latency is sampled (1 verdict in 8): percentiles stay accurate and the hot path stays cheap.
      if ((++verdictCount & 7) === 0) {
        const ms = Date.now() - v.receivedAt;
        latency.push(ms);
        metrics.observeLatency(ms);
      }
      adaptation?.observe(d);
      detections.next(d);
      verdicts.next(v);
      if (!d.alert) return;
      sinks.alert(d.alert);
      alerts.next(d.alert);
      th.persistSoon();
    };

    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let drained!: () => void;
    const drainedP = new Promise<void>((r) => (drained = r));
    const sub: Subscription = source$
      .pipe(
        decode({ codec, route: topicRouter(templates), maxPayloadBytes: config.source.maxPayloadBytes, onRejected, poolOf: config.window.admission && admissionPools(config.window.admission, 0).poolOf, ranges: () => servingRanges(ref.current.card) }),
        tap((r) => {
          edge.decoded++;
          readings.next(r);
        }),
        pipeline.detect,
        retry({
          delay: (err: Error) => {
            pipelineRestarts++;
            log.error({ err: err.message, restarts: pipelineRestarts }, 'pipeline failed; restarting it in 1 s');
            return timer(1000);
          },
        }),
      )
      .subscribe({ next: onDetection, complete: () => drained(), error: () => drained() });
    cleanup.push(() => sub.unsubscribe());

    // Report ready only once the broker has confirmed the subscriptions, so nothing published after is missed.
    await Promise.race([intake.subscribed, new Promise((r) => setTimeout(r, config.broker.connectTimeoutMs).unref())]);

    const reloaded = (o: ReloadOutcome) => {
      reloads.next(o);
      if (o.kind === 'swapped') {
        edge.reloads++;
        provider = o.provider;
        metrics.setProvider(o.provider, o.to.name, o.to.version);
        th.modelChanged(o.to);
        log.info({ from: `${o.from.name}@${o.from.version}`, to: `${o.to.name}@${o.to.version}`, provider: o.provider }, 'model hot-reloaded; per-sensor thresholds start afresh from its card');
      } else if (o.kind === 'refused') {
        edge.reloadFailures++;
        const cur = ref.current.card;
        log.error({ reason: o.reason, serving: `${cur.name}@${cur.version}` }, `model reload refused; still serving ${cur.name}@${cur.version}`);
      }
    };
    // With adaptation on, every model swapped in (by it or by the watcher) first has its residual means seeded.
    const prepare = (card: ModelCard, session: BatchRunner) => adaptation?.prepareSwap(card, session) ?? Promise.resolve();
    const stopWatch = config.reload.watch ? watchModel({ model: config.model, ref, ...sessionOptions, prepare, debounceMs: config.reload.debounceMs, onOutcome: reloaded }) : () => {};
    cleanup.push(stopWatch);
    // Learning on the gateway (config adapt): its reservoir sees every detection; it swaps through the same reload.
    const reload = () => reloadModel({ model: config.model, ref, ...sessionOptions, prepare }).then((o) => (reloaded(o), o));
    adaptation = config.adapt.enabled
      ? startAdaptation({ config: config.adapt, model: config.model, card: () => ref.current.card, reload, log, registry: metrics.registry, seedResiduals: (card, means) => th.residuals.seed(card, means) })
      : undefined;
    cleanup.push(() => adaptation?.stop());

    const health = (): HealthReport => {
      const connected = c.connected;
      const dropped = drops.health();
      // A lost persistent session lost readings upstream, uncounted: degraded for as long as drops would count.
      const sessionLostAgoMs = edge.sessionLostAt > 0 ? Date.now() - edge.sessionLostAt : null;
      const sessionLost = sessionLostAgoMs !== null && sessionLostAgoMs < config.health.dropWindowMs;
      const status: HealthReport['status'] = state !== 'ok' ? state : connected && !dropped.degraded && !sessionLost ? 'ok' : 'degraded';
      const card = ref.current.card;
      return {
        status,
        broker: { connected, url: redactedUrl(config.broker.url), ...(sessionLostAgoMs !== null ? { sessionsLost: edge.sessionsLost, sessionLostAgoMs } : {}) },
        model: { name: card.name, version: card.version },
        provider,
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        lastMessageAgoMs: lastMessageAt ? Date.now() - lastMessageAt : null,
        sensors: counters.activeSensors,
        pendingWindows: counters.pending,
        alertsWaiting: sinks.waiting(),
        pipelineRestarts,
        dropped,
        ...(fleet ? { fleet: { group: fleet.group, worker: fleet.workerId, members: fleet.current().members, partitions: fleet.current().owned.length } } : {}),
      };
    };

    let ops: OpsServer | undefined;
    if (config.metrics.port !== null) {
      ops = await startOpsServer({ port: config.metrics.port, host: config.metrics.host, metrics: metrics.text, contentType: metrics.registry.contentType, health, ...config.http });
      const o = ops;
      cleanup.push(() => o.close());
    }
    th.start();
    state = 'ok';

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        state = 'stopping';
        stopWatch();
        stop$.next();
        // Hand our partitions to the other workers now, while we drain what we already took.
        await handover?.publishNow();
        handover?.stop();
        await fleet?.leave();
        // Intake is closed: windows already cut are flushed through inference and the alert stage.
        const drainTimeout = new Promise<void>((r) => setTimeout(r, 5000).unref());
        await Promise.race([drainedP, drainTimeout]);
        sub.unsubscribe();
        shed.flush();
        drops.flush();
        await sinks.drain(5000);
        await th.stop();
        await adaptation?.stop();
        await sinks.close();
        await new Promise<void>((r) => c.end(false, {}, () => r()));
        await ref.close();
        await ops?.close();
        for (const s of [verdicts, alerts, readings, rejected, detections, reloads]) s.complete();
        connection.complete();
        log.info({ messages: edge.messages, scored: counters.scored, alerts: counters.alertsOpened }, 'stopped');
        resolveStopped();
      })();
      return stopping;
    };

    return {
      config,
      card: () => ref.current.card,
      provider: () => provider,
      providerFailures: resolved.failures,
      counters,
      edge,
      metrics,
      opsUrl: ops?.url,
      fleet,
      verdicts: verdicts.asObservable(),
      alerts: alerts.asObservable(),
      readings: readings.asObservable(),
      rejected: rejected.asObservable(),
      detections: detections.asObservable(),
      connection: connection.asObservable(),
      reloads: reloads.asObservable(),
      adaptation,
      health: () => {
        syncEdge();
        return health();
      },
      latency: () => ({ p50: latency.quantile(0.5), p99: latency.quantile(0.99) }),
      learning: (sensor) => th.learning(sensor),
      persist: () => th.persist(),
      drainAlerts: (ms) => sinks.drain(ms),
      stop: async () => {
        syncEdge();
        await stop();
        syncEdge();
      },
      stopped,
    };
  } catch (err) {
    return fail(err);
  }
}
