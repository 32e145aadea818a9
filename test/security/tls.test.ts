/**
 * TLS and credentials against a private Mosquitto with certificates generated for the test: mqtts:// with CA
 * verification, client certificates and username/password works end to end (an alert arrives); a wrong CA, a
 * missing or rogue client certificate and a wrong password are refused with a clear error; and the password
 * never appears in logs, errors, the banner or `--print-config`, even at debug level.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load.ts';
import type { RunConfigInput } from '../../runtime/config/schema.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import type { TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { brokerConnected } from '../reliability/support/wait.ts';
import type { TestPki } from './support/certs.ts';
import { startTlsMosquitto } from './support/tls-mosquitto.ts';
import { spawnVigilRun, untilStarted } from '../ops/vigil-run.ts';

const USER = 'vigil-gw';
const PASSWORD = 'Tr0ub4dor-&3-secret-9f2c';
let dir: string;
let pki: TestPki;
let mosq: TestMosquitto;
let model: string;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  ({ mosq, pki } = await startTlsMosquitto(dir, USER, PASSWORD, ['require_certificate true', 'tls_version tlsv1.2']));
  url = `mqtts://localhost:${mosq.port}`;
  model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a', 'b'], threshold: 2 });
});

afterAll(async () => {
  await mosq?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A config as a gateway would write it; the password comes from the environment. */
function gatewayConfig(over: { ca?: string; cert?: string; key?: string; password?: string } = {}): RunConfigInput {
  return {
    model,
    broker: {
      url,
      username: USER,
      clientId: `tls-${Math.random().toString(16).slice(2, 8)}`,
      connectTimeoutMs: 3000,
      tls: { ca: over.ca ?? pki.ca, ...(over.cert !== '' ? { cert: over.cert ?? pki.clientCert } : {}), ...(over.key !== '' ? { key: over.key ?? pki.clientKey } : {}) },
    },
    source: { topics: ['sensors/{sensor}/data'], qos: 1 },
    metrics: { port: null },
    state: { file: null },
    reload: { watch: false },
  };
}

/** Load a config the way `vigil run` does, password from VIGIL_MQTT_PASSWORD. */
function load(input: RunConfigInput, password = PASSWORD) {
  const file = join(dir, `cfg-${Math.random().toString(16).slice(2, 8)}.yaml`);
  writeFileSync(file, toYaml(input));
  return loadConfig(file, {}, { VIGIL_MQTT_PASSWORD: password });
}

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger('trace', { write: (s: string) => void lines.push(s) }) };
}

async function tlsClient(id: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: id, ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey), username: USER, password: PASSWORD });
}

describe('TLS with client certificates and credentials on Mosquitto', () => {
  it('connects over mqtts with CA verification, client cert and password; an alert arrives; the password is never logged', async () => {
    const { lines, logger } = capture();
    const handle = await startRuntime(load(gatewayConfig()), { logger });
    const watch = await tlsClient('tls-watch');
    const alerts: string[] = [];
    watch.on('message', (t) => alerts.push(t));
    await watch.subscribeAsync('vigil/alerts/#', { qos: 1 });
    const pub = await tlsClient('tls-pub');
    try {
      for (let i = 0; i < 12; i++) await pub.publishAsync('sensors/pump-1/data', JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: i === 8 ? 50 : 0, b: 0 } }), { qos: 1 });
      await waitFor(() => alerts.length > 0, 'an alert over TLS', 20_000, () => ({ scored: handle.counters.scored }));
      expect(alerts[0]).toBe('vigil/alerts/pump-1');
      expect(brokerConnected(handle)).toBe(true);
    } finally {
      await handle.stop();
      await pub.endAsync();
      await watch.endAsync();
    }
    const text = lines.join('');
    expect(text).toContain('broker connected');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(readFileSync(pki.clientKey, 'utf8').split('\n')[1]);
  });

  it('refuses a broker whose certificate is not signed by the configured CA', async () => {
    const { lines, logger } = capture();
    const err = await startRuntime(load(gatewayConfig({ ca: pki.rogueCa })), { logger }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/could not connect.*(certificate|self.signed|unable to verify)/i);
    console.log(`wrong CA: ${err!.message}`);
    expect(lines.join('') + err!.message).not.toContain(PASSWORD);
  });

  it('is refused by the broker without a client certificate, or with one from another CA', async () => {
    for (const tls of [{ cert: '', key: '' }, { cert: pki.rogueClientCert, key: pki.rogueClientKey }]) {
      const err = await startRuntime(load(gatewayConfig(tls)), { logger: capture().logger }).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/could not connect/);
      console.log(`client cert ${tls.cert ? 'from a rogue CA' : 'missing'}: ${err!.message}`);
    }
    expect(mosq.log()).toMatch(/certificate|ssl|tls|OpenSSL/i);
  });

  it('is refused with a wrong password, and the error does not echo it', async () => {
    const wrong = 'not-the-password-7781';
    const { lines, logger } = capture();
    const err = await startRuntime(load(gatewayConfig(), wrong), { logger }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/could not connect.*(not authori[sz]ed|bad user ?name or password)/i);
    console.log(`wrong password: ${err!.message}`);
    expect(lines.join('') + err!.message).not.toContain(wrong);
  });

  it('`vigil run` over TLS at debug level and `--print-config` never print the password', { timeout: 60_000 }, async () => {
    const file = join(dir, 'gateway.yaml');
    const cfg = gatewayConfig();
    writeFileSync(file, toYaml({ ...cfg, broker: { ...cfg.broker, clientId: 'tls-cli' } }));
    const env = { ...process.env, VIGIL_MQTT_PASSWORD: PASSWORD };
    const printed = execFileSync(process.execPath, ['bin/vigil.mjs', 'run', '--config', file, '--print-config'], { env, encoding: 'utf8' });
    expect(printed).toContain('username: vigil-gw');
    expect(printed).toContain('password: "***"');
    expect(printed).not.toContain(PASSWORD);
    // Credentials in the URL are hidden too.
    const inUrl = execFileSync(process.execPath, ['bin/vigil.mjs', 'run', '--config', file, '--print-config', '--broker', `mqtts://${USER}:${PASSWORD}@localhost:${mosq.port}`], { env: process.env, encoding: 'utf8' });
    expect(inUrl).not.toContain(PASSWORD);

    const vigil = spawnVigilRun(['--config', file, '--log-level', 'trace', '--metrics-port', 'off', '--state', 'off'], { env });
    try {
      await untilStarted(vigil, 'the vigil run banner');
      const pub = await tlsClient('tls-cli-pub');
      for (let i = 0; i < 12; i++) await pub.publishAsync('sensors/pump-9/data', JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: i === 8 ? 50 : 0, b: 0 } }), { qos: 1 });
      await pub.endAsync();
      await waitFor(() => vigil.out.includes('alert open'), 'the alert in the log', 20_000, () => vigil.out.slice(-500));
    } finally {
      vigil.proc.kill('SIGTERM');
    }
    expect(await vigil.exit).toBe(0);
    const { out } = vigil;
    expect(out).toContain('broker connected');
    expect(out).toContain(`mqtts://localhost:${mosq.port}`);
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain('PRIVATE KEY');
  });
});
