/**
 * One inferBatches subscription: windows wait in a PendingQueue while a batch runs, one batch is in flight at a
 * time, and each settled batch is scored and its windows emitted in order (or counted as failed). Created per
 * subscription, so its state lives no longer than the stream; the handlers given to the model call are made once
 * here, not per batch.
 */
import type { Subscriber, Subscription } from 'rxjs';
import type { ModelRef } from '../inference/model-ref.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { ModelOutputs } from '../scoring/score-outputs.ts';
import { BatchInput } from './batch-input.ts';
import type { PipelineCounters } from './counters.ts';
import { Flight } from './flight.ts';
import { PendingQueue } from './pending-queue.ts';
import { scoreBatch, type BatchScores } from './score-batch.ts';
import type { ScoredWindow, SensorWindow } from './types.ts';

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

/** The resolved options the loop runs by (inferBatches' options with their defaults). */
export interface InferenceLoopOptions {
  maxBatch: number;
  maxPendingBytes: number;
  maxConsecutiveErrors: number;
  onBatch?: (report: BatchReport) => void;
  onError?: (error: unknown, size: number) => void;
  onShed?: (window: SensorWindow) => void;
  onPending?: (bytes: number) => void;
}

/** The queue, the batch in flight and the settling of one inferBatches subscription. */
export class InferenceLoop {
  private readonly queue: PendingQueue<SensorWindow>;
  private readonly input: BatchInput;
  /** The one batch in flight (inference runs one batch at a time). */
  private inflight: Flight | undefined;
  private upstream: { error?: unknown; failed: boolean } | undefined;
  private closed = false;
  private failures = 0;
  /** True while runBatch is on the stack: a runner that answers synchronously must not recurse into pump(). */
  private starting = false;

  constructor(
    private readonly ref: ModelRef,
    private readonly o: InferenceLoopOptions,
    private readonly counters: PipelineCounters,
    private readonly residuals: TrackedResiduals,
    private readonly subscriber: Subscriber<ScoredWindow>,
    windowBytes: (w: SensorWindow) => number,
  ) {
    this.queue = new PendingQueue<SensorWindow>(o.maxPendingBytes, windowBytes, (w) => {
      counters.droppedQueueFull++;
      if (w.rows) {
        w.rows.release(w.seq);
        w.rows = undefined;
      }
      o.onShed?.(w);
    });
    this.input = new BatchInput(o.maxBatch, counters);
  }

  /** Windows arrive: an idle model takes the batch as it comes; only windows that must wait are subject to the queue's bounds. */
  push(windows: SensorWindow[]): void {
    let i = 0;
    if (!this.inflight && !this.closed && this.queue.size === 0 && windows.length > 0) {
      i = Math.min(windows.length, this.o.maxBatch);
      this.runBatch(i === windows.length ? windows : windows.slice(0, i));
    }
    for (; i < windows.length; i++) this.queue.push(windows[i]);
    this.gauge();
    this.pump();
  }

  /** The source ended (with `error` when `failed`): pass it on once every window waiting was scored. */
  end(failed: boolean, error?: unknown): void {
    this.upstream = failed ? { error, failed } : { failed };
    this.finish();
  }

  /** Unsubscribed: stop, and let a batch still running keep its model held until it really ends. */
  teardown(source: Subscription): void {
    this.closed = true;
    source.unsubscribe();
    if (this.inflight) {
      const flight = this.inflight;
      this.inflight = undefined;
      flight.abandon();
    }
    this.counters.pending = 0;
    this.counters.pendingBytes = 0;
    this.o.onPending?.(0);
  }

  private gauge(): void {
    this.counters.pending = this.queue.size;
    this.counters.pendingBytes = this.queue.bytes;
    this.o.onPending?.(this.queue.bytes);
  }

  private finish(): void {
    if (!this.upstream || this.inflight || this.queue.size > 0) return;
    if (this.upstream.failed) this.subscriber.error(this.upstream.error);
    else this.subscriber.complete();
  }

  private pump(): void {
    while (!this.inflight && !this.closed) {
      const batch = this.queue.take(this.o.maxBatch);
      this.gauge();
      if (batch.length === 0) return this.finish();
      this.runBatch(batch);
    }
  }

  private runBatch(batch: SensorWindow[]): void {
    const held = this.ref.acquire();
    const { card } = held;
    const W = card.window;
    const C = card.channels.length;
    const ta = performance.now();
    const bad = this.input.assemble(batch, W * C, C, card.scaler);
    if (bad >= 0) {
      // Only a caller feeding windows of another shape gets here (swaps keep the shape): a bug, not data.
      const w = batch[bad];
      held.release();
      this.closed = true;
      this.subscriber.error(new Error(`inferBatches: window of sensor '${w.sensor}' has ${w.rows ? w.rows.width : w.data.length} values; expected ${W} x ${C} = ${W * C} for model ${card.name}`));
      return;
    }
    this.counters.batches++;
    const t0 = performance.now();
    const flight = new Flight(batch, this.input.input, held, t0, t0 - ta);
    this.inflight = flight;
    this.starting = true;
    try {
      flight.start(this.onResult, this.onFailure, this.settle);
    } finally {
      this.starting = false;
    }
  }

  // Made once per subscription, not per batch; after teardown nothing is in flight and they do nothing.
  private readonly onResult = (r: ModelOutputs): void => {
    if (this.inflight) this.settle(this.inflight, undefined, r);
  };
  private readonly onFailure = (err: unknown): void => {
    if (this.inflight) this.settle(this.inflight, err ?? new Error('inference failed'));
  };

  private readonly settle = (flight: Flight, err: unknown, outputs?: ModelOutputs): void => {
    if (flight.done) return;
    flight.done = true;
    const inferMs = performance.now() - flight.t0;
    flight.sub.unsubscribe();
    if (this.inflight === flight) this.inflight = undefined;
    flight.held.release();
    if (this.closed) return;
    let scored: BatchScores | undefined;
    if (err === undefined && outputs) {
      try {
        scored = scoreBatch(flight, outputs, this.residuals);
      } catch (e) {
        err = e;
      }
    }
    if (scored) this.emitScored(flight, scored, inferMs);
    else if (!this.failed(flight, err)) return;
    if (!this.starting) this.pump();
  };

  /** Complete each window of the batch in place into its ScoredWindow and emit it, then report the batch. */
  private emitScored(flight: Flight, { scores, perChannel }: BatchScores, inferMs: number): void {
    const { batch, held } = flight;
    const n = batch.length;
    const C = held.card.channels.length;
    const provider = held.session.provider;
    this.failures = 0;
    this.counters.scored += n;
    for (let i = 0; i < n && !this.closed; i++) {
      // Windows belong to the pipeline once cut: complete each in place rather than copy it (hot path).
      const w = batch[i] as ScoredWindow;
      w.score = scores[i];
      w.perChannel = perChannel.subarray(i * C, (i + 1) * C);
      w.provider = provider;
      this.subscriber.next(w);
    }
    this.o.onBatch?.({ size: n, inferMs, assembleMs: flight.assembleMs, scoreMs: performance.now() - flight.t0 - inferMs, provider, pending: this.queue.size });
  }

  /** A failed batch: its windows are dropped and counted; false when failures in a row ended the stream. */
  private failed(flight: Flight, err: unknown): boolean {
    const n = flight.batch.length;
    this.counters.inferenceErrors++;
    this.counters.droppedInferenceError += n;
    this.failures++;
    this.o.onError?.(err, n);
    if (this.failures < this.o.maxConsecutiveErrors) return true;
    this.closed = true;
    this.subscriber.error(new Error(`inference failed ${this.failures} times in a row on ${flight.held.session.provider}: ${(err as Error)?.message ?? String(err)}`));
    return false;
  }
}
