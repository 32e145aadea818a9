/**
 * A Mosquitto of the bench's own, on a free port, with TCP_NODELAY (`set_tcp_nodelay true`) and no persistence
 * unless asked, so latency is not Nagle's and no other run shares its topics. Needs the `mosquitto` binary (as the system broker).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@vigil/fixtures/ports.ts';
import { cliArg } from './child.ts';

/** A running bench broker. */
export interface BenchBroker {
  url: string;
  port: number;
  /** End it (SIGTERM). */
  stop: () => Promise<void>;
  /** Kill it without warning (SIGKILL: no final save), as a crash or power loss does. */
  kill9: () => Promise<void>;
  /** Start it again on the same port and config (after `kill9` or `stop`). */
  restart: () => Promise<void>;
}

/**
 * Start the broker; resolves once it listens. With `persistence`, sessions and queued QoS 1 messages are saved in
 * `work` every second (autosave_interval 1), so a kill -9 loses at most the last second's changes.
 */
export async function startBroker(work: string, opts: { persistence?: boolean } = {}): Promise<BenchBroker> {
  const port = await freePort();
  const conf = join(work, 'mosquitto.conf');
  const persist = opts.persistence ? `persistence true\npersistence_location ${work}/\nautosave_interval 1\n${process.getuid?.() === 0 ? 'user root\n' : ''}` : 'persistence false\n';
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n${persist}max_queued_messages 0\n`);
  let child: ChildProcess | undefined;
  const launch = async () => {
    const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    process.once('exit', () => c.kill('SIGKILL'));
    let err = '';
    await new Promise<void>((done, fail) => {
      c.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
        if (/running/.test(err)) done();
      });
      c.once('exit', (code) => fail(new Error(`mosquitto exited (${code}): ${err}`)));
    });
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  await launch();
  return { url: `mqtt://127.0.0.1:${port}`, port, stop: () => end('SIGTERM'), kill9: () => end('SIGKILL'), restart: launch };
}

/** The broker a bench run uses: the one `--broker URL` names (`given`; left running at `stop`), else its own, started in `work`. */
export async function benchBroker(work: string): Promise<{ url: string; port: number; given: string; stop: () => Promise<void> }> {
  const given = cliArg('broker', '');
  if (given) return { url: given, port: Number(new URL(given).port || 1883), given, stop: async () => {} };
  const own = await startBroker(work);
  return { url: own.url, port: own.port, given, stop: own.stop };
}
