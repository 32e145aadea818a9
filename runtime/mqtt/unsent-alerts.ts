/**
 * Alert-topic messages the broker never acknowledged, kept across a restart beside the state file: an alert opened
 * while the broker was away and still queued at a stop was saved as open in the state, so the next run resumed it
 * and sent only its `close`, and a consumer saw a close with no open. At a stop what is unacknowledged is written
 * here; at the next start it is read, removed and sent before anything new. A stop that never comes (kill -9, the
 * service's memory limit) must not lose them either: the messages made in one event-loop turn are appended to the same
 * file together, before any of them is sent (`unsentJournal`), and the file is emptied once nothing waits (removed at
 * the stop). Failures to read, write or remove the file are logged, never thrown: a start never fails on it, nor a
 * publish.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { keptFileBeside, readKept, removeKept, setAsideKept } from '../util/kept-file.ts';
import type { AlertMessage } from './alert-sink.ts';
import type { MiniLogger } from './connect.ts';

/** The file beside `stateFile` (none without a state file). Not `STATE.*`: the state file's temp clean-up would take it. */
export function unsentAlertsFile(stateFile: string | null): string | undefined {
  return keptFileBeside(stateFile, 'unsent-alerts.jsonl');
}

/** Read and remove what a previous run left unsent (a line that is not a message is skipped, counted in the log). */
export function takeUnsent(file: string, log: MiniLogger): AlertMessage[] {
  const text = readKept(file, 'alert messages the last run left unsent', log);
  if (text === undefined) return [];
  // A run killed while nothing waited leaves its journal empty: nothing to send, nothing to say.
  if (text.trim() === '') {
    removeKept(file, 'an empty journal of alert messages', 'it is read again at the next start', log);
    return [];
  }
  const items: AlertMessage[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as AlertMessage & { payload?: unknown };
      const body = typeof m?.body === 'string' ? m.body : m?.payload && typeof m.payload === 'object' ? JSON.stringify(m.payload) : undefined;
      if (typeof m?.topic === 'string' && body !== undefined) items.push({ topic: m.topic, body, ...(m.properties ? { properties: m.properties } : {}), ...(typeof m.lifecycle === 'boolean' ? { lifecycle: m.lifecycle } : {}) });
      else skipped++;
    } catch {
      skipped++;
    }
  }
  // Sent now, and again at the next start if the file stays: a consumer may see them twice (QoS 1 allows it). With
  // lines that are not messages, set aside for a person to look at (alerts may be in them), not removed.
  let to: string | undefined;
  if (skipped > 0) to = setAsideKept(file, 'alert messages the last run left unsent', log);
  else removeKept(file, 'alert messages the last run left unsent are sent, but their file', 'they are sent again at the next start', log);
  log.info({ file, messages: items.length, skipped, ...(to ? { setAside: to } : {}) }, `alert messages the last run could not publish are sent first${skipped > 0 ? `; ${skipped} line(s) that are not messages${to ? `: the file is set aside as ${to}` : ''}` : ''}`);
  return items;
}

/**
 * A message's line in the journal: its body (an object's JSON, alert-sink.ts) as it is, under `payload`, rather than
 * escaped again as a string under `body` (a second stringify of every alert, issue 14); `takeUnsent` reads both. A body
 * not shaped as an object goes under `body`; one edited by hand into a shape that is not JSON would make its line
 * unreadable: set aside at the next start (takeUnsent), not sent.
 */
function lineOf(m: AlertMessage): string {
  const { body, ...rest } = m;
  if (body[0] !== '{' || body[body.length - 1] !== '}') return `${JSON.stringify(m)}\n`;
  return `${JSON.stringify(rest).slice(0, -1)},"payload":${body}}\n`;
}

/** Keep `items` for the next start (nothing to keep: nothing written). */
export function keepUnsent(file: string | undefined, items: AlertMessage[], log: MiniLogger): void {
  if (items.length === 0) return;
  if (!file) return void log.warn({ messages: items.length }, 'alert messages not acknowledged by the broker are lost (no state file to keep them beside)');
  try {
    writeFileAtomic(file, items.map(lineOf).join(''));
    log.warn({ file, messages: items.length }, 'alert messages not acknowledged by the broker; kept, and sent first at the next start');
  } catch (err) {
    log.error({ file, messages: items.length, err: (err as Error).message }, 'alert messages not acknowledged by the broker, and not kept');
  }
}

/** Where messages are kept from the moment they are made until nothing waits (`AlertSinkOptions.journal`). */
export interface UnsentJournal {
  /** Messages are made (before any of them is sent or queued): appended to the file in order, in one write. */
  append(items: readonly AlertMessage[]): void;
  /** Nothing waits any more: the file goes (if anything was appended since it last went). */
  clear(): void;
  /** The file written afresh with `items` (what waits now, in order). */
  rewrite(items: AlertMessage[]): void;
  /** The sink is closed (after the stop kept what waits): the file is let go, and removed if it holds nothing. */
  close(): void;
}

/**
 * The journal on `file`: after a kill -9 the next start finds every message that was waiting (and possibly some the
 * broker took after they were appended, before the file was emptied: a consumer may see those twice, as QoS 1 allows).
 * The file stays open between messages and is emptied in place when nothing waits, not removed: creating and
 * removing it for each alert cost ~140 us of CPU here against ~12 us for a write and a truncate (tens of alerts a
 * second under load), so the file goes only at the stop. A failure to append is logged once until an append works
 * again; the message still waits in memory.
 */
export function unsentJournal(file: string, log: MiniLogger): UnsentJournal {
  let fd: number | undefined;
  let written = false;
  let failing = false;
  const letGo = () => {
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // already unusable: nothing to release
    }
    fd = undefined;
  };
  return {
    append(items) {
      if (items.length === 0) return;
      try {
        // The file removed or replaced under the open descriptor (a cleanup, another run's start on the same state
        // file): appends to the unlinked inode would be on no path, lost at a kill -9 (appendFileSync opened it afresh).
        if (fd !== undefined && fstatSync(fd).nlink === 0) letGo();
        fd ??= openSync(file, 'a');
        let text = '';
        for (const m of items) text += lineOf(m);
        const bytes = Buffer.from(text);
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
        written = true;
        failing = false;
      } catch (err) {
        letGo();
        if (!failing) log.error({ file, err: (err as Error).message }, 'alert messages cannot be kept on disk until the broker has them: a kill before it does loses them');
        failing = true;
      }
    },
    rewrite(items) {
      // Replaced by a rename: the next append opens the new file.
      letGo();
      try {
        writeFileAtomic(file, items.map(lineOf).join(''));
        written = true;
      } catch (err) {
        log.error({ file, messages: items.length, err: (err as Error).message }, 'alert messages waiting for the broker could not be kept on disk afresh');
      }
    },
    clear() {
      if (!written) return;
      if (fd !== undefined) {
        try {
          ftruncateSync(fd, 0);
          written = false;
          return;
        } catch {
          letGo();
        }
      }
      written = !removeKept(file, 'alert messages waiting for the broker were sent, but their file', 'they are sent again at the next start', log);
    },
    close() {
      letGo();
      // What waits at the stop was kept afresh (`keepUnsent`); an empty journal is not left behind.
      try {
        if (statSync(file).size > 0) return;
      } catch {
        return; // no file
      }
      removeKept(file, 'the empty journal of alert messages', 'the next start removes it', log);
    },
  };
}
