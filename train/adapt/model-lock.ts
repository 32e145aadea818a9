/**
 * One writer at a time for a served model pair and its kept versions: `vigil adapt` (keep the old pair, write the
 * new) and `vigil adapt rollback` hold `DIR/NAME.lock` while they change anything. Without it, an adaptation run
 * by hand while the runtime's own runs would have both kept the same version and written two different pairs under
 * one version number. The lock is a pid lock (runtime/util/pid-lock.ts): one whose process is gone (killed mid-write,
 * or a pid reused since) is taken over.
 */
import { releaseLock, tryLock } from '@vigil/runtime/util/pid-lock.ts';

/** Thrown when another live process holds the lock. */
export class ModelLocked extends Error {}

/** Run `fn` holding the lock of the model at `base` (path without extension); throws ModelLocked when it is held. */
export function withModelLock<T>(base: string, fn: () => T): T {
  const path = `${base}.lock`;
  let got;
  try {
    got = tryLock(path);
  } catch (err) {
    throw new Error(`cannot lock ${path}: ${(err as Error).message}`);
  }
  if (!got.taken) throw new ModelLocked(`${base} is being changed by process ${got.holder.pid} (${path}); try again when it is done`);
  try {
    return fn();
  } finally {
    releaseLock(path);
  }
}
