/**
 * One writer at a time for a served model pair and its kept versions: `vigil adapt` (keep the old pair, write the
 * new) and `vigil adapt rollback` hold `DIR/NAME.lock` while they change anything. Without it, an adaptation run
 * by hand while the runtime's own runs would have both kept the same version and written two different pairs under
 * one version number. The lock is a file created exclusively, holding the owner's pid; a lock whose process is gone
 * (killed mid-write) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** Thrown when another live process holds the lock. */
export class ModelLocked extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run `fn` holding the lock of the model at `base` (path without extension); throws ModelLocked when it is held. */
export function withModelLock<T>(base: string, fn: () => T): T {
  const path = `${base}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(path, err);
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) throw new ModelLocked(`${base} is being changed by process ${owner} (${path}); try again when it is done`);
      rmSync(path, { force: true }); // its process is gone: take it over
    }
  }
  try {
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function lockError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'EEXIST' ? new ModelLocked(`${path} is held by another process; try again when it is done`) : new Error(`cannot lock ${path}: ${e.message}`);
}
