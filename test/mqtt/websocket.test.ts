/**
 * `ws://` brokers: the runtime connects over WebSocket (aedes behind a `ws` server, as brokers expose MQTT on
 * port 8080/9001), judges readings and publishes the alert over the same connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { injectSpike, readingJson, recordedModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from '../ops/harness.ts';

let http: Server;
let aedes: Aedes;
let wss: WebSocketServer;
let url = '';
const published = new Subject<{ topic: string; payload: string }>();

beforeAll(async () => {
  aedes = await Aedes.createBroker();
  aedes.on('publish', (packet, client) => {
    if (client) published.next({ topic: packet.topic, payload: packet.payload.toString() });
  });
  http = createServer();
  wss = new WebSocketServer({ server: http });
  wss.on('connection', (conn) => aedes.handle(createWebSocketStream(conn) as never));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await new Promise<void>((r) => http.close(() => r()));
  await new Promise<void>((r) => aedes.close(() => r()));
});

describe('MQTT over WebSocket', () => {
  it('runs the runtime over ws:// and publishes its alerts there', async () => {
    const prefix = uniquePrefix('ws');
    const alert = within(published, 10_000, 'the alert over ws', (m) => m.topic.startsWith(`${prefix}/alerts/`));
    const handle = await startRuntime(testConfig(url, prefix, recordedModel()), { logger: silent });
    const pub = await (await import('mqtt')).default.connectAsync(url);
    try {
      const rec = recordedSeries(40, 1500);
      const values = injectSpike(rec.values, 25, 6 * recordedStd());
      for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/ws-1/data`, readingJson(rec.ts[i], values[i]), { qos: 1 });
      const m = await alert;
      expect(m.topic).toBe(`${prefix}/alerts/ws-1`);
      expect(JSON.parse(m.payload)).toMatchObject({ type: 'open', sensor: 'ws-1', tsLast: rec.ts[25] });
    } finally {
      await pub.endAsync();
      await handle.stop();
    }
  });
});
