/**
 * Saved states a restart could not restore, said in the log as one line per kind and report: how many sensors, the
 * first few with their reasons (a threshold config changed over 10,000 sensors is one line, not 10,000).
 */
import type { VigilLogger } from './logger.ts';

/** What each kind of state that failed to restore means for its sensor. */
const MESSAGES = {
  threshold: 'saved threshold not restored; sensor started fresh',
  alert: 'saved alert state not restored; sensor started with no alert open',
  smoother: 'saved score smoother not restored; sensor started smoothing afresh',
  silence: 'saved silence watch not restored; sensor watched afresh',
} as const;

/** One kind of saved state. */
export type RestoredKind = keyof typeof MESSAGES;

/** Log the `failures` of one kind (nothing when there are none). */
export function restoreFailureLog(log: VigilLogger): (kind: RestoredKind, failures: { sensor: string; reason: string }[]) => void {
  return (kind, failures) => {
    if (failures.length === 0) return;
    if (failures.length === 1) return void log.warn(failures[0], MESSAGES[kind]);
    log.warn({ sensors: failures.length, first: failures.slice(0, 5) }, MESSAGES[kind]);
  };
}
