/**
 * The saver of one state file: full saves (every sensor's state, store.ts) periodically or on demand, and between them
 * the alert states an alert event changed, into the journal beside it (alert-journal.ts). Saves never overlap.
 */
import type { AlertJournal } from './alert-journal.ts';
import { loadStates, saveStates, type LoadResult, type SavedStates, type StateModelId } from './store.ts';
import { fullSaveOf, type FullSaveId } from './full-save-id.ts';

/** Options of the periodic saver. */
export interface ThresholdStoreOptions {
  /** Save period in ms (0: only on demand). */
  intervalMs?: number;
  model?: StateModelId;
  /** Called with each failed save (a save failure never throws out of the timer). */
  onError?: (err: Error) => void;
  /** Called after each completed save, with the number of sensors written. */
  onSaved?: (sensors: number) => void;
  /** The alert states written between full saves (`saveAlerts`); without one, `saveAlerts` saves in full. */
  journal?: AlertJournal;
}

/** Saves the states returned by `collect` periodically and on demand; saves never overlap. */
export class ThresholdStore {
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  /** The full save on disk (loaded or last saved): what a journal written now follows. */
  private base: FullSaveId | undefined;

  constructor(
    readonly path: string,
    /** What to save, asked at the start of each save (a `StateSource` is collected sensor by sensor as it is written). */
    private readonly collect: () => SavedStates,
    private readonly opts: ThresholdStoreOptions = {},
  ) {}

  /** Load what a previous run saved (see `loadStates`). */
  load(): LoadResult {
    const loaded = loadStates(this.path, this.opts.model);
    this.base = fullSaveOf(loaded);
    return loaded;
  }

  /** Start periodic saving. */
  start(): void {
    if (this.timer || !this.opts.intervalMs) return;
    this.timer = setInterval(() => {
      this.saveNow().catch((err: Error) => this.opts.onError?.(err));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** An alert event changed `sensor`'s alert states: the next `saveAlerts` writes them. */
  noteAlerts(sensor: string): void {
    this.opts.journal?.note(sensor);
  }

  /** Save now (queued behind any save in progress). */
  saveNow(): Promise<void> {
    return this.queue(() => this.saveFull());
  }

  /**
   * Save the alert states noted since the last such save (queued like `saveNow`): into the journal beside the file, or in
   * full while there is no full file to follow (none loaded or saved yet) or no journal.
   */
  saveAlerts(): Promise<void> {
    return this.queue(async () => {
      const journal = this.opts.journal;
      if (!journal || this.base === undefined) return this.saveFull();
      await journal.write(this.base);
    });
  }

  private queue(save: () => Promise<void>): Promise<void> {
    const run = this.chain.then(save);
    this.chain = run.catch(() => {});
    return run;
  }

  private async saveFull(): Promise<void> {
    const ended = this.opts.journal?.fullSaveBegins();
    let saved: Awaited<ReturnType<typeof saveStates>>;
    try {
      const states = this.collect();
      // The label of the model these states were collected under: a hot reload changes the shared object in place
      // while the save yields, and states of one model must never be written under another's name.
      const model = this.opts.model && { ...this.opts.model };
      saved = await saveStates(this.path, states, model);
    } catch (err) {
      await ended?.(false);
      throw err;
    }
    this.base = { sha256: saved.sha256, saveId: saved.saveId };
    await ended?.(true);
    this.opts.onSaved?.(saved.sensors);
  }

  /** Stop the timer and write a final save. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.saveNow();
  }
}
