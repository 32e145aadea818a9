/**
 * One vigil per state file. Two started with one config (the service and a hand-run check, a copied gateway config)
 * take each other's broker session in turn, each losing readings, and the one stopped last overwrites the other's
 * state (a probe: 11 reconnects in 25 s, 56 readings missing, state.json overwritten). At start, before anything else,
 * `STATE-lock` beside the state file is made naming this process (runtime/util/pid-lock.ts); a lock whose process
 * still runs (or, in this process, a runtime that has not stopped) refuses the start, saying which pid holds it; one
 * whose process is gone (a kill -9, a power cut, a pid reused since) is taken over, said.
 */
import { makeDirs } from '../util/make-dirs.ts';
import { dirname } from 'node:path';
import { keptFileBeside } from '../util/kept-file.ts';
import { releaseLock, tryLock, type LockAttempt } from '../util/pid-lock.ts';

/** The part of a logger this needs. */
export interface LockLogger {
  warn(obj: object, msg: string): void;
}

/** A held lock. */
export interface StateLock {
  readonly file: string;
  release(): void;
}

/** The lock files this process holds (a second runtime in one process, as tests and embedders start them). */
const heldHere = new Set<string>();

/**
 * Take the lock of `stateFile`; throws when a running process holds it. `unwritable: 'quiet'`: a lock that cannot be
 * made is not said (a check before the runtime's own take, which says it).
 */
export function lockStateFile(stateFile: string, log?: LockLogger, opts: { unwritable?: 'warn' | 'quiet' } = {}): StateLock {
  const file = keptFileBeside(stateFile, 'lock')!;
  let got: LockAttempt;
  try {
    makeDirs(dirname(file));
    got = tryLock(file, {
      ownHeld: () => heldHere.has(file),
      onStale: (h) => log?.warn({ file, pid: h?.pid }, `state file lock left by a process that is gone (pid ${h?.pid ?? 'unreadable'}): taken over`),
    });
  } catch (err) {
    // A folder that cannot be written stops no start: the state saves fail too, and /health says so (state-saves.ts).
    if (opts.unwritable !== 'quiet') log?.warn({ file, err: (err as Error).message }, 'state file lock not taken: a second vigil on this state file would not be stopped');
    return { file, release: () => {} };
  }
  if (!got.taken) {
    throw new Error(
      `state.file ${stateFile} is in use by another vigil (pid ${got.holder.pid}, lock ${file}): two instances of one config take each other's broker session and overwrite each other's state; stop that one, or give this one its own state.file and broker.clientId`,
    );
  }
  heldHere.add(file);
  return { file, release: () => releaseIfOurs(file) };
}

/** Remove the lock if it is still this process's (never another's that took a stale one over). */
function releaseIfOurs(file: string): void {
  if (heldHere.delete(file)) releaseLock(file);
}
