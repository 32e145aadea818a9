/**
 * One vigil per state file (a probe: two instances of one config took each other's broker session 11 times in 25 s,
 * lost readings and overwrote each other's state): the second start is refused before it reaches the broker, a lock
 * left by a process that is gone is taken over, and a session the broker keeps giving to a twin is said as such.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockStateFile } from '../../runtime/ops/state-lock.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { freePort } from '@vigil/fixtures/ports.ts';
import { capturingLogger, recordedModel, silent, testConfig, uniquePrefix } from './harness.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

describe('the state file lock', () => {
  it('refuses a second holder while the first runs, is released on stop, and a stale one is taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    const state = join(dir, 'sub', 'state.json');
    const lock = lockStateFile(state);
    expect(lock.file).toBe(join(dir, 'sub', 'state.json-lock'));
    // The pid, and who it is (this boot and the process's start time), so a pid reused after a reboot is no holder.
    expect(readFileSync(lock.file, 'utf8').trim()).toMatch(new RegExp(`^${process.pid} [0-9a-f-]{36}:\\d+$`));
    // Another running process holds it (an older vigil's lock: the pid alone): refused, naming the pid.
    writeFileSync(lock.file, `${process.ppid}\n`);
    expect(() => lockStateFile(state)).toThrow(new RegExp(`state.file .*state\\.json is in use by another vigil \\(pid ${process.ppid}, lock .*state\\.json-lock\\).*own state\\.file and broker\\.clientId`));
    // A running pid that is not the process that wrote the lock (a pid reused after a reboot): taken over.
    const other = join(dir, 'reused.json');
    writeFileSync(`${other}-lock`, `${process.ppid} 00000000-0000-0000-0000-000000000000:1\n`);
    const reused = lockStateFile(other);
    expect(readFileSync(reused.file, 'utf8').split(' ')[0]).toBe(String(process.pid));
    reused.release();
    // Held by a runtime of this process that has not stopped: refused too.
    writeFileSync(lock.file, `${process.pid}\n`);
    expect(() => lockStateFile(state)).toThrow(/is in use by another vigil/);
    // Released on stop; a release never removes another process's lock.
    writeFileSync(lock.file, `${process.ppid}\n`);
    lock.release();
    expect(existsSync(lock.file)).toBe(true);
    writeFileSync(lock.file, `${process.pid}\n`);
    const second = lockStateFile(join(dir, 'other.json'));
    second.release();
    second.release();
    expect(existsSync(second.file)).toBe(false);
    // (the first lock was released above while another pid held the file: it stays that pid's.)
    expect(readFileSync(lock.file, 'utf8').trim()).toBe(String(process.pid));
    // A process that is gone (a kill -9): its lock is taken over, said.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lock.file, `${gone}\n`);
    const { lines, logger } = capturingLogger('warn');
    const again = lockStateFile(state, logger);
    expect(readFileSync(again.file, 'utf8').split(' ')[0]).toBe(String(process.pid));
    expect(lines).toMatchObject([{ pid: Number(gone), msg: expect.stringContaining('left by a process that is gone') }]);
    again.release();
  });

  it('a second runtime on the same state file stops before connecting to the broker; the first is untouched', async () => {
    const cfg = testConfig(MOSQUITTO, uniquePrefix('lock'), recordedModel());
    const first = await startRuntime(cfg, { logger: silent });
    try {
      // Its broker is a port nobody listens on: a start that got that far would fail on the connect timeout instead.
      const twin = { ...cfg, broker: { ...cfg.broker, url: `mqtt://127.0.0.1:${await freePort()}` }, metrics: { ...cfg.metrics, port: 0 } };
      await expect(startRuntime(twin, { logger: silent })).rejects.toThrow(/is in use by another vigil \(pid \d+/);
      expect(first.health()).toMatchObject({ broker: { connected: true } });
    } finally {
      await first.stop();
    }
    // Stopped: the next start takes it.
    const next = await startRuntime(cfg, { logger: silent });
    await next.stop();
  });

  it("a twin with the running one's dashboard port is told of the twin, not of the port (a field probe)", async () => {
    const { createServer } = await import('node:net');
    const { run } = await import('../../runtime/cli/run.ts');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-dash-'));
    const state = join(dir, 'state.json');
    const held = lockStateFile(state);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(run(['--model', recordedModel(), '--broker', MOSQUITTO, '--topic', 'lockdash/{sensor}/data', '--state', state, '--dashboard', String(port), '--metrics-port', '0'])).rejects.toThrow(/state\.file .*state\.json is in use by another vigil/);
      // A lock left by a process that is gone, taken over by that early probe, is said as the runtime's take says it (a
      // review: silent with --dashboard); here the port is then found in use.
      held.release();
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      writeFileSync(`${state}-lock`, `${gone}\n`);
      const child = spawnSync(process.execPath, ['bin/vigil.mjs', 'run', '--model', recordedModel(), '--broker', MOSQUITTO, '--topic', 'lockdash/{sensor}/data', '--state', state, '--dashboard', String(port), '--metrics-port', '0'], { encoding: 'utf8', timeout: 60_000 });
      expect(child.status).toBe(1);
      expect(child.stderr).toMatch(new RegExp(`state file lock left by a process that is gone \\(pid ${gone}\\): taken over`));
      expect(child.stderr).toMatch(/dashboard port \d+ is in use/);
    } finally {
      held.release();
      await new Promise((r) => busy.close(r));
    }
  });

  it('a broker that keeps giving our session to a client with the same id is said as a takeover, not an outage', async () => {
    // Mosquitto drops the older of two clients with one id without a reason code; they reconnect and drop each other.
    const clientId = `vigil-twin-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const cfg = BrokerSchema.parse({ url: MOSQUITTO, clientId, reconnect: { minMs: 50, maxMs: 100 } });
    const { lines, logger } = capturingLogger('info');
    const a = connectBroker(cfg, logger);
    await waitConnected(a, 5000);
    const b = connectBroker(cfg, silent);
    const warnings = () => lines.filter((l) => (l.level as number) >= 40);
    try {
      for (let i = 0; i < 250 && !lines.some((l) => l.level === 50); i++) await new Promise((r) => setTimeout(r, 20));
      // Then the two keep dropping each other: said once, not at every drop or reconnection (a probe: 16 error lines in 3.5 s).
      const said = lines.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(lines.slice(said)).toEqual([]);
      // The twin leaves: once our connection has lasted 10 s, the session is said to be ours again (a review: never said).
      await new Promise<void>((r) => b.end(true, {}, () => r()));
      for (let i = 0; i < 150 && !lines.some((l) => /ours again/.test(String(l.msg))); i++) await new Promise((r) => setTimeout(r, 100));
      expect(lines.at(-1)).toMatchObject({ level: 30, msg: expect.stringContaining('the session taken over is ours again'), dropsSinceLastSaid: expect.any(Number) });
    } finally {
      await Promise.all([a, b].map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
    }
    expect(warnings().find((l) => l.level === 50)).toMatchObject({ clientId, droppedSoonAfterConnecting: 3, msg: expect.stringMatching(/broker dropped the connection 3 times in a row within 10 s of connecting: another client may be taking our session with client id .* give each its own broker\.clientId/) });
    // Before that, the first drops read as the outage they look like.
    expect(warnings()[0]).toMatchObject({ level: 40, msg: 'broker unreachable; reconnecting with backoff' });
  }, 30_000);
});
