/**
 * The runtime's state file: its store (full saves and the journal of alert states between them) and what it restores,
 * with the warnings a start says about it.
 */
import { dirname } from 'node:path';
import { AlertJournal, alertJournalPath, type AlertStates } from '../thresholds/alert-journal.ts';
import type { LoadedState, StateModelId, StateSource } from '../thresholds/store.ts';
import { ThresholdStore } from '../thresholds/threshold-store.ts';
import { makeDirs } from '../util/make-dirs.ts';
import type { VigilLogger } from './logger.ts';

/**
 * The state file's store. Its saves are scheduled, counted and their failures said by state-saves.ts (the store's own
 * timer is not used), so it needs no interval or error handler here.
 */
export function openStore(file: string, collect: () => StateSource, model: StateModelId, alertStatesOf: (sensor: string) => AlertStates | undefined): ThresholdStore {
  // A state folder not there yet is made, as systemd's StateDirectory would; one that cannot be is said at the first save.
  try {
    makeDirs(dirname(file));
  } catch {}
  // The alert and silence states an alert event changed, written between full saves (alert-journal.ts).
  return new ThresholdStore(file, collect, { model, journal: new AlertJournal(alertJournalPath(file), alertStatesOf) });
}

/** The states a previous run saved (none, with a warning, when the file cannot be used). */
export function restoredStates(store: ThresholdStore, log: VigilLogger): Map<string, LoadedState> {
  const file = store.path;
  const loaded = store.load();
  if (loaded.problem) log.warn({ file, problem: loaded.problem, setAside: loaded.setAside }, 'threshold state not restored');
  if (loaded.journalProblem) log.warn({ file, problem: loaded.journalProblem }, 'alert states journaled since the last full save not restored, or only in part (the problem says which and why)');
  if (loaded.states.size) log.info({ file, sensors: loaded.states.size, savedAt: loaded.savedAt, ...(loaded.journaled ? { alertStatesSince: loaded.journaled } : {}) }, 'threshold state restored');
  return loaded.states;
}
