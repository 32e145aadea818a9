/**
 * A consumer process of the closed-loop benches (e2e): a role of the bench script, forked, reporting its
 * progress over IPC every few ms; the parent tracks its latest report and peak RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a consumer child reports, every 25 ms. */
export interface ConsumerReport {
  processed: number;
  decoded: number;
  dropped: number;
  rss: number;
  heapUsed: number;
  latency?: { p50: number; p99: number };
  alerts?: number;
  drops?: Record<string, number>;
  ready?: boolean;
}

/** A forked consumer and what the parent knows of it. */
export interface Consumer {
  proc: ChildProcess;
  last: ConsumerReport;
  peakRss: number;
  onReport?: (r: ConsumerReport) => void;
}

/**
 * Fork `script` (through bin/run-ts.mjs, or `bundle` on plain node) with `args`; resolves at its first ready report.
 * VIGIL_BENCH_PROF=DIR profiles each consumer (node --cpu-prof) to see where the time goes.
 */
export function spawnConsumer(script: string, args: string[], nodeFlags: string[] = [], bundle?: string): Promise<Consumer> {
  return new Promise((resolve, reject) => {
    const runTs = fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url));
    // A bundle runs on plain node (no tsx loader); otherwise the script runs through tsx as usual.
    const [entry, first] = bundle ? [bundle, []] : [runTs, [script]];
    const proc = fork(entry, [...first, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...nodeFlags, ...(process.env.VIGIL_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.VIGIL_BENCH_PROF}`] : [])],
    });
    const child: Consumer = { proc, last: { processed: 0, decoded: 0, dropped: 0, rss: 0, heapUsed: 0 }, peakRss: 0 };
    proc.on('message', (r: ConsumerReport) => {
      child.last = r;
      child.peakRss = Math.max(child.peakRss, r.rss);
      child.onReport?.(r);
      if (r.ready) resolve(child);
    });
    proc.once('exit', (code) => reject(new Error(`consumer exited with code ${code} before it was ready`)));
  });
}

/** Disconnect IPC (the consumer's cue to stop) and wait for it to exit; killed after 5 s. */
export function stopConsumer(c: Consumer): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
    c.proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    c.proc.disconnect();
  });
}

/** Resolve once `pred()` holds, checked at each report of `c`; reject after `timeoutMs` naming `what`. */
export const waitFor = (pred: () => boolean, c: Consumer, timeoutMs: number, what: string) =>
  new Promise<void>((resolve, reject) => {
    if (pred()) return resolve();
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    c.onReport = () => {
      if (pred()) {
        clearTimeout(t);
        c.onReport = undefined;
        resolve();
      }
    };
  });
