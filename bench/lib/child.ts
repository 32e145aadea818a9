/**
 * Pieces the benches share: `--name value` arguments, and (overload, soak) a child process that runs a role of
 * the same script and reports over IPC, with a bounded wait on its reports.
 */
import { fork, type ChildProcess } from 'node:child_process';
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
