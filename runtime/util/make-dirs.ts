/**
 * `mkdir -p` without Node's recursive mkdir, which never returns where a parent exists but refuses children with
 * ENOENT (procfs): a probe's `state.file: /proc/probeot/state.json` left `vigil run` spinning at 100 % CPU, deaf to
 * SIGINT. Each missing folder is made on its own, from the first one that exists, so such a path fails at once with
 * the system's error.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Make `dir` and any missing parents; throws the first mkdir error but EEXIST. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); ) {
    missing.push(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
