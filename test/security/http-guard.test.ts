/**
 * The HTTP servers (/metrics + /health, the dashboard) refuse a foreign Host (DNS rebinding), send CSP,
 * X-Frame-Options and nosniff on every response, and require the optional token everywhere but /health; a browser
 * signs in once with ?token= and the live page then works under its CSP. `rejectUnauthorized: false` warns at start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawGet, type RawResponse } from './raw-get.ts';
import { Subject } from 'rxjs';
import type { Browser } from 'playwright-core';
import { startOpsServer, type OpsServer } from '../../runtime/ops/http.ts';
import { startDashboard, type Dashboard } from '../../dashboard/server.ts';
import { hostAllowed, sameSecret } from '../../runtime/util/http-guard.ts';
import { applyOverrides, loadConfig, parseConfig, redactConfig } from '../../runtime/config/load.ts';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { connectBroker } from '../../runtime/mqtt/connect.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, watchPage } from '../dashboard/chromium.ts';

const TOKEN = 'c0ffee-0123456789abcdef';
const base = { model: 'models/x', broker: { url: 'mqtt://127.0.0.1:1883' }, source: { topics: ['s/+/d'] } };

type Res = RawResponse;

const get = rawGet;

function expectHardened(r: Res, csp: RegExp): void {
  expect(r.headers['content-security-policy']).toMatch(csp);
  expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(r.headers['x-frame-options']).toBe('DENY');
  expect(r.headers['x-content-type-options']).toBe('nosniff');
}

describe('Host allow-list', () => {
  it('serves localhost, IP literals, the bind address and configured names; refuses other names', () => {
    for (const h of ['localhost:8080', '127.0.0.1:9464', '[::1]:80', '192.168.1.20:8080', 'LOCALHOST', 'localhost.']) expect(hostAllowed(h, '127.0.0.1'), h).toBe(true);
    expect(hostAllowed('gateway.local:8080', 'gateway.local')).toBe(true);
    expect(hostAllowed('[::1]:8080', '::1')).toBe(true);
    expect(hostAllowed('gw.plant.example:8080', '0.0.0.0', ['gw.plant.example'])).toBe(true);
    for (const h of ['attacker.example', 'attacker.example:9464', 'localhost.attacker.example', '127.0.0.1.nip.io']) expect(hostAllowed(h, '0.0.0.0'), h).toBe(false);
    expect(hostAllowed('anything.example', '0.0.0.0', ['*'])).toBe(true);
  });

  it('compares secrets of any length', () => {
    expect(sameSecret(TOKEN, TOKEN)).toBe(true);
    expect(sameSecret(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(sameSecret('', TOKEN)).toBe(false);
  });
});

describe('/metrics and /health', () => {
  let open: OpsServer;
  let locked: OpsServer;
  const opts = { port: 0, host: '127.0.0.1', metrics: async () => 'vigil_up 1\n', contentType: 'text/plain', health: () => ({ status: 'ok' as const }) };
  beforeAll(async () => {
    open = await startOpsServer(opts);
    locked = await startOpsServer({ ...opts, token: TOKEN, allowedHosts: ['gw.plant.example'] });
  });
  afterAll(async () => {
    await open?.close();
    await locked?.close();
  });

  it('refuses a rebinding Host with 403 and a clear message, and hardens every response', async () => {
    const bad = await get(open.url, '/metrics', { host: `attacker.example:${open.port}` });
    expect(bad.status).toBe(403);
    expect(bad.body).toMatch(/Host 'attacker\.example' is not served here.*DNS rebinding.*http\.allowedHosts/s);
    expectHardened(bad, /default-src 'none'/);
    for (const path of ['/metrics', '/health', '/nope']) expectHardened(await get(open.url, path), /default-src 'none'/);
    expect((await get(open.url, '/metrics', { host: `localhost:${open.port}` })).body).toBe('vigil_up 1\n');
  });

  it('with a token: /metrics needs the bearer token, /health stays open, configured names are served', async () => {
    const none = await get(locked.url, '/metrics');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body).toMatch(/Authorization: Bearer TOKEN/);
    expect((await get(locked.url, '/metrics', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    const ok = await get(locked.url, '/metrics', { authorization: `Bearer ${TOKEN}`, host: `gw.plant.example:${locked.port}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('vigil_up 1\n');
    expect((await get(locked.url, '/health')).status).toBe(200);
    // The Host check comes first: a valid token does not let a rebinding page in.
    expect((await get(locked.url, '/metrics', { authorization: `Bearer ${TOKEN}`, host: 'attacker.example' })).status).toBe(403);
  });
});

describe('dashboard', () => {
  let dash: Dashboard;
  let browser: Browser | undefined;
  beforeAll(async () => {
    dash = await startDashboard({ verdicts: new Subject(), alerts: new Subject(), status: () => ({ provider: 'ort-node/cpu' }) }, { port: 0, tickMs: 50, token: TOKEN });
  });
  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  it('sends its CSP on every response, refuses foreign Hosts and asks for the token', async () => {
    const page = await get(dash.url, '/', { authorization: `Bearer ${TOKEN}` });
    expect(page.status).toBe(200);
    expectHardened(page, /script-src 'self' 'wasm-unsafe-eval'/);
    expect(page.headers['content-security-policy']).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expectHardened(await get(dash.url, '/assets/app.css', { authorization: `Bearer ${TOKEN}` }), /default-src 'self'/);
    expect((await get(dash.url, '/', { host: 'attacker.example', authorization: `Bearer ${TOKEN}` })).status).toBe(403);
    expect((await get(dash.url, '/events')).status).toBe(401);
    expect((await get(dash.url, '/healthz')).status).toBe(200);
  });

  it('?token= sets an HttpOnly cookie and redirects without the token; the cookie then serves the page', async () => {
    const login = await get(dash.url, `/?sensor=p1&token=${TOKEN}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/?sensor=p1');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^vigil_token=.*; HttpOnly; SameSite=Strict/);
    expect((await get(dash.url, '/api/status', { cookie: cookie.split(';')[0] })).status).toBe(200);
    expect((await get(dash.url, `/?token=${TOKEN}0`)).status).toBe(401);
  });

  it('a browser opens it with ?token= and the live page runs under the CSP with no violation', { timeout: 120_000 }, async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const watch = watchPage(page, [dash.url]);
    const violations: string[] = [];
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
    await page.goto(`${dash.url}?token=${TOKEN}`);
    expect(page.url()).toBe(dash.url);
    // The first page load bundles the page (esbuild): generous on a loaded machine, and errors say why it did not come.
    await page
      .waitForFunction(() => /ort-node\/cpu/.test(document.querySelector('#stats')?.textContent ?? ''), undefined, { timeout: 60_000 })
      .catch((err: Error) => {
        throw new Error(`${err.message}; page errors: ${JSON.stringify(watch.errors)}`);
      });
    expect(await page.textContent('#conn')).toBe('waiting for data');
    expect(violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});

describe('vigil run', () => {
  it("serves /metrics with the config's token and Host names", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-guard-'));
    const model = writeTinyModel(dir, { name: 'm', window: 4, channels: ['a'], layers: [meanLayer(4, 1)], scaler: { kind: 'standard', offset: [0], scale: [1] }, threshold: 5 });
    const broker = await startBroker();
    const h = await startRuntime(
      parseConfig({ model, broker: { url: broker.url }, source: { topics: ['s/+/d'] }, metrics: { port: 0 }, state: { file: null }, log: { level: 'silent' }, http: { token: TOKEN, allowedHosts: ['gw.plant.example'] } }),
    );
    try {
      expect((await get(h.opsUrl!, '/metrics')).status).toBe(401);
      expect((await get(h.opsUrl!, '/metrics', { authorization: `Bearer ${TOKEN}`, host: 'gw.plant.example' })).body).toMatch(/vigil_messages_total/);
      expect((await get(h.opsUrl!, '/health', { host: 'attacker.example' })).status).toBe(403);
    } finally {
      await h.stop();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config', () => {
  it('http.token comes from VIGIL_HTTP_TOKEN, is hidden when printed, and a short one is refused', () => {
    const cfg = parseConfig(applyOverrides(base, {}, { VIGIL_HTTP_TOKEN: TOKEN }));
    expect(cfg.http).toEqual({ allowedHosts: [], token: TOKEN });
    expect(redactConfig(cfg).http.token).toBe('***');
    expect(loadConfig(undefined, { model: 'm', broker: 'mqtt://h', topics: ['t'] }, {}).http.token).toBeUndefined();
    expect(() => parseConfig({ ...base, http: { token: 'secret' } })).toThrow(/http\.token.*at least 16 characters/);
  });

  it('broker.tls.rejectUnauthorized: false logs a warning at start', () => {
    const warned: string[] = [];
    const log = { info: () => {}, error: () => {}, warn: (_: object, msg?: string) => warned.push(msg ?? '') };
    const quiet = connectBroker(BrokerSchema.parse({ url: 'mqtts://127.0.0.1:1', tls: {} }), log);
    quiet.end(true);
    expect(warned.filter((m) => /rejectUnauthorized/.test(m))).toEqual([]);
    const client = connectBroker(BrokerSchema.parse({ url: 'mqtts://127.0.0.1:1', tls: { rejectUnauthorized: false } }), log);
    client.end(true);
    expect(warned.filter((m) => /rejectUnauthorized is false.*not checked.*broker\.tls\.ca/.test(m))).toHaveLength(1);
  });
});
