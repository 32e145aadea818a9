/**
 * The pipeline of one owned partition (windows, thresholds, alerts), restored from its saved state: readings are
 * fed one at a time, and a batch is judged once every window it cut has been scored (`drained`). Reordering is off:
 * the stream's order is the order judged, so every verdict belongs to the batch whose reading cut its window.
 */
import { Subject, type Subscription } from 'rxjs';
import type { RunConfig } from '../../config/schema.ts';
import type { ModelRef } from '../../inference/model-ref.ts';
import type { ModelCard } from '../../model/card.ts';
import type { AlertBank } from '../../alerts/alert-bank.ts';
import type { AlertStep } from '../../alerts/tracker.ts';
import { TrackedResiduals } from '../../scoring/residual-baselines.ts';
import { createPipeline } from '../../stream/pipeline.ts';
import { createCounters } from '../../stream/counters.ts';
import { outstandingWindows } from '../../stream/from-series.ts';
import type { AlertEvent, Detection, Reading } from '../../stream/types.ts';
import { openThresholds, type RuntimeThresholds } from '../../ops/thresholds.ts';
import { unresolvedEvent } from '../../ops/unresolved-closes.ts';
import { createEdgeCounters } from '../../ops/metrics.ts';
import type { VigilLogger } from '../../ops/logger.ts';
import type { PartitionSnapshot } from './partition-state.ts';
import { maxBatchFor } from '../../inference/max-batch.ts';

/**
 * What judging gave, in order: a verdict's detection, or the close (`unresolved: 'evicted'`) of an open alert whose
 * sensor's alert state was evicted for room (window.maxSensors) to admit `admitted`, decided as the verdict of
 * `admitted` that follows it was judged (none follows one decided while restoring the state).
 */
export type Judged = { detection: Detection } | { evicted: AlertEvent; admitted: string };

/** A partition's own pipeline and the state it saves. */
export class PartitionPipeline {
  readonly counters = createCounters();
  private readonly th: RuntimeThresholds;
  private readonly residuals: TrackedResiduals;
  private readonly alerts: AlertBank;
  private readonly input = new Subject<Reading>();
  private readonly sub: Subscription;
  private judged: Judged[] = [];
  private notify = () => {};
  private failure: unknown;

  /** `state` is restored when saved under the model in service (`sameModel`); alerts are restored either way. */
  constructor(config: RunConfig, ref: ModelRef, log: VigilLogger, state: PartitionSnapshot | undefined, sameModel: boolean) {
    const card = ref.current.card;
    // An open alert evicted for room is closed, as in `vigil run` (ops/unresolved-closes.ts), never just forgotten.
    const onEvict = (_sensor: string, close: AlertStep, admitted: string) => {
      const ev = unresolvedEvent(close, ref.current.card, config.alerts.topChannels);
      if (!ev) return;
      this.counters.alertsClosed++;
      this.judged.push({ evicted: ev, admitted });
    };
    // No silent-sensor watch here: a partition moves between workers, and the one that has it never saw a silence begin.
    // Its alert bank restores the partition's saved alerts, bounded by the partition's window.maxSensors.
    this.th = openThresholds({ ...config, state: { ...config.state, file: null }, alerts: { ...config.alerts, silent: { ...config.alerts.silent, enabled: false } } }, ref, log, createEdgeCounters(), {
      alerts: { saved: state?.alerts ?? {}, maxSensors: config.window.maxSensors, onEvict },
    });
    if (state && sameModel) this.th.bank.adopt(state.thresholds);
    this.residuals = new TrackedResiduals(sameModel ? state!.residuals : {}, config.window.maxSensors, sameModel ? card : undefined, sameModel ? (state!.residualClocks ?? {}) : {});
    this.alerts = this.th.alerts;
    // Restored open alerts count against the bound at once, so they are evicted with a close like the rest.
    this.alerts.holdOpen();
    const onError = (err: unknown) => ((this.failure ??= err), this.notify());
    const pipeline = createPipeline({
      model: ref,
      thresholds: this.th.bank,
      // The stream's order is the order judged: a reorder stage would hold readings past the batch that cut them,
      // and their verdicts would miss the batch's acknowledgement (the last readings of a partition were never judged).
      window: { ...config.window, reorderMs: 0 },
      batch: { size: config.batch.size, maxWaitMs: config.batch.maxWaitMs, adaptiveWait: config.batch.adaptiveWait },
      // Nothing is shed: a partition waits for its batch to drain before fetching the next one.
      infer: { maxBatch: (provider) => maxBatchFor(config.batch.maxBatch, provider), maxPendingBytes: Number.MAX_SAFE_INTEGER, residuals: this.residuals, onBatch: () => this.notify(), onError },
      smoothing: this.th.smoothing,
      alerts: { bank: this.alerts, topK: config.alerts.topChannels },
      counters: this.counters,
    });
    this.sub = this.input.pipe(pipeline.detect).subscribe({ next: (d) => this.judged.push({ detection: d }), error: onError });
  }

  /** Judge one reading; true when it cut a window (its verdict comes once the pipeline has drained). */
  feed(reading: Reading): boolean {
    const before = this.counters.windows;
    this.input.next(reading);
    return this.counters.windows !== before;
  }

  /** Resolves once every window cut has been scored; rejects with the pipeline's failure. */
  drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => (this.failure ? reject(this.failure) : outstandingWindows(this.counters) === 0 ? resolve() : undefined);
      this.notify = check;
      check();
    });
  }

  /** What was judged since the last call, in order. */
  take(): Judged[] {
    const out = this.judged;
    this.judged = [];
    return out;
  }

  /** What the partition state saves of the pipeline. */
  saved(card: ModelCard): Pick<PartitionSnapshot, 'thresholds' | 'residuals' | 'residualClocks' | 'alerts'> {
    return { thresholds: this.th.bank.snapshot(), residuals: this.residuals.snapshot(card), residualClocks: this.residuals.clocks(card), alerts: this.alerts.snapshot() };
  }

  close(): void {
    this.sub.unsubscribe();
    this.input.complete();
  }
}
