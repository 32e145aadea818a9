/**
 * An aedes broker that can be stopped and started again on the same port while keeping its sessions, as a
 * broker with a persistent store would: the persistence object outlives each aedes instance.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import persistenceModule from 'aedes-persistence';
import { freePort } from '@vigil/fixtures/ports.ts';

/** A restartable embedded broker. */
export interface RestartableBroker {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Start aedes on a free port with a persistence that survives restarts. */
export async function startRestartableAedes(): Promise<RestartableBroker> {
  const port = await freePort();
  // The package is CommonJS (module.exports = factory); its typings declare an ES default export instead.
  const memory = persistenceModule as unknown as () => unknown;
  const persistence = memory();
  let aedes: Aedes | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const start = async () => {
    const a = await Aedes.createBroker({ persistence });
    aedes = a;
    server = createServer((s) => {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      a.handle(s);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
  };
  const stop = async () => {
    if (!server || !aedes) return;
    const srv = server;
    const a = aedes;
    server = undefined;
    aedes = undefined;
    const closed = new Promise<void>((r) => srv.close(() => r()));
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => a.close(() => r()));
    await closed;
  };
  await start();
  return { url: `mqtt://127.0.0.1:${port}`, stop, start, close: stop };
}
