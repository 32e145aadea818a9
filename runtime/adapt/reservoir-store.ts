/**
 * The reservoir of the model in service and its file: restored at start (a file that cannot be read, or is of another
 * model or shape, is set aside as FILE.corrupt-TIME, runtime/util/set-aside.ts), written on a timer when it changed
 * and on demand, one write at a time and in order, off the event loop's back (writeReservoirAsync). A model of another name or shape gets its own reservoir and file, the old one
 * written first.
 */
import { existsSync } from 'node:fs';
import type { ModelCard } from '../model/card.ts';
import type { VigilLogger } from '../ops/logger.ts';
import type { AdaptConfig } from './config.ts';
import { Reservoir } from './reservoir.ts';
import { readReservoir, reservoirPath, writeReservoirAsync } from './reservoir-file.ts';
import { setAside } from '../util/set-aside.ts';

/** The reservoir in service, persisted to its file. */
export class ReservoirStore {
  /** The file of the reservoir in service. */
  file = '';
  reservoir: Reservoir;
  /** The reservoir version last written to `file`. */
  private saved: number;
  private writes: Promise<void> = Promise.resolve();
  private writing = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly cfg: AdaptConfig['reservoir'],
    private readonly log: VigilLogger,
    card: ModelCard,
    /** Windows held aside per sensor for the level seed (adapt.seedWindows). */
    private readonly levelCap = 32,
  ) {
    this.reservoir = this.open(card);
    this.saved = this.reservoir.version;
    this.timer = setInterval(() => !this.writing && this.reservoir.version !== this.saved && void this.persist(), Math.max(1000, cfg.intervalMs));
    this.timer.unref();
  }

  /** Follow the model in service: one of another name or shape gets its own reservoir (the old one is written first). */
  follow(card: ModelCard): void {
    const { model } = this.reservoir;
    if (card.name !== model.name || card.window !== model.window || card.channels.join(',') !== model.channels.join(',')) {
      void this.persist();
      this.reservoir = this.open(card);
    }
  }

  /** Write the reservoir as it is now; resolves once written (a failure is logged and retried by the timer). */
  persist(): Promise<void> {
    const at = { file: this.file, version: this.reservoir.version, snapshot: this.reservoir.snapshot() };
    this.writing++;
    this.writes = this.writes
      .then(() =>
        writeReservoirAsync(at.file, at.snapshot).then(
          () => void (at.file === this.file && (this.saved = at.version)),
          (err: Error) => this.log.warn({ file: at.file, err: err.message }, 'adaptation reservoir not written; will retry'),
        ),
      )
      .finally(() => void this.writing--);
    return this.writes;
  }

  /** Stop the timer (a last `persist` is the caller's). */
  stopTimer(): void {
    clearInterval(this.timer);
  }

  private open(card: ModelCard): Reservoir {
    const file = reservoirPath(this.cfg.file, card.name);
    this.file = file;
    const model = { name: card.name, window: card.window, channels: card.channels };
    if (existsSync(file)) {
      try {
        const r = new Reservoir(model, this.cfg, readReservoir(file), this.levelCap);
        this.log.info({ file, windows: r.size }, `adaptation reservoir restored: ${r.size} windows`);
        return r;
      } catch (err) {
        // Set aside, not overwritten by the next write: a file of the model served before a change of channels holds
        // its canaries and windows, wanted again if that model comes back; a spoilt one is for a person to look at.
        const moved = setAside(file);
        this.log.warn({ file, err: (err as Error).message, setAside: moved.to }, `adaptation reservoir not restored; ${moved.to ? `set aside as ${moved.to}` : 'it could not be set aside and is replaced on the next write'}; starting an empty one`);
      }
    }
    return new Reservoir(model, this.cfg, undefined, this.levelCap);
  }
}
