/**
 * A private Mosquitto for tests: its own config, port, persistence directory and log, started as a child
 * process on 127.0.0.1, stopped (SIGTERM, so it saves sessions) and restarted on the same port. Readiness is
 * waited on by connecting, never by sleeping; every start is bounded by a timeout and every process is
 * killed on `close()`, which callers put in `afterAll`/`finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitListening } from '@vigil/fixtures/ports.ts';

/** Options of a test broker. */
export interface MosquittoOptions {
  /** Extra lines inside the listener section (TLS, auth); `allow_anonymous true` is added when none mention it. */
  listener?: string[];
  /** Port; default a free one. */
  port?: number;
  /** Save sessions to disk so they survive a restart (default true). */
  persistence?: boolean;
}

/** A running test broker. */
export interface TestMosquitto {
  url: string;
  port: number;
  dir: string;
  /** Stop gracefully (SIGTERM: sessions and queued QoS 1 messages are saved). */
  stop(): Promise<void>;
  /** Kill it (SIGKILL: nothing saved since its last autosave, as in a crash or power loss). */
  kill(): Promise<void>;
  /** Start again on the same port and config. */
  start(): Promise<void>;
  /** The broker's log so far (for failure messages). */
  log(): string;
  /** Stop for good and remove the directory. */
  close(): Promise<void>;
}

/** Start a private Mosquitto. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<TestMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-mosq-'));
  const port = opts.port ?? (await freePort());
  const listener = opts.listener ?? [];
  const lines = [
    `listener ${port} 127.0.0.1`,
    ...listener,
    ...(listener.some((l) => l.startsWith('allow_anonymous')) ? [] : ['allow_anonymous true']),
    `persistence ${opts.persistence === false ? 'false' : 'true'}`,
    `persistence_location ${dir}/`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'max_queued_messages 100000',
    // Started as root, Mosquitto drops to user 'mosquitto', which cannot read our private temp dir.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'per_listener_settings false',
  ];
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  let logText = '';
  let exited = true;

  const start = async () => {
    exited = false;
    const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d) => (logText += d));
    c.stderr!.on('data', (d) => (logText += d));
    c.once('exit', () => (exited = true));
    try {
      await waitListening(port, 10_000, () => !exited);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${logText}`);
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || exited) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  };
  const stop = () => end('SIGTERM');
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    kill: () => end('SIGKILL'),
    start,
    log: () => logText,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Read a text file, or '' when it does not exist. */
export function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
