/**
 * `vigil alerts` on a broker that speaks TLS with the plant's own CA, as docs/gateway.yaml's does. A probe: it had no
 * way to be given that CA, so an operator could not watch the alerts of a gateway set up as documented, and it said
 * "self-signed certificate in certificate chain. Is a broker running there? Start one with 'vigil broker'" (and the same
 * of a broker that refused its password).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import type { TestPki } from '../security/support/certs.ts';
import { startTlsMosquitto } from '../security/support/tls-mosquitto.ts';

const USER = 'ops';
const PASSWORD = 'watch-the-plant-4711';
let dir: string;
let pki: TestPki;
let mosq: TestMosquitto;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-alerts-tls-'));
  ({ mosq, pki } = await startTlsMosquitto(dir, USER, PASSWORD));
});
afterAll(async () => {
  await mosq?.close();
  rmSync(dir, { recursive: true, force: true });
});

const args = () => ['bin/vigil.mjs', 'alerts', '--broker', `mqtts://localhost:${mosq.port}`, '--username', USER, '--password', PASSWORD, '--topic', 'alerts-tls/#'];

describe('vigil alerts over TLS', () => {
  it('listens when given the broker\'s CA with --ca', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [...args(), '--ca', pki.ca], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await waitFor(() => /listening for alerts|cannot connect/.test(stderr) || child.exitCode !== null, 'vigil alerts connected or failed', 20_000);
      expect(stderr).toMatch(/listening for alerts on mqtts:\/\/localhost:\d+ alerts-tls\/#/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('with a password the broker refuses, says to check the credentials rather than to start a broker', { timeout: 30_000 }, () => {
    const r = spawnSync(process.execPath, [...args().map((a) => (a === PASSWORD ? 'not-the-password' : a)), '--ca', pki.ca], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to mqtts:\/\/localhost:\d+: Connection refused: Not authorized; the broker refused this client: check --username and --password \(or VIGIL_MQTT_PASSWORD\)/);
    expect(r.stderr).not.toMatch(/vigil broker|not-the-password/);
  });

  it('without it, says to give it rather than to start a broker', { timeout: 30_000 }, () => {
    const r = spawnSync(process.execPath, args(), { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to mqtts:\/\/localhost:\d+: self-signed certificate in certificate chain; give the CA certificate that signed the broker's with --ca FILE/);
    expect(r.stderr).not.toMatch(/vigil broker/);
  });
});
