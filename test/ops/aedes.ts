/**
 * An aedes broker for outage tests: can be stopped and started again on the same port, and reports what
 * clients publish (seen by the broker itself, so no subscriber has to race the reconnect).
 */
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

/** A restartable broker. */
export interface TestBroker {
  port: number;
  url: string;
  /** Start (again) on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Create a broker on a free port; `onPublish` sees every client publish while it runs. */
export async function testBroker(onPublish: (topic: string, payload: Buffer) => void): Promise<TestBroker> {
  let port = 0;
  let server: Server | undefined;
  let aedes: Aedes | undefined;
  const sockets = new Set<Socket>();
  const b: TestBroker = {
    port: 0,
    url: '',
    async start() {
      const a = await Aedes.createBroker();
      a.on('publish', (packet, client) => {
        if (client) onPublish(packet.topic, Buffer.from(packet.payload as Buffer));
      });
      const s = createServer((socket) => {
        socket.setNoDelay(true);
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        a.handle(socket);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      b.port = port;
      b.url = `mqtt://127.0.0.1:${port}`;
      server = s;
      aedes = a;
    },
    async stop() {
      const s = server;
      const a = aedes;
      server = undefined;
      aedes = undefined;
      if (!s || !a) return;
      const closed = new Promise<void>((r) => s.close(() => r()));
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => a.close(() => r()));
      await closed;
    },
  };
  await b.start();
  return b;
}
