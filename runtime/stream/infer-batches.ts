/**
 * SensorWindow[] -> ScoredWindow: one inference call per batch, one at a time, each sensor's windows in order.
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
import type { ModelOutputs } from '../scoring/score-outputs.ts';
import { BatchInput } from './batch-input.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { Flight } from './flight.ts';
import { PendingQueue } from './pending-queue.ts';
import { scoreBatch, type BatchScores } from './score-batch.ts';
import type { ScoredWindow, SensorWindow } from './types.ts';
import { definedOnly } from '../util/options.ts';
import { BATCH_DEFAULTS } from '../config/batch.ts';

/** What happened in one batch, for metrics and flow control. */
export interface BatchReport {
  size: number;
  /** Wall time of the inference call (ms). */
  inferMs: number;
  /** Wall time spent copying (and re-scaling) the windows into the batch input (ms). */
  assembleMs: number;
  /** Wall time spent scoring the batch and emitting its scored windows (ms). */
  scoreMs: number;
  provider: string;
  /** Windows still waiting after this batch. */
  pending: number;
}

/** Options of `inferBatches`. */
export interface InferBatchesOptions {
  /** Largest batch sent to the model. */
  maxBatch?: number;
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
  /** Called whenever the waiting windows change, with the bytes they take (0 on teardown); intake flow control. */
  onPending?: (bytes: number) => void;
}

/** Fallbacks of `inferBatches` used without a config: the config schema's `batch` defaults (runtime/config/batch.ts). */
export const INFER_DEFAULTS = { maxBatch: BATCH_DEFAULTS.maxBatch, maxPendingBytes: BATCH_DEFAULTS.maxPendingBytes, maxConsecutiveErrors: 3 } as const;

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
  const o = { ...INFER_DEFAULTS, ...definedOnly(opts) };
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1) throw new Error(`inferBatches: maxBatch must be an integer >= 1, got ${o.maxBatch}`);
  const counters = opts.counters ?? createCounters();
  return (source) =>
    new Observable<ScoredWindow>((subscriber) => {
      const queue = new PendingQueue<SensorWindow>(o.maxPendingBytes, pendingWindowBytes, (w) => {
        counters.droppedQueueFull++;
        if (w.rows) {
          w.rows.release(w.seq);
          w.rows = undefined;
        }
        opts.onShed?.(w);
      });
      const gauge = () => {
        counters.pending = queue.size;
        counters.pendingBytes = queue.bytes;
        opts.onPending?.(queue.bytes);
      };
      const input = new BatchInput(o.maxBatch, counters);
      const residuals = opts.residuals ?? new TrackedResiduals();
      // The one batch in flight (inference runs one batch at a time).
      let inflight: Flight | undefined;
      let upstream: { done: true; error?: unknown; failed: boolean } | undefined;
      let closed = false;
      let failures = 0;
      // True while runBatch is on the stack: a runner that answers synchronously must not recurse into pump().
      let starting = false;

      const finish = () => {
        if (!upstream || inflight || queue.size > 0) return;
        if (upstream.failed) subscriber.error(upstream.error);
        else subscriber.complete();
      };

      const pump = (): void => {
        while (!inflight && !closed) {
          const batch = queue.take(o.maxBatch);
          gauge();
          if (batch.length === 0) return finish();
          runBatch(batch);
        }
      };

      const runBatch = (batch: SensorWindow[]) => {
        const held = ref.acquire();
        const { card } = held;
        const W = card.window;
        const C = card.channels.length;
        const ta = performance.now();
        const bad = input.assemble(batch, W * C, C, card.scaler);
        if (bad >= 0) {
          // Only a caller feeding windows of another shape gets here (swaps keep the shape): a bug, not data.
          const w = batch[bad];
          held.release();
          closed = true;
          subscriber.error(new Error(`inferBatches: window of sensor '${w.sensor}' has ${w.rows ? w.rows.width : w.data.length} values; expected ${W} x ${C} = ${W * C} for model ${card.name}`));
          return;
        }
        counters.batches++;
        const t0 = performance.now();
        const flight = new Flight(batch, input.input, held, t0, t0 - ta);
        inflight = flight;
        starting = true;
        try {
          flight.start(onResult, onFailure, settle);
        } finally {
          starting = false;
        }
      };

      const settle = (flight: Flight, err: unknown, outputs?: ModelOutputs) => {
        if (flight.done) return;
        flight.done = true;
        const inferMs = performance.now() - flight.t0;
        flight.sub.unsubscribe();
        if (inflight === flight) inflight = undefined;
        flight.held.release();
        if (closed) return;
        let scored: BatchScores | undefined;
        if (err === undefined && outputs) {
          try {
            scored = scoreBatch(flight, outputs, residuals);
          } catch (e) {
            err = e;
          }
        }
        if (scored) emitScored(flight, scored, inferMs);
        else if (!failed(flight, err)) return;
        if (!starting) pump();
      };

      /** Complete each window of the batch in place into its ScoredWindow and emit it, then report the batch. */
      const emitScored = (flight: Flight, { scores, perChannel }: BatchScores, inferMs: number) => {
        const { batch, held } = flight;
        const n = batch.length;
        const C = held.card.channels.length;
        const provider = held.session.provider;
        failures = 0;
        counters.scored += n;
        for (let i = 0; i < n && !closed; i++) {
          // Windows belong to the pipeline once cut: complete each in place rather than copy it (hot path).
          const w = batch[i] as ScoredWindow;
          w.score = scores[i];
          w.perChannel = perChannel.subarray(i * C, (i + 1) * C);
          w.provider = provider;
          subscriber.next(w);
        }
        opts.onBatch?.({ size: n, inferMs, assembleMs: flight.assembleMs, scoreMs: performance.now() - flight.t0 - inferMs, provider, pending: queue.size });
      };

      /** A failed batch: its windows are dropped and counted; false when failures in a row ended the stream. */
      const failed = (flight: Flight, err: unknown): boolean => {
        const n = flight.batch.length;
        counters.inferenceErrors++;
        counters.droppedInferenceError += n;
        failures++;
        opts.onError?.(err, n);
        if (failures < o.maxConsecutiveErrors) return true;
        closed = true;
        subscriber.error(new Error(`inference failed ${failures} times in a row on ${flight.held.session.provider}: ${(err as Error)?.message ?? String(err)}`));
        return false;
      };

      // Created once per subscription, not per batch; after teardown nothing is in flight and they do nothing.
      const onResult = (r: ModelOutputs) => {
        if (inflight) settle(inflight, undefined, r);
      };
      const onFailure = (err: unknown) => {
        if (inflight) settle(inflight, err ?? new Error('inference failed'));
      };

      const sub = source.subscribe({
        next: (windows) => {
          let i = 0;
          // An idle model takes the batch as it comes; only windows that must wait are subject to the queue's bounds.
          if (!inflight && !closed && queue.size === 0 && windows.length > 0) {
            i = Math.min(windows.length, o.maxBatch);
            runBatch(i === windows.length ? windows : windows.slice(0, i));
          }
          for (; i < windows.length; i++) queue.push(windows[i]);
          gauge();
          pump();
        },
        error: (error) => {
          upstream = { done: true, error, failed: true };
          finish();
        },
        complete: () => {
          upstream = { done: true, failed: false };
          finish();
        },
      });
      return () => {
        closed = true;
        sub.unsubscribe();
        if (inflight) {
          const flight = inflight;
          inflight = undefined;
          flight.abandon();
        }
        counters.pending = 0;
        counters.pendingBytes = 0;
        opts.onPending?.(0);
      };
    });
}
