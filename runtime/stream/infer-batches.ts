/**
 * SensorWindow[] -> ScoredWindow: one inference call per batch, one at a time (as many as the session takes at
 * once, `InferenceSession.concurrency`, emitted in the order they started), each sensor's windows in order.
 * While a batch runs, arriving windows wait in a PendingQueue (one lane per sensor, served round-robin) and are
 * taken as the next batch, up to `maxBatch`, so a backlog is scored in large batches instead of being dropped.
 * Waiting windows are bounded by bytes (`maxPendingBytes`); beyond it the oldest windows of the longest backlog
 * are shed, counted (`droppedQueueFull`) and reported to `onShed`. A view window (windowBySensor's `views`) is
 * copied from its sensor's rows straight into the reused batch input when its batch is assembled, and its `data`
 * becomes a view over that input; each window object is completed in place into its ScoredWindow (no per-window
 * copy on the hot path beyond that one materialisation).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { ModelRef, type ModelHandle } from '../inference/model-ref.ts';
import { TrackedResiduals } from '../scoring/residual-baselines.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { InferenceLoop, type BatchReport } from './inference-loop.ts';
import type { ScoredWindow, SensorWindow } from './types.ts';
import { definedOnly } from '../util/options.ts';
import { BATCH_DEFAULTS } from '../config/batch.ts';
import { AUTO_MAX_BATCH } from '../inference/max-batch.ts';

export type { BatchReport } from './inference-loop.ts';

/** Options of `inferBatches`. */
export interface InferBatchesOptions {
  /**
   * Largest batch sent to the model: a number, or one per provider of the model in service (config `batch.maxBatch:
   * auto`, `maxBatchFor`), asked at each batch, so a hot reload that lands on another provider takes its own.
   */
  maxBatch?: number | ((provider: string) => number);
  /** Memory the waiting windows may take (bytes, as `pendingWindowBytes` counts them); beyond it windows are shed. */
  maxPendingBytes?: number;
  /** Fail the stream after this many failed batches in a row (default 3); fewer are dropped and counted. */
  maxConsecutiveErrors?: number;
  counters?: PipelineCounters;
  /** Called after every batch's results were emitted. */
  onBatch?: (report: BatchReport) => void;
  /** Per-sensor residual means of tracking Mahalanobis scoring (pass one to persist them; default: a fresh one). */
  residuals?: TrackedResiduals;
  /** Called for every failed batch (logged by the caller; the windows are dropped and counted). */
  onError?: (error: unknown, size: number) => void;
  /** Called for every window shed because waiting windows would pass `maxPendingBytes` (after counting it). */
  onShed?: (window: SensorWindow) => void;
  /**
   * Called whenever the waiting windows change, with the bytes they take and how many windows wait or are in flight
   * (0, 0 on teardown); intake flow control (runtime/ops/intake-pressure.ts).
   */
  onPending?: (bytes: number, windows: number) => void;
}

/**
 * Fallbacks of `inferBatches` used without a config: the config schema's `batch` defaults (runtime/config/batch.ts),
 * the largest batch as `auto` gives it on the CPU providers.
 */
export const INFER_DEFAULTS = { maxBatch: AUTO_MAX_BATCH.cpu, maxPendingBytes: BATCH_DEFAULTS.maxPendingBytes, maxConsecutiveErrors: 3 } as const;

/**
 * Memory of one window object beyond its values, measured as RSS growth per window held (Node 22, 100k windows:
 * about 625 B for the object, its Float32Array and the array buffer's own allocation).
 */
export const PENDING_WINDOW_OVERHEAD_BYTES = 640;

/**
 * Memory of one view window beyond the rows it keeps: its object and its small views, measured as RSS growth per
 * window held (100k held: 299-324 B, `node bin/run-ts.mjs bench/backlog-memory.ts --per-window`).
 */
export const PENDING_VIEW_OVERHEAD_BYTES = 320;

/**
 * What a waiting view window costs against `maxPendingBytes`: its object plus the `stride` rows it adds to its
 * sensor's log, twice (the log doubles while a backlog grows). The log's own live window (W rows per sensor) is
 * held whether or not windows wait and is not counted.
 */
export const pendingViewBytes = (channels: number, stride = 1): number => PENDING_VIEW_OVERHEAD_BYTES + 2 * stride * channels * 4;

/**
 * What a waiting window costs against `maxPendingBytes`: what it really holds. A view window (the pipeline's) costs
 * readings, not W x C values (`pendingViewBytes`), so the bound holds a backlog of about 100k windows of 8 channels
 * at the default 32 MiB; a window that owns a copy costs its values and object.
 */
export const pendingWindowBytes = (w: SensorWindow): number => (w.rows ? pendingViewBytes(w.rows.channels, w.rows.stride) : w.data.byteLength + PENDING_WINDOW_OVERHEAD_BYTES);

/** Run batches through the model in service and score them as its card says (reconstruction error or probability). */
export function inferBatches(model: ModelRef | ModelHandle, opts: InferBatchesOptions = {}): OperatorFunction<SensorWindow[], ScoredWindow> {
  const ref = model instanceof ModelRef ? model : new ModelRef(model.card, model.session);
  const { maxBatch: most, ...o } = { ...INFER_DEFAULTS, ...definedOnly(opts) };
  if (typeof most === 'number' && (!Number.isInteger(most) || most < 1)) throw new Error(`inferBatches: maxBatch must be an integer >= 1, got ${most}`);
  const maxBatch = typeof most === 'number' ? () => most : () => most(ref.current.session.provider);
  const counters = opts.counters ?? createCounters();
  return (source) =>
    new Observable<ScoredWindow>((subscriber) => {
      // Per-sensor residual means when the card's scoring tracks drift; a swapped-in model starts from its own card.
      const residuals = opts.residuals ?? new TrackedResiduals();
      const loop = new InferenceLoop(ref, { ...o, maxBatch }, counters, residuals, subscriber, pendingWindowBytes);
      const sub = source.subscribe({
        next: (windows) => loop.push(windows),
        error: (error) => loop.end(true, error),
        complete: () => loop.end(false),
      });
      return () => loop.teardown(sub);
    });
}
