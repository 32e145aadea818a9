/**
 * A Mosquitto of the bench's own, on a free port, with TCP_NODELAY (`set_tcp_nodelay true`) and no persistence, so
 * latency is not Nagle's and no other run shares its topics. Needs the `mosquitto` binary (as the system broker).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A port the OS says is free now. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

/** Start the broker; resolves once it listens. `stop()` ends it (SIGTERM). */
export async function startBroker(work: string): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const conf = join(work, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\nmax_queued_messages 0\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  process.once('exit', () => child.kill('SIGKILL'));
  let err = '';
  await new Promise<void>((done, fail) => {
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (/running/.test(err)) done();
    });
    child.once('exit', (code) => fail(new Error(`mosquitto exited (${code}): ${err}`)));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
