/**
 * The JSONL file of dead letters. It rotates at a size limit, and drops (counts) letters when the disk cannot
 * keep up. A failed write or open closes the file with a rate-limited warning, and a later letter reopens it (at
 * most once per `retryMs`). The path is checked at most once per `retryMs`: a file deleted or moved away is
 * reopened at its path.
 */
import { createWriteStream, fstatSync, openSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { rateLimitedWarning, type RateLimitedWarning } from '../util/rate-limited-warning.ts';
import type { DeadLetterOptions } from './dead-letter.ts';

/** Unwritten file bytes beyond which new dead letters are dropped. */
const MAX_FILE_BACKLOG = 1 << 20;

/** The dead-letter file at one path, opened at once. */
export class DeadLetterFile {
  /** Dead letters not written: the backlog was full, or a write or reopen failed. */
  dropped = 0;
  /** Times writing failed (each closes the file until the next retry). */
  failures = 0;
  private file: WriteStream | undefined;
  /** Device and inode of the open file, to notice when its path names another file or none. */
  private opened = { dev: 0, ino: 0 };
  private checkAt = Number.NEGATIVE_INFINITY;
  private bytes = 0;
  private retryAt = Number.NEGATIVE_INFINITY;
  private readonly clock: { now(): number };
  private readonly warning: RateLimitedWarning | undefined;
  /** Letters dropped because the disk is behind (a probe: 17,268 of a 20,000-message burst dropped, nothing logged). */
  private readonly behind: RateLimitedWarning | undefined;

  constructor(
    private readonly path: string,
    private readonly opts: Omit<DeadLetterOptions, 'topic' | 'file'>,
  ) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.warning = opts.log
      ? rateLimitedWarning(
          opts.log,
          (count, errors) => [
            { file: path, failures: count, errors, dropped: this.dropped },
            `dead-letter file not writable (${Object.keys(errors).join(', ')}); ${this.dropped} dead letter(s) not written so far; retrying on later dead letters`,
          ],
          undefined,
          opts.clock,
        )
      : undefined;
    this.behind = opts.log
      ? rateLimitedWarning(
          opts.log,
          (count) => [
            { file: path, dropped: count, backlogBytes: MAX_FILE_BACKLOG },
            `dead-letter file behind: ${count} dead letter(s) not written, over ${MAX_FILE_BACKLOG >> 20} MiB already waiting for the disk (a burst of bad input; the dead-letter topic, where one is set, still gets them)`,
          ],
          undefined,
          opts.clock,
        )
      : undefined;
    this.tryOpen();
  }

  /** Write one letter's line (reopening or rotating the file first when due), or count it dropped. */
  append(line: string): void {
    if (!this.file && this.clock.now() >= this.retryAt && !this.tryOpen(true)) return;
    if (this.file && !this.stillThere()) {
      // Removed or moved away: what is queued goes to the old file; reopen the path (a removed folder fails here).
      this.file.end();
      this.file = undefined;
      if (!this.tryOpen(true)) return;
    }
    if (!this.file) return void this.dropped++;
    if (this.file.writableLength > MAX_FILE_BACKLOG) {
      this.dropped++;
      return void this.behind?.add('backlog');
    }
    if (this.bytes > this.opts.maxFileBytes && !this.rotate()) return void this.dropped++;
    this.file!.write(`${line}\n`, this.lost);
    this.bytes += line.length + 1;
  }

  /** Report what the warning still holds; resolves once the open file is flushed and closed. */
  close(): Promise<void> {
    this.warning?.flush();
    this.behind?.flush();
    const { file } = this;
    return new Promise<void>((resolve) => (file ? file.end(resolve) : resolve()));
  }

  private readonly lost = (err?: Error | null) => {
    if (err) this.dropped++;
  };

  private get retryMs(): number {
    return this.opts.retryMs ?? 1000;
  }

  /** Rotate: the current file becomes `.1` (replacing an older one); a new file starts. False when none is open after. */
  private rotate(): boolean {
    const old = this.file!;
    this.file = undefined;
    old.end();
    try {
      renameSync(this.path, `${this.path}.1`);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
      return false;
    }
    this.tryOpen();
    return this.file !== undefined;
  }

  private fail(err: NodeJS.ErrnoException, stream?: WriteStream): void {
    // The first error of a stream closes it; the writes queued behind it fail too and are counted by their callbacks.
    if (stream && stream !== this.file) return;
    this.failures++;
    this.warning?.add(err.code ?? err.message);
    this.file?.destroy();
    this.file = undefined;
    this.retryAt = this.clock.now() + this.retryMs;
  }

  private openFile(): void {
    // Opened synchronously so the file exists at once; a rename later moves it with any writes still queued.
    const fd = openSync(this.path, 'a');
    const st = fstatSync(fd);
    this.bytes = st.size;
    this.opened = { dev: st.dev, ino: st.ino };
    this.checkAt = this.clock.now() + this.retryMs;
    const stream = createWriteStream('', { fd });
    stream.on('error', (err) => this.fail(err, stream));
    this.file = stream;
  }

  /** Open the file; when that fails for a letter being written, the letter is counted before the warning says how many. */
  private tryOpen(forLetter = false): boolean {
    try {
      this.openFile();
      return true;
    } catch (err) {
      if (forLetter) this.dropped++;
      this.fail(err as NodeJS.ErrnoException);
      return false;
    }
  }

  /** Whether the path still names the open file (checked at most once per retryMs). */
  private stillThere(): boolean {
    if (this.clock.now() < this.checkAt) return true;
    this.checkAt = this.clock.now() + this.retryMs;
    try {
      const st = statSync(this.path);
      return st.dev === this.opened.dev && st.ino === this.opened.ino;
    } catch {
      return false;
    }
  }
}
