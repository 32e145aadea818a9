import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { connectMqtt } from '../../simulators/broker/connect.ts';

describe('embedded broker', () => {
  it('routes messages, closes with clients connected, frees its port, and says when a port is taken', async () => {
    const broker = await startBroker({ port: 0 });
    const a = await connectMqtt(broker.url, { clientId: 'a' });
    const b = await connectMqtt(broker.url, { clientId: 'b' });
    expect(broker.clients()).toBe(2);
    const got = new Promise<string>((resolve) => b.on('message', (_t, p) => resolve(p.toString())));
    await b.subscribeAsync('x/#', { qos: 1 });
    await a.publishAsync('x/1', 'hello', { qos: 1 });
    expect(await got).toBe('hello');

    // A second broker on the same port fails with a message that says what to do.
    await expect(startBroker({ port: broker.port })).rejects.toThrow(/already in use; pick another with --port/);

    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.options.reconnectPeriod = 0;
    b.options.reconnectPeriod = 0;
    await broker.close();
    await broker.close(); // twice is fine
    await closed;
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const s = createServer().once('error', reject).listen(broker.port, '127.0.0.1', () => s.close(() => resolve()));
    });
    a.end(true);
    b.end(true);
  });

  it('a client pointed at nothing fails fast with a readable reason', async () => {
    const broker = await startBroker({ port: 0 });
    const port = broker.port;
    await broker.close();
    await expect(connectMqtt(`mqtt://127.0.0.1:${port}`, { timeoutMs: 3000 })).rejects.toThrow(/cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: .*Is a broker running there\?/);
    await expect(connectMqtt('http://example.com')).rejects.toThrow(/not a broker URL; expected e\.g\. mqtt:\/\//);
  });
});
