/**
 * One vigil per state file. Two started with one config (the service and a hand-run check, a copied gateway config)
 * take each other's broker session in turn, each losing readings, and the one stopped last overwrites the other's
 * state (a probe: 11 reconnects in 25 s, 56 readings missing, state.json overwritten). At start, before the broker,
 * `STATE-lock` beside the state file is made holding this process's pid; a lock whose process still runs (or, in this
 * process, a runtime that has not stopped) refuses the start, saying which pid holds it; one whose process is gone (a
 * kill -9, a power cut) is taken over, said.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { keptFileBeside } from '../util/kept-file.ts';

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

/** Whether process `pid` runs (on this host). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who a process is, beyond its pid: this boot's id and the process's start time (Linux /proc; empty elsewhere). After
 * a reboot or a power cut the lock's pid may name an unrelated process (a review: every start refused, a systemd
 * restart loop until someone deleted the lock).
 */
function identity(pid: number): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (start time), counted after the command name's closing parenthesis (a name may hold spaces).
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${boot}:${started}`;
  } catch {
    return '';
  }
}

/** The holder a lock file names: its pid and identity (a lock of an older vigil holds the pid alone). */
function holderIn(file: string): { pid: number; identity: string } | undefined {
  try {
    const [pidText, who = ''] = readFileSync(file, 'utf8').trim().split(/\s+/);
    const pid = Number.parseInt(pidText, 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, identity: who } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder a lock names still runs: its pid runs, and (where both are known) is the same process. */
function holds(h: { pid: number; identity: string }, file: string): boolean {
  if (h.pid === process.pid) return heldHere.has(file);
  if (!running(h.pid)) return false;
  const now = h.identity ? identity(h.pid) : '';
  return !h.identity || !now || now === h.identity;
}

/** Take the lock of `stateFile`; throws when a running process holds it. */
export function lockStateFile(stateFile: string, log?: LockLogger): StateLock {
  const file = keptFileBeside(stateFile, 'lock')!;
  const notTaken = (err: unknown): StateLock => {
    // A folder that cannot be written stops no start: the state saves fail too, and /health says so (state-saves.ts).
    log?.warn({ file, err: (err as Error).message }, 'state file lock not taken: a second vigil on this state file would not be stopped');
    return { file, release: () => {} };
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    return notTaken(err);
  }
  // A few attempts: two starts that both find a stale lock race to take it; the loser finds the winner holding it.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid} ${identity(process.pid)}\n`);
      closeSync(fd);
      heldHere.add(file);
      return { file, release: () => releaseIfOurs(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return notTaken(err);
    }
    const holder = holderIn(file);
    if (holder && holds(holder, file)) {
      throw new Error(
        `state.file ${stateFile} is in use by another vigil (pid ${holder.pid}, lock ${file}): two instances of one config take each other's broker session and overwrite each other's state; stop that one, or give this one its own state.file and broker.clientId`,
      );
    }
    log?.warn({ file, pid: holder?.pid }, `state file lock left by a process that is gone (pid ${holder?.pid ?? 'unreadable'}): taken over`);
    rmSync(file, { force: true });
  }
  return notTaken(new Error('taken over by another start at the same time, three times'));
}

/** Remove the lock if it is still this process's (never another's that took a stale one over). */
function releaseIfOurs(file: string): void {
  if (!heldHere.delete(file)) return;
  if (holderIn(file)?.pid === process.pid) rmSync(file, { force: true });
}
