/**
 * Which vigil runs: the name and version of the package the runtime was installed with (the clone's root package.json,
 * or vigil-gateway's: bin/pack-gateway.mjs), else the runtime's own. Said in the banner of `vigil run`, so an operator
 * upgrading a fleet sees in each gateway's journal which version started (a probe: nothing said it).
 */
import { readFileSync } from 'node:fs';

/** `NAME VERSION` of the installed vigil package, e.g. `vigil 0.1.0`. */
export function vigilVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.version === 'string' && typeof pkg.name === 'string') return `${pkg.name} ${pkg.version}`;
    } catch {
      // Not there (the runtime installed on its own): the next one.
    }
  }
  return 'vigil (version unknown)';
}
