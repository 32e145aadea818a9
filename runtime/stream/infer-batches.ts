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
import { from, Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { ModelRef, type AcquiredModel, type ModelHandle } from '../inference/model-ref.ts';
import { TrackedResiduals } from '../scoring/residual-baselines.ts';
import { scoreOutputs, type ModelOutputs } from '../scoring/score-outputs.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { PendingQueue } from './pending-queue.ts';
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
      let scratch = new Float32Array(0);
      // Per-sensor residual means when the card's scoring tracks drift; a swapped-in model starts from its own card.
      const residuals = opts.residuals ?? new TrackedResiduals();
      const meanOfFor = (card: AcquiredModel['card'], batch: SensorWindow[]): ((i: number) => Float64Array) | undefined => {
        const baselines = residuals.for(card);
        return baselines && ((i) => baselines.of(batch[i].sensor));
      };
      // The one batch in flight (inference runs one batch at a time).
      let inflight: Flight | undefined;
      let upstream: { done: true; error?: unknown; failed: boolean } | undefined;
      let closed = false;
      let failures = 0;
      // True while runBatch is on the stack: a runner that answers synchronously must not recurse into pump().
      let starting = false;
      // The batch input: a view over `scratch` kept while batches keep their size, so the session can reuse its tensor.
      let input = scratch;

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
        const { card, session } = held;
        const W = card.window;
        const C = card.channels.length;
        const n = batch.length;
        const wc = W * C;
        const ta = performance.now();
        if (scratch.length < n * wc) scratch = new Float32Array(Math.max(n, Math.min(o.maxBatch, 2 * n)) * wc);
        if (input.buffer !== scratch.buffer || input.length !== n * wc) input = scratch.subarray(0, n * wc);
        for (let i = 0; i < n; i++) {
          const w = batch[i];
          const rows = w.rows;
          const width = rows ? rows.width : w.data.length;
          if (width !== wc) {
            // Only a caller feeding windows of another shape gets here (swaps keep the shape): a bug, not data.
            held.release();
            closed = true;
            subscriber.error(new Error(`inferBatches: window of sensor '${w.sensor}' has ${width} values; expected ${W} x ${C} = ${wc} for model ${card.name}`));
            return;
          }
          if (rows) {
            // A view: its rows go straight into the batch input, and it lets its sensor's log forget them.
            w.rows = undefined;
            if (w.scaler && w.scaler !== card.scaler) {
              // The model was swapped while it waited (rare): it keeps its own copy, in the scale it was cut in.
              w.data = new Float32Array(wc);
              rows.copyWindow(w.seq, w.data, 0);
              rescaleInto(w.data, w.scaler, card.scaler, input, i * wc, C);
              counters.rescaled++;
            } else {
              rows.copyWindow(w.seq, input, i * wc);
              w.data = input.subarray(i * wc, (i + 1) * wc);
            }
            rows.release(w.seq);
          } else if (w.scaler && w.scaler !== card.scaler) {
            rescaleInto(w.data, w.scaler, card.scaler, input, i * wc, C);
            counters.rescaled++;
          } else input.set(w.data, i * wc);
        }
        counters.batches++;
        const t0 = performance.now();
        const flight: Flight = { batch, input, held, t0, assembleMs: t0 - ta, sub: EMPTY_SUB, thenable: undefined, done: false };
        inflight = flight;
        starting = true;
        try {
          const result = session.run(input, n);
          if (isThenable(result)) {
            // A promise (every real session) settles once: the shared handlers settle the batch in flight.
            flight.thenable = result;
            result.then(onResult, onFailure);
          } else {
            // An Observable (test doubles) may emit, then complete later: its events are tied to their own batch.
            const sub = from(result).subscribe({
              next: (r) => settle(flight, undefined, r),
              error: (err) => settle(flight, err ?? new Error('inference failed')),
              complete: () => settle(flight, new Error('inference produced no result')),
            });
            if (flight.done) sub.unsubscribe();
            else flight.sub = sub;
          }
        } catch (err) {
          settle(flight, err ?? new Error('inference threw'));
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
        const { batch, held } = flight;
        const { card, session } = held;
        held.release();
        if (closed) return;
        const n = batch.length;
        const C = card.channels.length;
        let scored: { scores: Float32Array; perChannel: Float32Array } | undefined;
        if (err === undefined && outputs) {
          try {
            scored = scoreOutputs(flight.input, outputs, n, card.window, C, card.scoring, meanOfFor(card, batch));
          } catch (e) {
            err = e;
          }
        }
        if (!scored) {
          counters.inferenceErrors++;
          counters.droppedInferenceError += n;
          failures++;
          opts.onError?.(err, n);
          if (failures >= o.maxConsecutiveErrors) {
            closed = true;
            subscriber.error(new Error(`inference failed ${failures} times in a row on ${session.provider}: ${(err as Error)?.message ?? String(err)}`));
            return;
          }
        } else {
          failures = 0;
          counters.scored += n;
          const provider = session.provider;
          const { scores, perChannel } = scored;
          for (let i = 0; i < n && !closed; i++) {
            // Windows belong to the pipeline once cut: complete each in place rather than copy it (hot path).
            const w = batch[i] as ScoredWindow;
            w.score = scores[i];
            w.perChannel = perChannel.subarray(i * C, (i + 1) * C);
            w.provider = provider;
            subscriber.next(w);
          }
          opts.onBatch?.({ size: n, inferMs, assembleMs: flight.assembleMs, scoreMs: performance.now() - flight.t0 - inferMs, provider, pending: queue.size });
        }
        if (!starting) pump();
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
          const { sub: inner, held, thenable } = inflight;
          inflight = undefined;
          inner.unsubscribe();
          // A native run cannot be cancelled: keep the session held until it really ends, so a swap cannot close it mid-run.
          const release = () => held.release();
          if (thenable) thenable.then(release, release);
          else held.release();
        }
        counters.pending = 0;
        counters.pendingBytes = 0;
        opts.onPending?.(0);
      };
    });
}

const EMPTY_SUB = { unsubscribe() {} } as Subscription;

/** The batch in flight: what settling it needs, in one object per batch (no closures on the hot path). */
interface Flight {
  batch: SensorWindow[];
  /** Its assembled input (a view over the reused scratch buffer). */
  input: Float32Array;
  held: AcquiredModel;
  /** When the model call started (performance.now()). */
  t0: number;
  assembleMs: number;
  /** The runner's subscription when it answered with an Observable. */
  sub: Subscription;
  /** The runner's promise, so a teardown can keep the session held until the native run ends. */
  thenable: PromiseLike<unknown> | undefined;
  done: boolean;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as PromiseLike<unknown> | null)?.then === 'function';
}

/** Re-express a window scaled with `from` in the scale of `to` (the model was swapped while it waited). */
function rescaleInto(data: Float32Array, fromS: { offset: number[]; scale: number[] }, toS: { offset: number[]; scale: number[] }, out: Float32Array, at: number, C: number): void {
  for (let i = 0; i < data.length; i++) {
    const c = i % C;
    out[at + i] = (data[i] * fromS.scale[c] + fromS.offset[c] - toS.offset[c]) / toS.scale[c];
  }
}
