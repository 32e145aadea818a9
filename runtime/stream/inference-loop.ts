/**
 * One inferBatches subscription: windows wait in a PendingQueue while batches run, and each settled batch is
 * scored and its windows emitted in the order the batches started (or counted as failed). One batch is in flight
 * at a time, or as many as the session takes at once (`InferenceSession.concurrency`: a worker session queues the
 * next batch while one runs, so a backlog's batches are assembled and scored on this thread while the model
 * works). Each batch in flight has its own batch input. Created per subscription, so its state lives no longer
 * than the stream.
 */
import type { Subscriber, Subscription } from 'rxjs';
import type { ModelRef } from '../inference/model-ref.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { ModelOutputs } from '../scoring/score-outputs.ts';
import { BatchInput } from './batch-input.ts';
import type { PipelineCounters } from './counters.ts';
import { Flight } from './flight.ts';
import { causeAt } from '../scoring/cause.ts';
import { BatchRooms, PendingQueue } from './pending-queue.ts';
import { blockRoom, fitBlocks, flightSlots } from './batch-bounds.ts';
import { scoreBatch, shiftBatch, unshiftBatch, type BatchScores } from './score-batch.ts';
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
  /** The card of the model that ran it (a hot reload changes it). */
  card: object;
  /** Windows still waiting after this batch. */
  pending: number;
}

/** The resolved options the loop runs by (inferBatches' options with their defaults). */
export interface InferenceLoopOptions {
  maxBatch: () => number;
  maxPendingBytes: number;
  maxConsecutiveErrors: number;
  onBatch?: (report: BatchReport) => void;
  onError?: (error: unknown, size: number) => void;
  onShed?: (window: SensorWindow) => void;
  onPending?: (bytes: number, windows: number) => void;
}

/** The queue, the batch in flight and the settling of one inferBatches subscription. */
export class InferenceLoop {
  private readonly queue: PendingQueue<SensorWindow>;
  /** What each sensor may still add to a batch the direct path assembles. */
  private readonly rooms = new BatchRooms();
  /** One batch input per batch that may be in flight (made as needed). */
  private readonly inputs: BatchInput[];
  /** The batches in flight, oldest first (emitted in this order). */
  private readonly inflight: Flight[] = [];
  private upstream: { error?: unknown; failed: boolean } | undefined;
  private closed = false;
  private failures = 0;
  /** When the last batch taken ended (its successor may have waited behind it in the session). */
  private lastEnded = Number.NEGATIVE_INFINITY;
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
    this.inputs = [new BatchInput(o.maxBatch(), counters)];
  }

  /** Windows arrive: an idle model takes the batch as it comes; only windows that must wait are subject to the queue's bounds. */
  push(windows: SensorWindow[]): void {
    let i = 0;
    if (this.inflight.length < flightSlots(this.ref) && !this.closed && this.queue.size === 0 && windows.length > 0) {
      // With input offsets, a sensor's windows of the next block wait for a later batch (the rest queue behind them).
      i = fitBlocks(windows, Math.min(windows.length, this.o.maxBatch()), blockRoom(this.ref, this.residuals), this.rooms);
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
    // Whatever still waits, queued or in flight, is never scored: counted, not lost silently.
    let abandoned = this.queue.size;
    for (const flight of this.inflight.splice(0)) {
      abandoned += flight.batch.length;
      if (!flight.done) flight.abandon();
    }
    this.counters.droppedAbandoned += abandoned;
    this.counters.pending = 0;
    this.counters.pendingBytes = 0;
    this.o.onPending?.(0, 0);
  }

  private gauge(): void {
    // Torn down (a failed stream): what its teardown reported stands (a review: a batch run after it reported a backlog).
    if (this.closed) return;
    this.counters.pending = this.queue.size;
    this.counters.pendingBytes = this.queue.bytes;
    if (!this.o.onPending) return;
    let flying = 0;
    for (const f of this.inflight) flying += f.batch.length;
    this.o.onPending(this.queue.bytes, this.queue.size + flying);
  }

  private finish(): void {
    if (!this.upstream || this.inflight.length > 0 || this.queue.size > 0) return;
    if (this.upstream.failed) this.subscriber.error(this.upstream.error);
    else this.subscriber.complete();
  }

  private pump(): void {
    while (this.inflight.length < flightSlots(this.ref) && !this.closed) {
      const batch = this.queue.take(this.o.maxBatch(), blockRoom(this.ref, this.residuals));
      if (batch.length === 0) {
        this.gauge();
        return this.finish();
      }
      this.runBatch(batch);
      // After the batch is in flight: its windows still count as waiting to be scored.
      this.gauge();
    }
  }

  private runBatch(batch: SensorWindow[]): void {
    const held = this.ref.acquire();
    const { card } = held;
    const W = card.window;
    const C = card.channels.length;
    const ta = performance.now();
    const slot = this.freeSlot();
    const input = (this.inputs[slot] ??= new BatchInput(this.o.maxBatch(), this.counters));
    const bad = input.assemble(batch, W * C, C, card.scaler);
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
    const flight = new Flight(batch, input.input, held, t0, t0 - ta, slot);
    flight.shifted = shiftBatch(flight, this.residuals);
    this.inflight.push(flight);
    const starting = this.starting;
    this.starting = true;
    try {
      flight.start(this.settle);
    } finally {
      this.starting = starting;
    }
  }

  /** The lowest batch input no batch in flight is using (a loop, not a closure per batch). */
  private freeSlot(): number {
    let slot = 0;
    for (let i = 0; i < this.inflight.length; i++) {
      if (this.inflight[i].slot === slot) {
        slot++;
        i = -1;
      }
    }
    return slot;
  }

  /** A batch's call ended: keep its outcome, then emit every batch at the head of the line that has ended. */
  private readonly settle = (flight: Flight, err: unknown, outputs?: ModelOutputs): void => {
    if (flight.done) return;
    flight.done = true;
    flight.endedAt = performance.now();
    flight.error = err;
    flight.outputs = outputs;
    flight.sub.unsubscribe();
    flight.held.release();
    if (this.closed || !this.inflight.includes(flight)) return;
    while (this.inflight.length > 0 && this.inflight[0].done && !this.closed) {
      const head = this.inflight.shift()!;
      if (!this.take(head)) return;
    }
    if (!this.starting) this.pump();
  };

  /** Score and emit an ended batch, or count it as failed; false when failures in a row ended the stream. */
  private take(flight: Flight): boolean {
    const t = performance.now();
    // Its own model time: from its start, or from the end of the batch before it when it waited behind that one.
    const inferMs = flight.endedAt - Math.max(flight.t0, this.lastEnded);
    this.lastEnded = flight.endedAt;
    let err = flight.error;
    let scored: BatchScores | undefined;
    if (err === undefined && flight.outputs) {
      try {
        scored = scoreBatch(flight, flight.outputs, this.residuals);
      } catch (e) {
        err = e;
      }
    }
    flight.outputs = undefined;
    unshiftBatch(flight);
    if (scored) {
      this.emitScored(flight, scored, inferMs, t);
      return true;
    }
    return this.failed(flight, err);
  }

  /** Complete each window of the batch in place into its ScoredWindow and emit it, then report the batch. */
  private emitScored(flight: Flight, { scores, perChannel, own, causes, outside, marks }: BatchScores, inferMs: number, scoreFrom: number): void {
    const { batch, held } = flight;
    const n = batch.length;
    const C = held.card.channels.length;
    const provider = held.session.provider;
    this.failures = 0;
    this.counters.scored += n;
    // Each window's errors: a view of the batch's made by the constructor, not subarray() (no species lookup).
    const errors = perChannel.buffer;
    const at = perChannel.byteOffset;
    for (let i = 0; i < n && !this.closed; i++) {
      // Windows belong to the pipeline once cut: complete each in place rather than copy it (hot path).
      const w = batch[i] as ScoredWindow;
      w.score = scores[i];
      w.ownScore = own && own[i] < scores[i] ? own[i] : undefined;
      w.cause = causeAt(causes, i);
      w.outside = outside && outside.any[i] ? outside.values.subarray(i * C, (i + 1) * C) : undefined;
      w.marked = marks?.[i];
      // A batch of one keeps its scores' own array: a view of a small array would move its values off the heap first.
      w.perChannel = n === 1 && perChannel.length === C ? perChannel : new Float32Array(errors, at + i * C * 4, C);
      w.provider = provider;
      this.subscriber.next(w);
    }
    this.o.onBatch?.({ size: n, inferMs, assembleMs: flight.assembleMs, scoreMs: performance.now() - scoreFrom, provider, card: held.card, pending: this.queue.size });
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
    // The batches behind it (ended or not) will not be scored either: counted with it, not lost silently, and taken
    // out of flight so the teardown the error brings does not count them again as abandoned.
    for (const rest of this.inflight.splice(0)) {
      this.counters.droppedInferenceError += rest.batch.length;
      if (!rest.done) rest.abandon();
    }
    this.subscriber.error(new Error(`inference failed ${this.failures} times in a row on ${flight.held.session.provider}: ${(err as Error)?.message ?? String(err)}`));
    return false;
  }
}
