/**
 * A file vigil cannot read, moved aside as `<file>.corrupt-<time>` for a person to look at, the newest
 * `KEEP_SET_ASIDE` copies kept: a disk or a script that spoils the state at every start (a probe: `echo '{}' >
 * state.json` before each) left a copy per start, with no end, in the folder the state lives in.
 */
import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Set-aside copies of one file kept (the older ones are removed when another is made). */
export const KEEP_SET_ASIDE = 5;

/**
 * Move `path` aside; returns where to, or undefined when it could not be moved (it is left where it is). Older copies
 * beyond `KEEP_SET_ASIDE` are removed, as far as the folder lets them be; how many is returned beside.
 */
export function setAside(path: string, now = new Date()): { to?: string; removed: number } {
  const prefix = `${basename(path)}.corrupt-`;
  const to = join(dirname(path), `${prefix}${now.toISOString().replace(/[:.]/g, '-')}`);
  try {
    renameSync(path, to);
  } catch {
    return { removed: 0 };
  }
  let removed = 0;
  try {
    // The time in the name sorts as the time itself (ISO 8601, fixed width).
    const copies = readdirSync(dirname(path)).filter((f) => f.startsWith(prefix)).sort();
    for (const f of copies.slice(0, Math.max(0, copies.length - KEEP_SET_ASIDE))) {
      unlinkSync(join(dirname(path), f));
      removed++;
    }
  } catch {
    // Housekeeping only: a copy that cannot be removed stays, the state is handled all the same.
  }
  return { to, removed };
}
