/**
 * The entry of a bench module that others also import (bench/run.ts, bench/gpu/*): run its `main` only when node
 * was started with this very file, and exit with what it returns; a throw prints `name: message` and exits 2.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Run `main(argv)` when `moduleUrl` (the caller's `import.meta.url`) is the script node was started with. */
export function mainWhenInvoked(moduleUrl: string, name: string, main: (argv: string[]) => Promise<number>): void {
  const invoked = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
  if (!invoked) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
