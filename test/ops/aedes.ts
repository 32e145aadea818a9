/**
 * The embedded aedes broker as the integration tests use it (served by simulators/broker/aedes.ts): it can be stopped
 * and started again on the same port, reports what clients publish (seen by the broker itself, so no subscriber has
 * to race the reconnect) and, asked to, keeps its sessions across a restart as a broker with a persistent store would
 * (the persistence outlives each aedes instance). `fileBroker` gives one to a test file: started before its tests,
 * stopped after.
 */
import { Aedes } from 'aedes';
import persistenceModule from 'aedes-persistence';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';

/** A restartable broker. */
export interface TestBroker {
  port: number;
  url: string;
  /** Start (again) on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Sees every client publish while the broker runs. */
export type OnPublish = (topic: string, payload: Buffer) => void;

/** Options of a test broker. */
export interface TestBrokerOptions {
  /** Keep sessions (subscriptions, queued messages) across a stop and start. */
  keepSessions?: boolean;
}

/** Create a broker on a free port; `onPublish` sees every client publish while it runs. */
export async function testBroker(onPublish: OnPublish = () => {}, opts: TestBrokerOptions = {}): Promise<TestBroker> {
  // The package is CommonJS (module.exports = factory); its typings declare an ES default export instead.
  const persistence = opts.keepSessions ? (persistenceModule as unknown as () => unknown)() : undefined;
  let embedded: EmbeddedBroker | undefined;
  const b: TestBroker = {
    port: 0,
    url: '',
    async start() {
      const a = await Aedes.createBroker(persistence ? { persistence } : undefined);
      a.on('publish', (packet, client) => {
        if (client) onPublish(packet.topic, Buffer.from(packet.payload as Buffer));
      });
      const e = await startBroker({ port: b.port, aedes: a });
      b.port = e.port;
      b.url = e.url;
      embedded = e;
    },
    async stop() {
      const e = embedded;
      embedded = undefined;
      await e?.close();
    },
  };
  await b.start();
  return b;
}

/** A test broker for this file's tests (or this describe block's): started before them, stopped after. */
export function fileBroker(onPublish?: OnPublish): TestBroker {
  let started: TestBroker | undefined;
  beforeAll(async () => {
    started = await testBroker(onPublish);
  });
  afterAll(async () => started?.stop());
  const broker = (): TestBroker => {
    if (!started) throw new Error('the test broker starts before the tests (beforeAll)');
    return started;
  };
  return {
    get port() {
      return broker().port;
    },
    get url() {
      return broker().url;
    },
    start: () => broker().start(),
    stop: () => broker().stop(),
  };
}
