/**
 * The one detection path, shared by `vigil run` (MQTT) and `vigil score` (CSV):
 * Reading -> reorderBySensor -> windowBySensor -> microBatch -> inferBatches -> applyThresholds -> trackAlerts -> Detection.
 */
import { asyncScheduler, filter, map, pipe, share, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { trackAlerts, type RaiseAlertsOptions } from '../alerts/raise-alerts.ts';
import type { ModelRef } from '../inference/model-ref.ts';
import { applyThresholds } from './apply-thresholds.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { INFER_DEFAULTS, inferBatches, type InferBatchesOptions } from './infer-batches.ts';
import { microBatch } from './micro-batch.ts';
import { ThresholdBank, type ScoreSmoother, type ThresholdFactory } from './threshold-bank.ts';
import type { AlertEvent, Detection, Reading, SensorWindow, Verdict } from './types.ts';
import { admissionPools } from './admission.ts';
import { reorderBySensor, type ReorderBySensorOptions, type ReorderControl } from './reorder-by-sensor.ts';
import { WINDOW_DEFAULTS, windowBySensor, type WindowBySensorOptions } from './window-by-sensor.ts';
// Fallbacks when used without a config: the schema's defaults.
import { BATCH_DEFAULTS } from '../config/batch.ts';

/** Everything the pipeline needs; all but `model` and `thresholds` have defaults. */
export interface PipelineOptions {
  /** The model in service (swap it for hot reload). */
  model: ModelRef;
  /** Per-sensor thresholds: a bank (to persist states) or a factory. */
  thresholds: ThresholdBank | ThresholdFactory;
  /** The `window` config section: the reorder stage's keys and the window stage's. */
  window?: Omit<WindowBySensorOptions, 'counters'> & Omit<ReorderBySensorOptions, 'counters' | 'scheduler' | 'maxSensors'>;
  /** Micro-batching: flush at `size` windows or `maxWaitMs` after the first, or earlier with `adaptiveWait` (defaults: the config schema's). */
  batch?: { size?: number; maxWaitMs?: number; adaptiveWait?: boolean };
  infer?: Omit<InferBatchesOptions, 'counters'>;
  /** Smoothing of scores before thresholds (EWMA weight or per-sensor smoother factory); omit for none. */
  smoothing?: number | ((sensor: string) => ScoreSmoother);
  alerts?: Omit<RaiseAlertsOptions, 'card' | 'counters'>;
  counters?: PipelineCounters;
  scheduler?: SchedulerLike;
  /** The reorder stage's clock when not `scheduler` (the live runtime's stops while its QoS 1 intake is held: runtime/ops/paused-clock.ts). */
  reorderScheduler?: SchedulerLike;
  /** A moving bound on the readings the reorder stage holds (reorderBySensor's `maxHeld`). */
  reorderMaxHeld?: () => number;
}

/** A composed pipeline and the state its caller may read or persist. */
export interface Pipeline {
  /** Reading -> Detection, the whole path. */
  detect: OperatorFunction<Reading, Detection>;
  counters: PipelineCounters;
  thresholds: ThresholdBank;
  model: ModelRef;
}

/** Compose the stages with shared counters. */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const counters = opts.counters ?? createCounters();
  const thresholds = opts.thresholds instanceof ThresholdBank ? opts.thresholds : new ThresholdBank(opts.thresholds);
  const cardOf = opts.model.cardOf;
  const size = opts.batch?.size ?? BATCH_DEFAULTS.size;
  const w = opts.window ?? {};
  // A clock the window stage steps back starts the reorder stage's order afresh too (reorder-buffer.ts `resetClock`).
  const order: ReorderControl = {};
  const onClockStep: NonNullable<typeof w.onClockStep> = (sensor, fromTs, toTs, forward) => {
    if (!forward) order.resetClock?.(sensor);
    w.onClockStep?.(sensor, fromTs, toTs, forward);
  };
  const reorder = reorderBySensor({
    reorderMs: w.reorderMs,
    reorderAlways: w.reorderAlways,
    reorderArmMs: w.reorderArmMs,
    reorderMaxPerSensor: w.reorderMaxPerSensor,
    reorderMaxReadings: w.reorderMaxReadings,
    maxSensors: admissionPools(w.admission, w.maxSensors ?? WINDOW_DEFAULTS.maxSensors).capacity,
    counters,
    scheduler: opts.reorderScheduler ?? opts.scheduler,
    maxHeld: opts.reorderMaxHeld,
    control: order,
  });
  const detect = pipe(
    reorder,
    // Windows are views into their sensor's rows until inferBatches assembles their batch.
    windowBySensor(cardOf, { ...opts.window, onClockStep, views: true, counters }),
    microBatch<SensorWindow>({ size, maxWaitMs: opts.batch?.maxWaitMs ?? BATCH_DEFAULTS.maxWaitMs, adaptive: opts.batch?.adaptiveWait ?? BATCH_DEFAULTS.adaptiveWait, scheduler: opts.scheduler ?? asyncScheduler }),
    inferBatches(opts.model, { ...opts.infer, maxBatch: atLeast(size, opts.infer?.maxBatch ?? INFER_DEFAULTS.maxBatch), counters }),
    applyThresholds(thresholds, { smoothing: opts.smoothing, counters }),
    trackAlerts({ ...opts.alerts, card: cardOf, counters }),
  );
  return { detect, counters, thresholds, model: opts.model };
}

/** Split a detection stream into verdicts and alerts over one shared subscription. */
export function splitDetections(detections$: Observable<Detection>): { verdicts$: Observable<Verdict>; alerts$: Observable<AlertEvent> } {
  const shared$ = detections$.pipe(share());
  return {
    verdicts$: shared$.pipe(map((d) => d.verdict)),
    alerts$: shared$.pipe(
      filter((d) => d.alert !== undefined),
      map((d) => d.alert!),
    ),
  };
}

/** A largest batch no smaller than the micro-batch (`batch.size`), per provider where it is one. */
function atLeast(size: number, most: NonNullable<InferBatchesOptions['maxBatch']>): NonNullable<InferBatchesOptions['maxBatch']> {
  return typeof most === 'number' ? Math.max(size, most) : (provider) => Math.max(size, most(provider));
}
