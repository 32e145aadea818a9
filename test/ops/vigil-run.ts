/**
 * `vigil run` as a person starts it, for the tests that need the real process (banner, signals, exit code):
 * `spawnVigilRun(args)` runs `node bin/vigil.mjs run ARGS` from the repo root and keeps its output as it arrives;
 * `untilStarted` waits for the banner's last line, failing early with the output's tail if the process exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { clearRetained } from './retained.ts';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@vigil/fixtures/wait.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** A started `vigil run` and what it has said so far. */
export interface VigilRun {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in arrival order. */
  out: string;
  exited: boolean;
  code: number | null;
  /** Resolves with the exit code (once the retained status it left is cleared). */
  exit: Promise<number | null>;
  /** Clear the retained status it left (again: a vigil behind a launcher may say offline after the launcher exits). */
  clearStatus: () => Promise<void>;
}

let runs = 0;

/**
 * Start `node bin/vigil.mjs run ...args` (with `env`, default this process's; `launcher` instead of `node bin/vigil.mjs`,
 * e.g. npx). On a broker, without a `--gateway` of its own, each run gets a gateway id of its own, and the retained
 * status it leaves on the broker's default status topic is cleared once it exits (the shared Mosquitto kept a
 * `vigil/status/HOST` of every test run).
 */
export function spawnVigilRun(args: string[], opts: { env?: NodeJS.ProcessEnv; launcher?: string[] } = {}): VigilRun {
  const [command, ...first] = opts.launcher ?? [process.execPath, 'bin/vigil.mjs'];
  const broker = args[args.indexOf('--broker') + 1];
  const gateway = args.includes('--broker') && !args.includes('--gateway') && !args.includes('--config') ? `vigil-test-${process.pid}-${++runs}` : undefined;
  const proc = spawn(command, [...first, 'run', ...args, ...(gateway ? ['--gateway', gateway] : [])], { cwd: repo, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const clear = async () => {
    if (gateway) await clearRetained(broker, `vigil/status/${gateway}`);
  };
  const v: VigilRun = {
    proc,
    stdout: '',
    stderr: '',
    out: '',
    exited: false,
    code: null,
    exit: new Promise((done) => proc.once('exit', (code) => void clear().finally(() => done(code)))),
    clearStatus: clear,
  };
  proc.stdout!.on('data', (d) => ((v.stdout += d), (v.out += d)));
  proc.stderr!.on('data', (d) => ((v.stderr += d), (v.out += d)));
  proc.once('exit', (code) => {
    v.exited = true;
    v.code = code;
  });
  return v;
}

/** Resolve once `v` printed its banner ('Ctrl-C stops'); reject if it exits first or after `timeoutMs`, with its output's tail. */
export async function untilStarted(v: VigilRun, what = 'vigil run to start', timeoutMs = 30_000): Promise<void> {
  await waitFor(() => v.stdout.includes('Ctrl-C stops') || v.exited, what, timeoutMs, () => v.out.slice(-600));
  if (!v.stdout.includes('Ctrl-C stops')) throw new Error(`vigil run exited early (${v.code}) waiting for ${what}: ${v.out.slice(-600)}`);
}
