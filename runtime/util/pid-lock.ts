/**
 * Exclusive lock files naming their holder: created with `wx`, holding the pid and who that process is (this boot's
 * id and the process's start time, from Linux /proc; nothing elsewhere). A lock whose holder is gone (a kill -9, a
 * power cut, a pid reused after a reboot) is taken over; two takers racing over one retry. Used by the runtime's
 * state file (runtime/ops/state-lock.ts) and vigil adapt's model pair (train/adapt/model-lock.ts).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** Who holds a lock: its pid, and its identity ('' when unknown: an older lock, or no /proc). */
export interface LockHolder {
  pid: number;
  identity: string;
}

/** What an attempt got: the lock, or the live holder that has it. */
export type LockAttempt = { taken: true } | { taken: false; holder: LockHolder };

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

/** This boot's id and process `pid`'s start time (Linux /proc), '' where unknown. */
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

/** The holder a lock file names, undefined when it names none (unreadable, empty, not a pid). */
export function lockHolder(file: string): LockHolder | undefined {
  try {
    const [pidText, who = ''] = readFileSync(file, 'utf8').trim().split(/\s+/);
    const pid = Number.parseInt(pidText, 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, identity: who } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a holder still runs: its pid runs and, where both are known, is the process that wrote the lock. */
function alive(h: LockHolder): boolean {
  if (!running(h.pid)) return false;
  const now = h.identity ? identity(h.pid) : '';
  return !h.identity || !now || now === h.identity;
}

/**
 * Take `file`, or say who holds it. `ownHeld` decides a lock naming this very process (default: held; the state file
 * asks whether a runtime of this process still has it); `onStale` hears of a lock taken over. Errors other than the
 * file existing (a folder that cannot be written) are thrown.
 */
export function tryLock(file: string, o: { ownHeld?: () => boolean; onStale?: (h: LockHolder | undefined) => void } = {}): LockAttempt {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid} ${identity(process.pid)}\n`);
      closeSync(fd);
      return { taken: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(file);
    if (holder && (holder.pid === process.pid ? (o.ownHeld?.() ?? true) : alive(holder))) return { taken: false, holder };
    o.onStale?.(holder);
    rmSync(file, { force: true });
  }
  throw new Error(`${file}: taken by another process three times while this one tried`);
}

/** Remove `file` if this process still holds it (never another's that took a stale one over). */
export function releaseLock(file: string): void {
  if (lockHolder(file)?.pid === process.pid) rmSync(file, { force: true });
}
