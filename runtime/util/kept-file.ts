/**
 * Files a stop leaves beside the state file for the next start (alerts the broker never acknowledged, the sensors'
 * last readings): named after the state file, read and removed once at the start. Failures are logged, never thrown:
 * a start never fails on them.
 */
import { readFileSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { removeStaleTemps } from './atomic-write.ts';
import { setAside } from './set-aside.ts';

/** The part of a logger this needs. */
export interface KeptFileLogger {
  warn(obj: object, msg: string): void;
}

/**
 * `STATE-SUFFIX` beside `stateFile` (none without a state file). Not `STATE.*`: the state file's temp clean-up would
 * take it.
 */
export function keptFileBeside(stateFile: string | null, suffix: string): string | undefined {
  return stateFile ? join(dirname(stateFile), `${basename(stateFile)}-${suffix}`) : undefined;
}

/** The text of a kept file (its half-written temps cleared first), or undefined when there is none or it cannot be read (`what` says which, in the warning). */
export function readKept(file: string, what: string, log: KeptFileLogger): string | undefined {
  const { text, error } = readOrWhy(file);
  if (error) log.warn({ file, err: error }, `${what} could not be read`);
  return text;
}

/** The text of `file` (its half-written temps cleared first): none when absent, or the error that kept it unread. */
export function readOrWhy(file: string): { text?: string; error?: string } {
  removeStaleTemps(file);
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { error: (err as Error).message };
  }
}

/** Remove a kept file once taken; `then` says what happens if it stays (in the warning). Whether it is gone. */
export function removeKept(file: string, what: string, then: string, log: KeptFileLogger): boolean {
  // One unlink, where rmSync lstats the path twice first. Anything but a plain removal or an absent file (a directory, a
  // platform's permission quirk) goes to rmSync, so the outcome and the errors are rmSync's.
  try {
    unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
  }
  try {
    rmSync(file, { force: true });
    return true;
  } catch (err) {
    log.warn({ file, err: (err as Error).message }, `${what} could not be removed: ${then}`);
    return false;
  }
}

/**
 * A kept file the start could not use (not what it should be, or lines of it unreadable): moved aside as
 * `<file>.corrupt-<time>` for a person to look at, as an unusable state file is (a review: they were removed, and with
 * them what spoilt them); removed where it cannot be moved, so the next start does not trip on it again. Where it
 * went, if anywhere.
 */
export function setAsideKept(file: string, what: string, log: KeptFileLogger, now = new Date()): string | undefined {
  const moved = setAside(file, now);
  if (!moved.to) removeKept(file, what, 'the next start reads it again', log);
  return moved.to;
}
