/**
 * Start parts in order, stop them in reverse: one teardown path for a failed start and a normal stop alike.
 * A part whose start throws is stopped too (its stop copes with a partial start), then every part started
 * before it; the start error is what the caller sees. A stop that throws does not keep the others from
 * stopping: every failure is collected and reported once all have run.
 */

/** A part of a running process. */
export interface Part {
  /** Named in stop failures. */
  readonly name: string;
  start?(): Promise<void> | void;
  /** Undo start; called once, also after a start that threw part-way. */
  stop?(): Promise<void> | void;
}

/** Options of a Lifecycle. */
export interface LifecycleOptions {
  /** Told of the stop failures that followed a failed start (the start error is thrown, not these). */
  onCleanupError?: (err: Error) => void;
}

/** Parts started in order and stopped in reverse. */
export class Lifecycle {
  private readonly entered: Part[] = [];
  private stopping?: Promise<void>;

  constructor(
    private readonly parts: readonly Part[],
    private readonly opts: LifecycleOptions = {},
  ) {}

  /** Start every part in order; on a failure, stop what was entered (in reverse) and throw the start error. */
  async start(): Promise<void> {
    for (const part of this.parts) {
      this.entered.push(part);
      try {
        await part.start?.();
      } catch (err) {
        await this.stop().catch((stopErr: Error) => this.opts.onCleanupError?.(stopErr));
        throw err;
      }
    }
  }

  /** Stop every entered part in reverse; safe to call more than once. Rejects with each part's failure, by name. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const errors: Error[] = [];
    for (const part of [...this.entered].reverse()) {
      try {
        await part.stop?.();
      } catch (err) {
        errors.push(new Error(`${part.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} parts failed to stop: ${errors.map((e) => e.message).join('; ')}`);
  }
}
