/**
 * `vigil adapt` (and `vigil adapt rollback`) as a child process: fine-tuning needs TensorFlow.js, which the runtime
 * never loads, and runs for seconds to minutes, which the inference path must not wait for. The child's decision
 * line (stdout, `adapt: ...`) and exit code are what the runtime acts on (train/adapt/cli.ts, ADAPT_EXIT).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The variable that names this runtime's pid in the child's environment: `vigil adapt` writes nothing for a runtime
 * that is gone by the time it would (train/adapt/parent-watch.ts).
 */
export const ADAPT_FOR_ENV = 'VIGIL_ADAPT_FOR';

/** How a child run ended. */
export interface ChildResult {
  /** Exit code; null when it was killed (time limit, stop). */
  code: number | null;
  /** Its `adapt: ...` decision line, if it printed one. */
  line?: string;
  /** The last lines of its stderr (for a failure's log line). */
  stderrTail: string;
  timedOut: boolean;
}

/** A running child: its result, and a way to stop it. */
export interface ChildRun {
  result: Promise<ChildResult>;
  kill(): void;
}

/**
 * The argv prefix that runs `vigil`: the configured one, else this node with this checkout's bin/vigil.mjs. Throws
 * when the training package (TensorFlow.js) is not installed beside the runtime, saying what to do.
 */
export function vigilCommand(configured: string[] | undefined): string[] {
  if (configured) return configured;
  const bin = fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url));
  let train = false;
  try {
    createRequire(import.meta.url).resolve('@vigil/train/package.json');
    train = true;
  } catch {
    // not installed: a gateway with the runtime alone
  }
  if (!existsSync(bin) || !train) {
    throw new Error(`adapt.enabled needs vigil adapt, which comes with the training package (@vigil/train, TensorFlow.js)${train ? '' : ', not installed here'}${existsSync(bin) ? '' : ` and ${bin}, not found`}; install it beside the runtime, or set adapt.command to a command that runs vigil`);
  }
  return [process.execPath, bin];
}

/**
 * The argv prefix that runs a command under Linux's SCHED_IDLE policy (util-linux `chrt --idle 0`): it gets a core
 * only when nothing else wants one, so the runtime's thread is not delayed by fine-tuning (bench/adapt-pause.ts:
 * event-loop delay p99 3.2-5.0 ms while fine-tuning at nice 19, 1.5-1.9 ms under SCHED_IDLE, 1.4-1.6 ms idle).
 * Undefined off Linux, without chrt, or when this system does not let chrt set it (tried once).
 */
export function idlePrefix(): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const chrt = ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p));
  if (!chrt) return undefined;
  // chrt sets the policy, then runs the command: a trivial one (chrt itself), so a busy machine, where an idle-class
  // process waits for a core, does not hold the start up; one that timed out waiting had the policy set.
  const tried = spawnSync(chrt, ['--idle', '0', chrt, '--version'], { stdio: 'ignore', timeout: 2000 });
  const timedOut = (tried.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return tried.status === 0 || timedOut ? [chrt, '--idle', '0'] : undefined;
}

/**
 * Run `command ...args`; resolves when it exits (or is killed after `timeoutMs`). The child runs at `niceness` (its
 * CPU priority, 19 lowest): fine-tuning takes what inference leaves of the cores, not a share of them.
 */
export function runVigil(command: string[], args: string[], timeoutMs: number, niceness = 0): ChildRun {
  const child = spawn(command[0], [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [ADAPT_FOR_ENV]: String(process.pid) } });
  if (niceness && child.pid !== undefined) {
    try {
      setPriority(child.pid, niceness);
    } catch {
      // not permitted here: it runs at the runtime's own priority
    }
  }
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out = (out + s).slice(-64 * 1024)));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-8 * 1024)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, timeoutMs);
  timer.unref();
  const result = new Promise<ChildResult>((resolve) => {
    const done = (code: number | null, spawnError?: Error) => {
      clearTimeout(timer);
      const line = out.split('\n').reverse().find((l) => l.startsWith('adapt: '));
      const tail = (spawnError ? `${spawnError.message}\n` : '') + err.trim().split('\n').slice(-5).join('\n');
      resolve({ code, line, stderrTail: tail, timedOut });
    };
    child.on('error', (e) => done(null, e));
    child.on('close', (code) => done(code));
  });
  return { result, kill: () => void child.kill('SIGTERM') };
}
