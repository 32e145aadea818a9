/**
 * A private nats-server with JetStream (and optionally its MQTT listener) on free ports, its store in a temp dir,
 * for tests that need a real JetStream. `restart()` keeps the store dir (a crash and restart of the server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitListening } from './mosquitto.ts';

/** Where nats-server is looked for. */
export const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';

/** Whether a nats-server binary is present (tests skip without one). */
export const hasNatsServer = existsSync(NATS_SERVER);

/** A running private server. */
export interface TestNatsServer {
  url: string;
  port: number;
  mqttPort?: number;
  dir: string;
  log(): string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Start nats-server -js with a temp store; `mqtt: true` also opens an MQTT listener. */
export async function startNatsServer(opts: { mqtt?: boolean } = {}): Promise<TestNatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-'));
  const port = await freePort();
  const mqttPort = opts.mqtt ? await freePort() : undefined;
  const conf = join(dir, 'nats.conf');
  writeFileSync(conf, [`server_name: vigil-test-${port}`, `listen: 127.0.0.1:${port}`, `jetstream { store_dir: "${join(dir, 'js')}" }`, ...(mqttPort ? [`mqtt { listen: 127.0.0.1:${mqttPort} }`] : [])].join('\n'));
  let out = '';
  let proc: ChildProcess;
  let alive = false;
  const launch = async () => {
    proc = spawn(NATS_SERVER, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    alive = true;
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    proc.once('exit', () => (alive = false));
    await waitListening(port, 10_000, () => alive);
    if (mqttPort) await waitListening(mqttPort, 10_000, () => alive);
  };
  const halt = () =>
    new Promise<void>((r) => {
      if (!alive) return r();
      proc.once('exit', () => r());
      proc.kill('SIGKILL');
    });
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    mqttPort,
    dir,
    log: () => out,
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
