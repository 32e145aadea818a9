/**
 * Pieces the benches share: `--name value` arguments, (overload, soak) a child process that runs a role of the same
 * script and reports over IPC, with a bounded wait on its reports, and (memory benches) one configuration measured in
 * a fresh process that prints its outcome.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `--name value` from the command line, or `dflt` when absent. */
export function cliArg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

/** A forked bench child that sends reports (plain objects) over IPC. */
export interface ReportingChild<R> {
  child: ChildProcess;
  /** The latest report, undefined before the first. */
  last(): R | undefined;
  /** Resolve once `pred()` holds (checked every 20 ms); reject after `ms` naming `what` and the last report. */
  until(pred: () => boolean, what: string, ms: number): Promise<void>;
  /** Disconnect IPC (the child's cue to stop) and wait for it to exit. */
  stop(): Promise<void>;
}

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url));

/** Fork `script` (TypeScript, through bin/run-ts.mjs) with `args`; killed if this process exits first. */
export function forkReporting<R>(script: string, args: string[], onReport?: (r: R) => void): ReportingChild<R> {
  const child = fork(RUN_TS, [script, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.once('exit', () => child.kill('SIGKILL'));
  let last: R | undefined;
  child.on('message', (r: R) => {
    last = r;
    onReport?.(r);
  });
  return {
    child,
    last: () => last,
    until: (pred, what, ms) =>
      new Promise<void>((resolve, reject) => {
        if (pred()) return resolve();
        const end = Date.now() + ms;
        const timer = setInterval(() => {
          if (pred()) {
            clearInterval(timer);
            resolve();
          } else if (Date.now() > end) {
            clearInterval(timer);
            reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`));
          }
        }, 20);
      }),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
    },
  };
}

/**
 * Run `script` (TypeScript, through bin/run-ts.mjs) with `args` in a fresh process with `--expose-gc` (a measurement
 * of memory that must start from a clean heap) and return the JSON object on its last stdout line; throws naming
 * `what`, with the child's stderr, when it fails or prints none.
 */
export function gcChildOutcome<R>(script: string, args: string[], what: string): R {
  const p = spawnSync(process.execPath, ['--expose-gc', RUN_TS, script, ...args], { encoding: 'utf8' });
  const line = p.stdout.trim().split('\n').pop() ?? '';
  if (p.status !== 0 || !line.startsWith('{')) throw new Error(`child ${what} failed: ${p.stderr}`);
  return JSON.parse(line) as R;
}
