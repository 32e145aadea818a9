/**
 * The model currently in service, swappable at runtime (hot reload). Inference acquires the card + session
 * pair once per batch, so a swap takes effect between batches: no window is lost or scored twice, and the
 * old session is closed only after the batches that use it have finished.
 */
import type { ObservableInput } from 'rxjs';
import type { ModelCard } from '../model/card.ts';
import type { InferenceResult } from './backend.ts';

/** Anything that runs a batch: an `InferenceSession`, or a test double returning an Observable. */
export interface BatchRunner {
  readonly provider: string;
  /** Batches it takes at once (absent: 1; `InferenceSession.concurrency`). */
  readonly concurrency?: number;
  run(input: Float32Array, n: number): ObservableInput<InferenceResult>;
  close?(): Promise<void>;
}

/** A card and the session that serves it. */
export interface ModelHandle {
  readonly card: ModelCard;
  readonly session: BatchRunner;
}

/** A handle in use by one batch; `release` when the batch is done. */
export interface AcquiredModel extends ModelHandle {
  release(): void;
}

interface Slot extends ModelHandle {
  users: number;
  retired: boolean;
  closed: boolean;
}

/** Holds the current model; `swap` replaces it atomically. */
export class ModelRef {
  private slot: Slot;
  private readonly closing: Promise<void>[] = [];

  constructor(card: ModelCard, session: BatchRunner) {
    this.slot = { card, session, users: 0, retired: false, closed: false };
  }

  /** The current card (for `windowBySensor`, which scales with the card in service). */
  readonly cardOf = (): ModelCard => this.slot.card;

  /** The current handle, without holding it. */
  get current(): ModelHandle {
    return this.slot;
  }

  /** Hold the current model for one batch (call `release()` on the hold when the batch is done). */
  acquire(): AcquiredModel {
    this.slot.users++;
    return new Hold(this.slot, this.onRelease);
  }

  /** Bound once: a hold calls it when its batch is done (no closure per batch on the hot path). */
  private readonly onRelease = (slot: Slot): void => {
    slot.users--;
    this.closeIfIdle(slot);
  };

  /**
   * Put a new model in service. Its window and channels must match (windows already cut keep their shape);
   * the scaler, weights, scoring and thresholds may differ. Returns the card it replaced.
   */
  swap(card: ModelCard, session: BatchRunner): ModelCard {
    const old = this.slot.card;
    if (card.window !== old.window || card.channels.join('\u0000') !== old.channels.join('\u0000')) {
      throw new Error(
        `hot reload needs the same input shape: window ${old.window} x channels [${old.channels.join(', ')}]; ` +
          `got window ${card.window} x [${card.channels.join(', ')}]. Restart to change the input shape.`,
      );
    }
    const prev = this.slot;
    this.slot = { card, session, users: 0, retired: false, closed: false };
    prev.retired = true;
    this.closeIfIdle(prev);
    return old;
  }

  /** Close the current session (after in-flight batches) and wait for every retired one to close. */
  async close(): Promise<void> {
    this.slot.retired = true;
    this.closeIfIdle(this.slot);
    await Promise.allSettled(this.closing);
  }

  private closeIfIdle(slot: Slot): void {
    if (!slot.retired || slot.closed || slot.users > 0 || !slot.session.close) return;
    slot.closed = true;
    this.closing.push(slot.session.close().catch(() => {}));
  }
}

/** One batch's hold on a slot; `release` is idempotent (a method, not a closure: one object per batch, nothing more). */
class Hold implements AcquiredModel {
  readonly card: ModelCard;
  readonly session: BatchRunner;
  private slot: Slot | undefined;

  constructor(
    slot: Slot,
    private readonly onRelease: (slot: Slot) => void,
  ) {
    this.slot = slot;
    this.card = slot.card;
    this.session = slot.session;
  }

  release(): void {
    const slot = this.slot;
    if (!slot) return;
    this.slot = undefined;
    this.onRelease(slot);
  }
}
