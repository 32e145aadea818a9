/**
 * The dashboard's recording across a restart: the recent closed alerts, written to a file (`vigil run`: beside the
 * state file, `STATE-dashboard.json`) when one closes and when the dashboard stops, and read back when it starts, so the page's
 * list of recent alerts does not empty at every restart (a probe: an alert closed a minute before a restart was gone
 * from the list after it, with nothing to say it had been). Alerts still open come back from the state file itself
 * (the feed's `openAlerts`). A recording that cannot be read or is not one is said in a warning and moved aside
 * (`...-set-aside`), never a reason not to start.
 */
import { renameSync } from 'node:fs';
import type { Observable } from 'rxjs';
import type { AlertEvent } from '@vigil/runtime/stream/types.ts';
import { z } from 'zod';
import { CAUSES } from '@vigil/runtime/scoring/cause.ts';
import { readKept, type KeptFileLogger } from '@vigil/runtime/util/kept-file.ts';
import { writeFileAtomic } from '@vigil/runtime/util/atomic-write.ts';
import { issueSummary } from '@vigil/runtime/util/describe-issues.ts';
import type { AlertSpan } from './sensors.ts';
import type { AlertSpans } from './alert-spans.ts';

/** The schema name every recording carries; one of another name is not read. */
export const RECORDING_SCHEMA = 'vigil-dashboard-recording/1';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const ClosedSpanSchema = z.object({
  sensor: z.string().min(1),
  start: finite,
  end: finite,
  peakScore: finite,
  threshold: finite,
  peakThreshold: finite.optional(),
  contributors: z.array(z.object({ channel: z.string(), share: finite })),
  critical: z.boolean().optional(),
  cause: z.enum(CAUSES).optional(),
  incomplete: z.boolean().optional(),
  causeChannel: z.string().optional(),
  unresolved: z.string().optional(),
  marked: z.union([z.object({ command: z.enum(['normal', 'trained']), by: z.string().optional() }), z.object({ command: z.literal('maintenance'), by: z.string().optional(), until: finite })]).optional(),
  outside: z.array(z.object({ channel: z.string(), value: finite, low: finite, high: finite })).optional(),
});
const RecordingSchema = z.object({ schema: z.literal(RECORDING_SCHEMA), savedAt: finite, alerts: z.array(ClosedSpanSchema) });

/** Write the closed alerts `spans` (oldest first) to `file`, atomically. */
export function saveRecording(file: string, spans: readonly AlertSpan[], now = Date.now()): void {
  const alerts = spans.filter((s) => s.end !== null);
  writeFileAtomic(file, `${JSON.stringify({ schema: RECORDING_SCHEMA, savedAt: now, alerts })}\n`);
}

/**
 * The closed alerts a recording holds, oldest first; none when there is no file. One that cannot be read or is not
 * a recording of this version is warned of and moved aside, so it is neither lost unsaid nor read again.
 */
export function loadRecording(file: string, log: KeptFileLogger): AlertSpan[] {
  const text = readKept(file, 'dashboard recording', log);
  if (text === undefined) return [];
  let why: string;
  try {
    const got = RecordingSchema.safeParse(JSON.parse(text));
    if (got.success) return got.data.alerts as AlertSpan[];
    why = issueSummary(got.error);
  } catch (err) {
    why = `not JSON (${(err as Error).message})`;
  }
  const aside = `${file}-set-aside`;
  let moved = true;
  try {
    renameSync(file, aside);
  } catch {
    moved = false;
  }
  log.warn({ file, reason: why, ...(moved && { setAside: aside }) }, `dashboard recording not read: expected a ${RECORDING_SCHEMA} file, ${why}; the recent alerts list starts empty${moved ? ` (file moved to ${aside})` : ''}`);
  return [];
}

/**
 * Restore the recording of `file` into `spans`, then keep it: saved `delayMs` after an alert closes (a kill at the
 * memory cap loses no more than that) and when `stop` is called. A failed save is warned of; the page goes on.
 */
export function keepRecording(file: string, spans: AlertSpans, alerts: Observable<AlertEvent>, log: KeptFileLogger, delayMs = 1000): { stop(): void } {
  spans.restoreClosed(loadRecording(file, log));
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    timer = undefined;
    try {
      saveRecording(file, spans.closed());
    } catch (err) {
      log.warn({ file, err: (err as Error).message }, 'dashboard recording could not be saved: the recent alerts list will start empty after a restart');
    }
  };
  const sub = alerts.subscribe({
    next: (e) => {
      if (e.type === 'close' && !timer) timer = setTimeout(save, delayMs).unref();
    },
    error: () => {},
  });
  return {
    stop() {
      sub.unsubscribe();
      clearTimeout(timer);
      save();
    },
  };
}
