/**
 * Dead letters: every rejected message, with its reason, goes to a topic (`vigil/deadletter/{reason}`) and/or
 * a JSONL file, so bad input is kept for inspection instead of vanishing. Payloads are cut to a preview so a
 * flood of huge messages cannot turn into a flood of huge dead letters; the file rotates at a size limit and
 * writes are dropped (counted) when the disk cannot keep up, rather than buffering without bound.
 */
import { createWriteStream, fstatSync, openSync, renameSync, type WriteStream } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Rejected } from '../stream/types.ts';
import { utf8Text } from '../codecs/values.ts';

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
}

/** Where rejected messages go. */
export interface DeadLetterSink {
  write(r: Rejected): void;
  /** Dead letters not written because the file backlog was full. */
  dropped(): number;
  close(): Promise<void>;
}

/** Create the sink; `client` may be null when only a file is wanted. */
export function deadLetterSink(client: MqttClient | null, opts: DeadLetterOptions): DeadLetterSink {
  let file: WriteStream | undefined;
  let bytes = 0;
  let dropped = 0;
  const openFile = () => {
    // Opened synchronously so the file exists at once; a rename later moves it with any writes still queued.
    const fd = openSync(opts.file!, 'a');
    bytes = fstatSync(fd).size;
    file = createWriteStream('', { fd });
    file.on('error', () => void dropped++);
  };
  if (opts.file) openFile();

  return {
    write(r) {
      const line = JSON.stringify(deadLetter(r));
      if (client && opts.topic && client.connected) {
        client.publish(opts.topic.replaceAll('{reason}', r.reason), line, { qos: 0 });
      }
      if (file) {
        if (file.writableLength > MAX_FILE_BACKLOG) return void dropped++;
        if (bytes > opts.maxFileBytes) {
          // Rotate: the current file becomes `.1` (replacing an older one); a new file starts.
          file.end();
          renameSync(opts.file!, `${opts.file}.1`);
          openFile();
        }
        file.write(`${line}\n`);
        bytes += line.length + 1;
      }
    },
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => (file ? file.end(resolve) : resolve())),
  };
}
