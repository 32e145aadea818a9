/**
 * Alert-topic messages the broker never acknowledged, kept across a restart beside the state file: an alert opened
 * while the broker was away and still queued at a stop was saved as open in the state, so the next run resumed it
 * and sent only its `close`, and a consumer saw a close with no open. At a stop what is unacknowledged is written
 * here; at the next start it is read, removed and sent before anything new. Failures to read, write or remove the
 * file are logged, never thrown: a start never fails on it.
 */
import { writeFileAtomic } from '../util/atomic-write.ts';
import { keptFileBeside, readKept, removeKept } from '../util/kept-file.ts';
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
  const items: AlertMessage[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as AlertMessage;
      if (typeof m?.topic === 'string' && typeof m.body === 'string') items.push({ topic: m.topic, body: m.body, ...(m.properties ? { properties: m.properties } : {}), ...(typeof m.lifecycle === 'boolean' ? { lifecycle: m.lifecycle } : {}) });
      else skipped++;
    } catch {
      skipped++;
    }
  }
  // Sent now, and again at the next start if the file stays: a consumer may see them twice (QoS 1 allows it).
  removeKept(file, 'alert messages the last run left unsent are sent, but their file', 'they are sent again at the next start', log);
  log.info({ file, messages: items.length, skipped }, 'alert messages the last run could not publish are sent first');
  return items;
}

/** Keep `items` for the next start (nothing to keep: nothing written). */
export function keepUnsent(file: string | undefined, items: AlertMessage[], log: MiniLogger): void {
  if (items.length === 0) return;
  if (!file) return void log.warn({ messages: items.length }, 'alert messages not acknowledged by the broker are lost (no state file to keep them beside)');
  try {
    writeFileAtomic(file, items.map((m) => `${JSON.stringify(m)}\n`).join(''));
    log.warn({ file, messages: items.length }, 'alert messages not acknowledged by the broker; kept, and sent first at the next start');
  } catch (err) {
    log.error({ file, messages: items.length, err: (err as Error).message }, 'alert messages not acknowledged by the broker, and not kept');
  }
}
