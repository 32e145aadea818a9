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
import type { MqttClient } from 'mqtt';
import type { Rejected } from '../stream/types.ts';
import { utf8Text } from '../codecs/values.ts';
import type { WarnLogger, WarningClock } from '../util/rate-limited-warning.ts';
import { DeadLetterFile } from './dead-letter-file.ts';

/** Bytes of the original payload kept in a dead letter. */
export const DEAD_LETTER_PREVIEW_BYTES = 1024;

/** One dead letter as published and written. */
export interface DeadLetter {
  /** The vigil that set it aside (`gateway.id`), where several share a broker or a file system. */
  gateway?: string;
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

/**
 * Turn a rejection into its dead letter, naming `gateway` when given. Built as one of two object literals, not by
 * spreading the optional `gateway` in: the spread made an object JSON.stringify serialised four times slower
 * (8 us a dead letter against 2 us, most of a refused reading's cost in a burst of them).
 */
export function deadLetter(r: Rejected, gateway?: string): DeadLetter {
  const { reason, detail, topic } = r;
  const receivedAt = new Date(r.receivedAt).toISOString();
  const payloadBytes = r.payload?.byteLength ?? 0;
  const d: DeadLetter = gateway !== undefined ? { gateway, reason, detail, topic, receivedAt, payloadBytes } : { reason, detail, topic, receivedAt, payloadBytes };
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

/** Dead-letter topics remembered, one per reason. */
const TOPICS = 64;

/** Options of the dead-letter sink. */
export interface DeadLetterOptions {
  /** Topic template with `{reason}`, or null (`{gateway}` already filled: runtime/config/gateway.ts `gatewayTopic`). */
  topic: string | null;
  /** Named in every dead letter (`gateway.id`). */
  gateway?: string;
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
  const file = opts.file ? new DeadLetterFile(opts.file, opts) : undefined;
  // Each reason's topic, made once (a burst of refused readings has one or a few reasons); at most TOPICS kept.
  const topics = new Map<string, string>();
  const topicOf = (reason: string, template: string) => {
    let t = topics.get(reason);
    if (t !== undefined) return t;
    t = template.replaceAll('{reason}', reason);
    if (topics.size < TOPICS) topics.set(reason, t);
    return t;
  };
  return {
    write(r) {
      const line = JSON.stringify(deadLetter(r, opts.gateway));
      if (client && opts.topic && client.connected) client.publish(topicOf(r.reason, opts.topic), line, { qos: 0 });
      file?.append(line);
    },
    dropped: () => file?.dropped ?? 0,
    failures: () => file?.failures ?? 0,
    close: () => file?.close() ?? Promise.resolve(),
  };
}
