/**
 * One run of the live pipeline (runtime/ops/flow.ts starts it with the intake and ends it at the stop): messages ->
 * decode -> window -> infer -> score -> alert, wired to the runtime's counters, sinks and events, and restarted 1 s
 * after a failure. It counts what /health's readability judges as each message is received, decoded and accepted.
 */
import { retry, takeUntil, tap, timer, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { createPipeline } from '../stream/pipeline.ts';
import { pendingViewBytes } from '../stream/infer-batches.ts';
import type { WindowTails } from '../stream/window-tails.ts';
import type { RefusedReadings } from '../stream/data-gaps.ts';
import type { WindowDropReason } from '../stream/window-by-sensor.ts';
import type { Detection, RawMessage, Reading } from '../stream/types.ts';
import type { FlowConfig, FlowDeps, Readability } from './flow.ts';
import type { Intake } from './intake.ts';
import type { ShedWarning } from './shed-warning.ts';
import type { DropWatch } from './drops.ts';
import { intakeClock } from './paused-clock.ts';
import { reorderLimits } from './reorder-limits.ts';
import type { SilenceFlow } from './silence-flow.ts';
import { OUT_OF_ORDER_LEAST } from '../alerts/invalid-signals.ts';
import { maxBatchFor } from '../inference/max-batch.ts';

/** Counts the health report reads. */
export interface FlowStats extends Readability {
  lastMessageAt: number;
  restarts: number;
}

/** What one run of the live pipeline is made of. */
export interface PipelineRun {
  config: FlowConfig;
  deps: FlowDeps;
  into: Intake;
  decoding: OperatorFunction<RawMessage, Reading>;
  shed: ShedWarning;
  drops: DropWatch;
  stats: FlowStats;
  onDetection: (d: Detection) => void;
  /** Sensors' last readings across a restart (none in a fleet or without a state file). */
  tails?: WindowTails;
  /** Readings the decoder refused, per sensor: the gaps they leave are not counted as lost upstream. */
  refused: RefusedReadings;
  /** The silent-sensor watch, which hears every reading decoded. */
  silence: SilenceFlow;
}

/** Messages -> decode -> pipeline -> delivery until `stop$`, restarted 1 s after a failure; `drained` settles at its end. */
export function runPipeline(r: PipelineRun, stop$: Observable<void>): { sub: Subscription; drained: Promise<void> } {
  const { config, deps, stats, shed, drops } = r;
  const { log, edge, metrics, events } = deps;
  const th = deps.thresholds();
  // Per sensor, its readings refused out of order since one was taken in (a clock set back refuses them in a row).
  const outOfOrder = new Map<string, number>();
  const onDrop = (reason: WindowDropReason, sensor: string, ts?: number, lastTs?: number) => {
    drops.drop(reason, sensor);
    // Refused here, they arrived: the step they leave in the sensor's data is no loss (a probe: 20 readings refused
    // out of order were counted again as 20 missing).
    if (reason === 'out_of_order' || reason === 'timestamp_conflict') r.refused.add(sensor);
    if (reason !== 'out_of_order' || ts === undefined || lastTs === undefined) return;
    if (outOfOrder.size >= 100_000 && !outOfOrder.has(sensor)) outOfOrder.clear();
    const inARow = (outOfOrder.get(sensor) ?? 0) + 1;
    outOfOrder.set(sensor, inARow);
    deps.sinks().outOfOrder(sensor, ts, lastTs, Date.now(), inARow);
    if (inARow >= OUT_OF_ORDER_LEAST && events.refusing.observed) events.refusing.next({ sensor, reason });
  };
  const onAccepted = (reading: Reading) => {
    stats.accepted++;
    stats.lastAcceptedAt = Date.now();
    stats.decodedSinceAccepted = 0;
    if (outOfOrder.size > 0) outOfOrder.delete(reading.sensor);
    if (events.accepted.observed) events.accepted.next(reading);
  };
  const windowBytes = pendingViewBytes(deps.ref().cardOf().channels.length, config.window.stride);
  const limits = reorderLimits({ qos: config.source.qos, window: config.window, batch: config.batch, windowBytes });
  if (limits.lowered) log.info({ reorderMaxReadings: limits.reorderMaxReadings, reorderMaxPerSensor: limits.reorderMaxPerSensor }, 'window.reorderMaxReadings lowered to what batch.maxPendingBytes has room for above its QoS 1 pause mark: held readings become windows at once when let go');
  const pipeline = createPipeline({
    model: deps.ref(),
    // A broker away redelivers nothing to a clean session or a QoS 0 subscription: there the clock stops only for holds.
    reorderScheduler: intakeClock(config.source.qos >= 1 && config.broker.clean === false ? r.into.stillness : r.into.gate),
    // At QoS 1 the readings it holds were acknowledged: no more than a stop could still score.
    reorderMaxHeld: config.source.qos >= 1 ? r.into.pressure.heldRoom : undefined,
    thresholds: th.bank,
    // In a fleet a sensor's partition may have been with another worker: its steps are not counted as losses.
    window: { ...config.window, reorderMaxReadings: limits.reorderMaxReadings, reorderMaxPerSensor: limits.reorderMaxPerSensor, tails: r.tails, countGaps: !config.fleet, countAfterRestart: config.broker.clean === false && config.source.qos === 1, refused: r.refused, onDrop, onAccepted, onEvict: drops.evict, onDuplicate: drops.duplicate, onGap: drops.gap, onPace: drops.pace, onClockStep: drops.clockStep, onMissing: (sensor, channels, at) => deps.sinks().missing(sensor, channels, at) },
    batch: { size: config.batch.size, maxWaitMs: config.batch.maxWaitMs, adaptiveWait: config.batch.adaptiveWait },
    infer: {
      // Asked at each batch: a hot reload may land on another provider (createPipeline keeps it >= batch.size).
      maxBatch: (provider) => maxBatchFor(config.batch.maxBatch, provider),
      maxPendingBytes: config.batch.maxPendingBytes,
      onShed: shed.shed,
      onPending: r.into.pressure.pending,
      residuals: th.residuals,
      onBatch: (b) => {
        metrics.observeBatch(b.size, b.inferMs);
        r.into.pressure.batch(b);
      },
      onError: (err, size) => log.warn({ err: (err as Error)?.message ?? String(err), windows: size }, 'inference batch failed; its windows were dropped'),
    },
    smoothing: th.smoothing,
    alerts: { bank: th.alerts, topK: config.alerts.topChannels },
    counters: deps.counters,
  });
  const seen = () => {
    edge.messages++;
    stats.lastMessageAt = Date.now();
    stats.firstMessageAt ||= stats.lastMessageAt;
  };
  const decoded = (reading: Reading) => {
    edge.decoded++;
    stats.lastDecodedAt = stats.lastMessageAt;
    stats.rejectedSinceDecoded = 0;
    if (stats.decodedSinceAccepted++ === 0) stats.firstDecodedSinceAcceptedAt = stats.lastMessageAt;
    // Its message's arrival (a replayed or injected reading may carry another receivedAt): the wall clock `seen` just took.
    r.silence.heard(reading.sensor, stats.lastMessageAt);
    if (events.readings.observed) events.readings.next(reading);
  };
  const retryLater = (err: Error) => {
    stats.restarts++;
    log.error({ err: err.message, restarts: stats.restarts }, 'pipeline failed; restarting it in 1 s');
    return timer(1000);
  };
  let done!: () => void;
  const drained = new Promise<void>((res) => (done = res));
  const sub = r.into.messages
    .pipe(tap(seen), takeUntil(stop$), r.decoding, tap(decoded), pipeline.detect, retry({ delay: retryLater }))
    .subscribe({ next: r.onDetection, complete: () => done(), error: () => done() });
  return { sub, drained };
}
