/**
 * The MQTT edges on their own: client options (MQTT 5 sessions, TLS files), reconnect backoff, the alert sink's
 * bounded offline queue, and the webhook's retry with backoff (dead-letter files: dead-letter-file.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { clientOptions, connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { backoffDelay } from '../../runtime/mqtt/reconnect-backoff.ts';
import { isLifecycle, mqttAlertSink } from '../../runtime/mqtt/alert-sink.ts';
import { alertPayload, alertTopic } from '../../runtime/mqtt/alert-payload.ts';
import { createWebhook } from '../../runtime/ops/webhook.ts';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { fileBroker } from '../ops/aedes.ts';
import { capturingLogger } from '../ops/harness.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { INVALID_LINES, openSinks } from '../../runtime/ops/sinks.ts';
import { keepUnsent, takeUnsent, unsentAlertsFile } from '../../runtime/mqtt/unsent-alerts.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';

const alert = (sensor: string, tsLast: number): AlertEvent => ({
  type: 'open',
  sensor,
  tsFirst: tsLast - 1000,
  tsLast,
  score: 3.14159265,
  threshold: 1,
  contributors: [
    { channel: 'a', share: 0.7 },
    { channel: 'b', share: 0.2 },
    { channel: 'c', share: 0.06 },
    { channel: 'd', share: 0.04 },
  ],
  model: { name: 'm', version: '1' },
  provider: 'ort-node/cpu',
});

describe('client options and backoff', () => {
  it('builds MQTT 5 persistent sessions and names unreadable TLS files by key', () => {
    const cfg = BrokerSchema.parse({ url: 'mqtts://h:8883', protocolVersion: 5, clean: false, clientId: 'gw', sessionExpirySec: 600, username: 'u', password: 'p' });
    expect(clientOptions(cfg)).toMatchObject({ protocolVersion: 5, clean: false, clientId: 'gw', properties: { sessionExpiryInterval: 600 }, username: 'u', password: 'p' });
    expect(clientOptions(BrokerSchema.parse({ url: 'mqtt://h' }), 'abcd').clientId).toBe('vigil-abcd');
    expect(() => clientOptions(BrokerSchema.parse({ url: 'mqtts://h', tls: { ca: '/nonexistent/ca.pem' } }))).toThrow(/broker\.tls\.ca: cannot read \/nonexistent\/ca\.pem \(ENOENT\); expected a PEM file/);
  });

  it("quiets mqtt.js's per-packet debug log (a tenth of vigil run's allocations) unless DEBUG asks for it", () => {
    const before = process.env.DEBUG;
    try {
      delete process.env.DEBUG;
      expect(clientOptions(BrokerSchema.parse({ url: 'mqtt://h' })).log).toBeTypeOf('function');
      process.env.DEBUG = 'mqttjs*';
      expect(clientOptions(BrokerSchema.parse({ url: 'mqtt://h' })).log).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env.DEBUG;
      else process.env.DEBUG = before;
    }
  });

  it('backs off exponentially up to the cap, with bounded jitter', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 10, 40].map((a) => backoffDelay(a, 100, 2000, mid))).toEqual([100, 200, 400, 800, 2000, 2000]);
    expect(backoffDelay(3, 100, 2000, () => 0)).toBe(640);
    expect(backoffDelay(3, 100, 2000, () => 1)).toBe(960);
  });
});

describe('alert payload and topic', () => {
  it('is bounded and refuses sensor ids that would inject topic levels', () => {
    const p = alertPayload(alert('pump-1', Date.UTC(2024, 0, 1)), 2);
    expect(p).toMatchObject({ schema: 'vigil-alert/1', windowEnd: '2024-01-01T00:00:00.000Z', score: 3.14159, topChannels: [{ channel: 'a', share: 0.7 }, { channel: 'b', share: 0.2 }] });
    expect(alertTopic('vigil/alerts/{sensor}', 'pump-1')).toBe('vigil/alerts/pump-1');
    for (const bad of ['a/b', '+', '#', '..', 'a..b', '']) expect(() => alertTopic('vigil/alerts/{sensor}', bad)).toThrow(/refusing to publish/);
  });
});

describe('alert sink offline queue', () => {
  const seen: string[] = [];
  const broker = fileBroker((topic) => seen.push(topic));

  it('holds at most queueMax alerts while offline, drops the oldest (counted), sends the rest in order', async () => {
    const client = connectBroker(BrokerSchema.parse({ url: broker.url, reconnect: { minMs: 30, maxMs: 100 } }));
    client.on('error', () => {});
    await waitConnected(client, 5000);
    const sink = mqttAlertSink(client, { topic: 'q/{sensor}', qos: 1, retain: false, queueMax: 3, messageExpirySec: 0 });
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    await broker.stop();
    await closed;
    for (const s of ['s1', 's2', 's3', 's4', 's5']) sink.publish(alertPayload(alert(s, 1000)));
    expect(sink.stats()).toMatchObject({ queued: 5, dropped: 2, waiting: 3, delivered: 0 });
    await broker.start();
    expect(await sink.drain(5000)).toBe(true);
    expect(sink.stats()).toMatchObject({ delivered: 3, waiting: 0 });
    expect(seen.filter((t) => t.startsWith('q/'))).toEqual(['q/s3', 'q/s4', 'q/s5']);
    sink.close();
    await client.endAsync();
  });

  it('logs invalid-reading signals one line each up to INVALID_LINES a minute, the rest summed; every one is published (a field probe: 200 lines a minute)', async () => {
    const config = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: broker.url }, alerts: { topic: 'inv/{sensor}' }, deadLetter: { topic: null }, state: { file: null } });
    const client = connectBroker(config.broker);
    client.on('error', () => {});
    await waitConnected(client, 5000);
    const { lines, logger } = capturingLogger('info');
    const edge = createEdgeCounters();
    const sinks = openSinks(client, config, logger, edge, () => ({ name: 'm', version: '1' }), () => true);
    for (let i = 0; i < INVALID_LINES + 30; i++) sinks.reject({ reason: 'bad_value', detail: 'flow: NaN', topic: `x/s${i}`, sensor: `s${i}`, payload: Buffer.from('{}'), receivedAt: Date.now() });
    await sinks.close();
    client.end(true);
    expect(lines.filter((l) => String(l.msg).startsWith('invalid reading: '))).toHaveLength(INVALID_LINES);
    const summed = lines.filter((l) => String(l.msg).startsWith('invalid readings: '));
    expect(summed.reduce((a, l) => a + (l.signals as number), 0)).toBe(30);
    expect(summed[0].msg).toMatch(/\(bad_value \d+\) not logged one by one, over 20 a minute/);
    expect([...edge.invalidSignals.values()].reduce((a, b) => a + b, 0)).toBe(INVALID_LINES + 30);
  });

  it('keeps what the broker never acknowledged beside the state file at a stop, and sends it first at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-unsent-'));
    const config = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: broker.url, reconnect: { minMs: 30, maxMs: 100 } }, alerts: { topic: 'u/{sensor}' }, state: { file: join(dir, 'state.json') } });
    const client = connectBroker(config.broker);
    client.on('error', () => {});
    await waitConnected(client, 5000);
    const { lines, logger } = capturingLogger('info');
    const sinks = openSinks(client, config, logger, createEdgeCounters(), () => ({ name: 'm', version: '1' }));
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    await broker.stop();
    await closed;
    // An alert opens while the broker is away; the runtime stops before it comes back.
    sinks.alert(alert('u1', 7000));
    expect(await sinks.drain(100)).toBe(false);
    await sinks.close();
    client.end(true);
    const file = unsentAlertsFile(config.state.file)!;
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).topic)).toEqual(['u/u1']);
    expect(lines.find((l) => String(l.msg).startsWith('alert messages not acknowledged'))).toMatchObject({ messages: 1, file });

    // The next start: the kept open goes out before anything new.
    await broker.start();
    const sub = await mqtt.connectAsync(broker.url);
    await sub.subscribeAsync('u/#', { qos: 1 });
    const bodies: string[] = [];
    sub.on('message', (_t, p) => bodies.push(p.toString()));
    const next = connectBroker(config.broker);
    await waitConnected(next, 5000);
    const again = openSinks(next, config, logger, createEdgeCounters(), () => ({ name: 'm', version: '1' }));
    again.alert({ ...alert('u1', 9000), type: 'close' });
    expect(await again.drain(5000)).toBe(true);
    await waitFor(() => bodies.length === 2, 'both alert messages', 5000);
    expect(bodies.map((b) => (JSON.parse(b) as { type: string }).type)).toEqual(['open', 'close']);
    // Emptied once the broker has them (the journal stays open), gone at the stop.
    expect(readFileSync(file, 'utf8')).toBe('');
    await again.close();
    expect(existsSync(file)).toBe(false);
    await Promise.all([next.endAsync(), sub.endAsync()]);
  });

  it('a plain mqtt.js subscriber can read what the sink publishes', async () => {
    const sub = await mqtt.connectAsync(broker.url);
    await sub.subscribeAsync('r/#', { qos: 1 });
    const got = new Promise<string>((r) => sub.once('message', (_t, p) => r(p.toString())));
    const client = connectBroker(BrokerSchema.parse({ url: broker.url }));
    await waitConnected(client, 5000);
    const sink = mqttAlertSink(client, { topic: 'r/{sensor}', qos: 1, retain: false, queueMax: 10, messageExpirySec: 0 });
    sink.publish(alertPayload(alert('p9', 5000)));
    expect(JSON.parse(await got)).toMatchObject({ sensor: 'p9', tsLast: 5000, type: 'open' });
    await Promise.all([client.endAsync(), sub.endAsync()]);
  });
});

describe('webhook', () => {
  let server: Server;
  let url = '';
  const answers: number[] = [];
  const bodies: unknown[] = [];
  const auths: string[] = [];
  const retryAfter: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        auths.push(String(req.headers.authorization ?? ''));
        const ra = retryAfter.shift();
        res.writeHead(answers.shift() ?? 200, ra ? { 'retry-after': ra } : {}).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('delivers in order: an open failing and retried holds back its close, and Retry-After is waited for', async () => {
    const hook = createWebhook({ url, timeoutMs: 2000, retries: 3, backoffMs: 5, headers: {} });
    const before = bodies.length;
    // The first answer is a 429 asking for 0.3 s: the open's retry waits that long, and the close goes after it.
    retryAfter.push('0.3');
    answers.push(429);
    const t0 = Date.now();
    hook.post(alertPayload(alert('o1', 1)));
    hook.post(alertPayload({ ...alert('o1', 2), type: 'close' }));
    expect(await hook.drain(5000)).toBe(true);
    expect((bodies.slice(before) as { type: string }[]).map((b) => b.type)).toEqual(['open', 'open', 'close']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(hook.stats()).toMatchObject({ delivered: 2, failed: 0, inFlight: 0 });
  });

  it('sends a URL\'s user and password as Basic auth, and never says the URL', async () => {
    const failures: string[] = [];
    const withCreds = url.replace('http://', 'http://hookuser:HOOK%20PASS@');
    const hook = createWebhook({ url: withCreds, timeoutMs: 2000, retries: 0, backoffMs: 5, headers: {}, onFailure: (r) => failures.push(r) });
    const before = auths.length;
    hook.post(alertPayload(alert('c1', 1)));
    expect(await hook.drain(5000)).toBe(true);
    expect(hook.stats()).toMatchObject({ delivered: 1, failed: 0 });
    expect(auths.slice(before)).toEqual([`Basic ${Buffer.from('hookuser:HOOK PASS').toString('base64')}`]);
    // A receiver that is gone: the failure gives a reason, not the URL with its secrets.
    const gone = createWebhook({ url: 'http://u:SECRET@127.0.0.1:1/hook?token=T0K', timeoutMs: 500, retries: 0, backoffMs: 5, headers: {}, onFailure: (r) => failures.push(r) });
    gone.post(alertPayload(alert('c2', 1)));
    await gone.drain(3000);
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toMatch(/SECRET|T0K/);
  });

  it('retries 5xx with backoff, gives up on 4xx, and reports failures', async () => {
    const failures: string[] = [];
    const hook = createWebhook({ url, timeoutMs: 2000, retries: 3, backoffMs: 5, headers: { authorization: 'Bearer t' }, onFailure: (r) => failures.push(r) });
    const before = bodies.length;
    answers.push(503, 500, 200);
    hook.post(alertPayload(alert('w1', 1)));
    expect(await hook.drain(5000)).toBe(true);
    expect(hook.stats()).toMatchObject({ delivered: 1, failed: 0 });
    expect(bodies).toHaveLength(before + 3);
    answers.push(400);
    hook.post(alertPayload(alert('w2', 1)));
    await hook.drain(5000);
    expect(failures).toEqual(['HTTP 400']);
    expect(bodies).toHaveLength(before + 4);
  });
});

describe('retained alert state (alerts.retain)', () => {
  it('knows an alert event from a signal after a restart, with or without the flag an older run did not keep (a review)', () => {
    const open = { topic: 't/p1', body: JSON.stringify(alertPayload(alert('p1', 5000), 3)) };
    const silentSignal = { topic: 't/p1', body: JSON.stringify({ schema: 'vigil-alert/1', type: 'silent', sensor: 'p1' }) };
    expect(open.body.startsWith('{"schema"')).toBe(true);
    expect([isLifecycle(open), isLifecycle(silentSignal), isLifecycle({ ...open, body: 'not json' })]).toEqual([true, false, false]);
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-unsent-flag-')), 'unsent-alerts.jsonl');
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    keepUnsent(file, [{ ...silentSignal, lifecycle: false }, { ...open, lifecycle: true }], log);
    expect(takeUnsent(file, log).map((m) => m.lifecycle)).toEqual([false, true]);
  });

  it("keeps a sensor's alert event as its topic's retained message, never a signal, and without an expiry (MQTT 5, Mosquitto)", async () => {
    const prefix = `vigil-test/retain-${process.pid}-${Date.now().toString(36)}`;
    const client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
    const sink = mqttAlertSink(client, { topic: `${prefix}/{sensor}`, qos: 1, retain: true, queueMax: 10, messageExpirySec: 3600 });
    const model = { name: 'm', version: '1' };
    // What a subscriber arriving now is handed: the topic's retained message, with its flag and properties.
    const retainedNow = async () => {
      const late = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
      const got = new Promise<{ body: Record<string, unknown>; retain: boolean; expiry?: number }>((r) => late.once('message', (_t, p, packet) => r({ body: JSON.parse(p.toString()), retain: packet.retain, expiry: packet.properties?.messageExpiryInterval })));
      await late.subscribeAsync(`${prefix}/p1`, { qos: 1 });
      try {
        return await Promise.race([got, new Promise<never>((_, f) => setTimeout(() => f(new Error('no retained message')), 3000))]);
      } finally {
        await late.endAsync();
      }
    };
    try {
      sink.publish(alertPayload(alert('p1', 5000)));
      // A signal on the same topic after it (an invalid reading, a silence) goes out, but is not retained.
      sink.publish({ schema: 'vigil-alert/1', type: 'silent', sensor: 'p1', lastHeard: new Date(6000).toISOString(), lastHeardAt: 6000, quietMs: 61_000, usualMs: 1000, model, severity: 'warning' });
      expect(await sink.drain(5000)).toBe(true);
      expect(await retainedNow()).toEqual({ body: expect.objectContaining({ type: 'open', sensor: 'p1' }), retain: true, expiry: undefined });
      sink.publish(alertPayload({ ...alert('p1', 9000), type: 'close' }));
      expect(await sink.drain(5000)).toBe(true);
      expect((await retainedNow()).body).toMatchObject({ type: 'close', sensor: 'p1' });
    } finally {
      sink.close();
      // Leave no retained message behind on the shared broker.
      await client.publishAsync(`${prefix}/p1`, '', { retain: true, qos: 1 });
      await client.endAsync();
    }
  });
});
