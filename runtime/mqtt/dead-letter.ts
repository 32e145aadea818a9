/**
 * Dead letters: every rejected message, with its reason, goes to a topic (`vigil/deadletter/{reason}`) and/or
 * a JSONL file, so bad input is kept for inspection instead of vanishing. Payloads are cut to a preview so a
 * flood of huge messages cannot turn into a flood of huge dead letters; the file rotates at a size limit and
 * writes are dropped (counted) when the disk cannot keep up, rather than buffering without bound. A failed
 * write (a full disk: ENOSPC) closes the file with a rate-limited warning; later dead letters reopen it (at most
 * once per `retryMs`), so writing resumes once the disk has room again. Writes to a file removed from under us
 * (the file or its folder deleted, or moved away) do not fail, so the path is checked at most once per `retryMs`:
 * when it no longer names the open file, the file is reopened there (a removed folder: ENOENT, warned and retried).
 */
import { createWriteStream, fstatSync, openSync, renameSync, statSync, type WriteStream } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Rejected } from '../stream/types.ts';
import { utf8Text } from '../codecs/values.ts';
import { rateLimitedWarning, type WarnLogger, type WarningClock } from '../util/rate-limited-warning.ts';

/** Bytes of the original payload kept in a dead letter. */
export const DEAD_LETTER_PREVIEW_BYTES = 1024;
/** Unwritten file bytes beyond which new dead letters are dropped. */
const MAX_FILE_BACKLOG = 1 << 20;

/** One dead letter as published and written. */
export interface DeadLetter {
  reason: string;
  detail: string;
  topic: string;
  receivedAt: string;
  payloadBytes: number;
  /** The payload as text when it is UTF-8, else base64; cut to the preview size. */
  payload?: string;
  payloadEncoding?: 'utf8' | 'base64';
  truncated?: boolean;
}

/** Turn a rejection into its dead letter. */
export function deadLetter(r: Rejected): DeadLetter {
  const d: DeadLetter = { reason: r.reason, detail: r.detail, topic: r.topic, receivedAt: new Date(r.receivedAt).toISOString(), payloadBytes: r.payload?.byteLength ?? 0 };
  if (r.payload) {
    const cut = r.payload.subarray(0, DEAD_LETTER_PREVIEW_BYTES);
    const text = utf8Text(cut);
    if (text !== undefined) {
      d.payload = text;
      d.payloadEncoding = 'utf8';
    } else {
      d.payload = Buffer.from(cut.buffer, cut.byteOffset, cut.byteLength).toString('base64');
      d.payloadEncoding = 'base64';
    }
    if (cut.byteLength < r.payload.byteLength) d.truncated = true;
  }
  return d;
}

/** Options of the dead-letter sink. */
export interface DeadLetterOptions {
  /** Topic template with `{reason}`, or null. */
  topic: string | null;
  file: string | null;
  maxFileBytes: number;
  /** Failed writes are reported here (rate-limited); omit for none. */
  log?: WarnLogger;
  /** After a failed write or open, the file is reopened no sooner than this (ms; default 1000). */
  retryMs?: number;
  /** Clock of the retry delay and of the warning's interval (tests drive it). */
  clock?: WarningClock;
}

/** Where rejected messages go. */
export interface DeadLetterSink {
  write(r: Rejected): void;
  /** Dead letters not written to the file: its backlog was full, or a write or reopen failed. */
  dropped(): number;
  /** Times writing to the file failed (each closes it until the next retry). */
  failures(): number;
  close(): Promise<void>;
}

/** Create the sink; `client` may be null when only a file is wanted. */
export function deadLetterSink(client: MqttClient | null, opts: DeadLetterOptions): DeadLetterSink {
  let file: WriteStream | undefined;
  /** Device and inode of the open file, to notice when its path names another file or none. */
  let opened = { dev: 0, ino: 0 };
  let checkAt = Number.NEGATIVE_INFINITY;
  let bytes = 0;
  let dropped = 0;
  let failures = 0;
  let retryAt = Number.NEGATIVE_INFINITY;
  const clock = opts.clock ?? { now: () => Date.now() };
  const warning = opts.log
    ? rateLimitedWarning(
        opts.log,
        (count, errors) => [
          { file: opts.file, failures: count, errors, dropped },
          `dead-letter file not writable (${Object.keys(errors).join(', ')}); ${dropped} dead letter(s) not written so far; retrying on later dead letters`,
        ],
        undefined,
        opts.clock,
      )
    : undefined;
  const fail = (err: NodeJS.ErrnoException, stream?: WriteStream) => {
    // The first error of a stream closes it; the writes queued behind it fail too and are counted by their callbacks.
    if (stream && stream !== file) return;
    failures++;
    warning?.add(err.code ?? err.message);
    file?.destroy();
    file = undefined;
    retryAt = clock.now() + (opts.retryMs ?? 1000);
  };
  const openFile = () => {
    // Opened synchronously so the file exists at once; a rename later moves it with any writes still queued.
    const fd = openSync(opts.file!, 'a');
    const st = fstatSync(fd);
    bytes = st.size;
    opened = { dev: st.dev, ino: st.ino };
    checkAt = clock.now() + (opts.retryMs ?? 1000);
    const stream = createWriteStream('', { fd });
    stream.on('error', (err) => fail(err, stream));
    file = stream;
  };
  /** Open the file; when that fails for a letter being written, the letter is counted before the warning says how many. */
  const tryOpen = (forLetter = false): boolean => {
    try {
      openFile();
      return true;
    } catch (err) {
      if (forLetter) dropped++;
      fail(err as NodeJS.ErrnoException);
      return false;
    }
  };
  /** Whether the path still names the open file (checked at most once per retryMs). */
  const stillThere = (): boolean => {
    if (clock.now() < checkAt) return true;
    checkAt = clock.now() + (opts.retryMs ?? 1000);
    try {
      const st = statSync(opts.file!);
      return st.dev === opened.dev && st.ino === opened.ino;
    } catch {
      return false;
    }
  };
  const lost = (err?: Error | null) => {
    if (err) dropped++;
  };
  if (opts.file) tryOpen();

  return {
    write(r) {
      const line = JSON.stringify(deadLetter(r));
      if (client && opts.topic && client.connected) {
        client.publish(opts.topic.replaceAll('{reason}', r.reason), line, { qos: 0 });
      }
      if (!opts.file) return;
      if (!file && clock.now() >= retryAt && !tryOpen(true)) return;
      if (file && !stillThere()) {
        // Removed or moved away: what is queued goes to the old file; reopen the path (a removed folder fails here).
        file.end();
        file = undefined;
        if (!tryOpen(true)) return;
      }
      if (!file) return void dropped++;
      if (file.writableLength > MAX_FILE_BACKLOG) return void dropped++;
      if (bytes > opts.maxFileBytes) {
        // Rotate: the current file becomes `.1` (replacing an older one); a new file starts.
        const old = file;
        file = undefined;
        old.end();
        try {
          renameSync(opts.file, `${opts.file}.1`);
        } catch (err) {
          fail(err as NodeJS.ErrnoException);
          return void dropped++;
        }
        tryOpen();
        if (!file) return void dropped++;
      }
      file.write(`${line}\n`, lost);
      bytes += line.length + 1;
    },
    dropped: () => dropped,
    failures: () => failures,
    close: () => {
      warning?.flush();
      return new Promise<void>((resolve) => (file ? file.end(resolve) : resolve()));
    },
  };
}
