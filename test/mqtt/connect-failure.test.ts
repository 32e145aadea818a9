/**
 * Start-up against a broker that will never accept us fails at once with the cause and what to check (wrong
 * password on MQTT 3.1.1 and 5, untrusted broker certificate), instead of waiting out the connect timeout;
 * a broker that is not there yet is retried with backoff and joined when it comes up. Real Mosquitto with a
 * password file and certificates made for the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { classifyConnectError, shortReason } from '../../runtime/mqtt/connect-failure.ts';
import { freePort } from '@vigil/fixtures/ports.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import type { TestPki } from '../security/support/certs.ts';
import { startTlsMosquitto } from '../security/support/tls-mosquitto.ts';

const USER = 'gw';
const PASSWORD = 'right-horse-battery-41';
/** Far longer than any assertion allows: waiting it out would fail the test. */
const LONG = 60_000;
let dir: string;
let pki: TestPki;
let mosq: TestMosquitto;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-connfail-'));
  ({ mosq, pki } = await startTlsMosquitto(dir, USER, PASSWORD));
});

afterAll(async () => {
  await mosq?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Connect with the given settings and time how long waitConnected takes to settle. */
async function attempt(over: Record<string, unknown>, timeoutMs = LONG): Promise<{ err?: Error; ms: number; client: MqttClient }> {
  const cfg = BrokerSchema.parse({ url: `mqtts://localhost:${mosq.port}`, username: USER, password: PASSWORD, tls: { ca: pki.ca }, connectTimeoutMs: timeoutMs, ...over });
  const client = connectBroker(cfg);
  const t0 = performance.now();
  const err = await waitConnected(client, timeoutMs).then(() => undefined, (e: Error) => e);
  const ms = performance.now() - t0;
  await new Promise<void>((r) => client.end(true, {}, () => r()));
  return { err, ms, client };
}

describe('connection failures that retrying cannot fix', () => {
  it('the right credentials connect (control)', async () => {
    const { err } = await attempt({});
    expect(err).toBeUndefined();
  });

  it('a wrong password fails at once on MQTT 3.1.1 and 5, naming the keys to check and never the password', { timeout: 20_000 }, async () => {
    for (const protocolVersion of [4, 5]) {
      const { err, ms } = await attempt({ protocolVersion, password: 'wrong-pw-0042' });
      expect(err?.message, `v${protocolVersion}`).toMatch(/could not connect to the broker at mqtts:\/\/localhost:\d+: the broker (refused the user name or password|says this client is not authorized)/);
      expect(err!.message).toMatch(/broker\.username.*VIGIL_MQTT_PASSWORD.*Not retrying/);
      expect(err!.message).not.toContain('wrong-pw-0042');
      expect(ms, `v${protocolVersion} waited ${ms} ms`).toBeLessThan(10_000);
    }
  });

  it('an untrusted broker certificate fails at once, pointing at broker.tls.ca', { timeout: 20_000 }, async () => {
    const { err, ms } = await attempt({ tls: { ca: pki.rogueCa } });
    expect(err?.message).toMatch(/TLS certificate is not signed by a trusted CA.*broker\.tls\.ca/);
    expect(ms).toBeLessThan(10_000);
  });
});

describe('connection failures that time may fix', () => {
  it('a refused TCP connection is retried with backoff until the timeout, then reported', { timeout: 20_000 }, async () => {
    const port = await freePort();
    const client = connectBroker(BrokerSchema.parse({ url: `mqtt://127.0.0.1:${port}`, reconnect: { minMs: 20, maxMs: 80 } }));
    let retries = 0;
    client.on('reconnect', () => retries++);
    const err = await waitConnected(client, 1500).then(() => undefined, (e: Error) => e);
    await new Promise<void>((r) => client.end(true, {}, () => r()));
    expect(err?.message).toMatch(/within 1500 ms \(.*ECONNREFUSED.*\); is it running/);
    expect(retries).toBeGreaterThanOrEqual(2);
  });

  it('a port that closes every connection unanswered asks whether broker.url has the scheme of that port (a probe: "is it running and reachable?")', { timeout: 20_000 }, async () => {
    // Mosquitto resets a TLS listener's connection that speaks plain MQTT, and a plain one's that starts a TLS handshake:
    // both reachable, both running; only the URL's scheme is wrong.
    const tlsAsPlain = await attempt({ url: `mqtt://localhost:${mosq.port}`, tls: undefined }, 1500);
    const plainAsTls = await attempt({ url: 'mqtts://127.0.0.1:1883', username: undefined, password: undefined }, 1500);
    for (const { err } of [tlsAsPlain, plainAsTls]) {
      expect(err?.message).toMatch(/within 1500 ms \(.*ECONNRESET.*\); the broker closed each connection before answering: .*mqtts:\/\/ for a TLS port.*mqtt:\/\/ for a plain one/);
      expect(err!.message).not.toMatch(/is it running/);
    }
  });

  it('a port that takes the connection and never answers MQTT is said as such, not as one unreachable', { timeout: 20_000 }, async () => {
    // A hung broker, or a port that is not MQTT's (HTTP, a websocket listener given as mqtt://): a probe was asked
    // whether it was running and reachable, which it was.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { port } = silent.address() as AddressInfo;
    try {
      const client = connectBroker(BrokerSchema.parse({ url: `mqtt://127.0.0.1:${port}`, connectTimeoutMs: 800 }));
      client.on('error', () => {});
      const err = await waitConnected(client, 1500).then(() => undefined, (e: Error) => e);
      await new Promise<void>((r) => client.end(true, {}, () => r()));
      expect(err?.message).toMatch(/within 1500 ms \(connack timeout\); the broker took the connection but never answered MQTT's CONNECT: .*broker\.url's port/);
    } finally {
      silent.close();
    }
  });

  it('a broker that comes up after a few refusals is joined', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const client = connectBroker(BrokerSchema.parse({ url: `mqtt://127.0.0.1:${port}`, reconnect: { minMs: 20, maxMs: 100 } }));
    let late: TestMosquitto | undefined;
    try {
      const connected = waitConnected(client, 20_000);
      await new Promise<void>((r) => client.once('reconnect', () => r()));
      late = await startMosquitto({ port, persistence: false });
      await connected;
      expect(client.connected).toBe(true);
    } finally {
      await new Promise<void>((r) => client.end(true, {}, () => r()));
      await late?.close();
    }
  });
});

describe('classifyConnectError', () => {
  const refused = (code: number) => Object.assign(new Error(`Connection refused: x`), { code });
  it('sorts CONNACK codes and socket/TLS codes into permanent and transient', () => {
    for (const c of [1, 2, 4, 5, 132, 133, 134, 135, 138, 140]) expect(classifyConnectError(refused(c)).permanent, String(c)).toBe(true);
    for (const c of [3, 136, 137, 139, 159]) expect(classifyConnectError(refused(c)).permanent, String(c)).toBe(false);
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE']) {
      expect(classifyConnectError(Object.assign(new Error(code), { code })).permanent, code).toBe(true);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']) {
      expect(classifyConnectError(Object.assign(new Error(code), { code })).permanent, code).toBe(false);
    }
    expect(classifyConnectError(refused(1)).check).toMatch(/broker\.protocolVersion/);
    const ssl = new Error('80AC8AD6457F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n');
    expect(shortReason(ssl)).toBe('tlsv13 alert certificate required');
  });
});
