/**
 * A refused request says which mistake was made: `missing bearer token` (nothing sent, or an Authorization header
 * that is not `Bearer TOKEN`) apart from `token not accepted` (a wrong bearer token, cookie or ?token=), neither
 * echoing the token; and every refusal is counted in `vigil_http_refused_total` by reason and logged, rate-limited,
 * with the server and the sender's address, never the token sent. Both servers of `vigil run` report into the
 * runtime's counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawGet } from './raw-get.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpsServer, type OpsServer } from '../../runtime/ops/http.ts';
import { httpRefusals } from '../../runtime/ops/http-refusals.ts';
import type { HttpRefusal } from '../../runtime/util/http-guard.ts';
import type { WarningClock } from '../../runtime/util/rate-limited-warning.ts';
import { parseConfig } from '../../runtime/config/load.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { startDashboard } from '../../dashboard/server.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const TOKEN = 'c0ffee-0123456789abcdef';
const WRONG = 'badbad-0123456789abcdef';

const get = rawGet;

describe('401 answers', () => {
  let server: OpsServer;
  const refused: HttpRefusal[] = [];
  beforeAll(async () => {
    server = await startOpsServer({
      port: 0, host: '127.0.0.1', metrics: async () => 'vigil_up 1\n', contentType: 'text/plain', health: () => ({ status: 'ok' as const }),
      token: TOKEN, onRefused: (reason) => refused.push(reason),
    });
  });
  afterAll(() => server?.close());

  it('tell a missing token from a wrong one, echoing neither', async () => {
    const none = await get(server.url, '/metrics');
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/^vigil: missing bearer token: .*Authorization: Bearer TOKEN/);
    const basic = await get(server.url, '/metrics', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` });
    expect(basic.body).toMatch(/^vigil: missing bearer token \(an Authorization header came, but not as 'Bearer TOKEN'\)/);
    const wrong = [
      await get(server.url, '/metrics', { authorization: `Bearer ${WRONG}` }),
      await get(server.url, '/metrics', { cookie: `vigil_token=${WRONG}` }),
      await get(server.url, `/metrics?token=${WRONG}`),
    ];
    for (const r of wrong) {
      expect(r.status).toBe(401);
      expect(r.body).toMatch(/^vigil: token not accepted: /);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="vigil", error="invalid_token"');
    }
    for (const r of [none, basic, ...wrong]) expect(r.body).not.toMatch(/c0ffee|badbad/);
    expect((await get(server.url, '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get(server.url, '/metrics', { host: 'attacker.example' })).status).toBe(403);
    expect(refused).toEqual(['token_missing', 'token_missing', 'token_wrong', 'token_wrong', 'token_wrong', 'host']);
  });
});

describe('refusals are counted and logged, rate-limited', () => {
  it('one line at once, then one per interval summing the rest; the counts add up and no token is logged', () => {
    let now = 0;
    let due: (() => void) | undefined;
    const clock: WarningClock = { now: () => now, setTimeout: (f) => (due = f), clearTimeout: () => (due = undefined) };
    const lines: { fields: { count: number; refused: Record<string, number> }; msg: string }[] = [];
    const log = { warn: (fields: object, msg: string) => lines.push({ fields: fields as never, msg }) };
    const counts = new Map<string, number>();
    const r = httpRefusals(counts, log, 10_000, clock);
    const req = { socket: { remoteAddress: '10.0.0.9' }, headers: { authorization: `Bearer ${WRONG}` } } as never;
    for (let i = 0; i < 200; i++) r.refused('metrics')('token_wrong', req);
    r.refused('dashboard')('token_missing', req);
    expect(lines).toHaveLength(1);
    now = 10_000;
    due!();
    expect(lines).toHaveLength(2);
    expect(lines.reduce((n, l) => n + l.fields.count, 0)).toBe(201);
    expect(lines[1].fields.refused).toEqual({ 'metrics: a token that is not http.token from 10.0.0.9': 199, 'dashboard: no bearer token from 10.0.0.9': 1 });
    expect(Object.fromEntries(counts)).toEqual({ token_wrong: 200, token_missing: 1 });
    expect(JSON.stringify(lines)).not.toContain(WRONG);
  });
});

describe('vigil run', () => {
  it('counts refusals of /metrics and of the dashboard in vigil_http_refused_total', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-refusals-'));
    const model = writeTinyModel(dir, { name: 'm', window: 4, channels: ['a'], layers: [meanLayer(4, 1)], scaler: { kind: 'standard', offset: [0], scale: [1] }, threshold: 5 });
    const broker = await startBroker();
    const h = await startRuntime(parseConfig({ model, broker: { url: broker.url }, source: { topics: ['s/+/d'] }, metrics: { port: 0 }, state: { file: null }, log: { level: 'silent' }, http: { token: TOKEN } }));
    const dash = await startDashboard(runtimeFeed(h), { port: 0, token: TOKEN, onRefused: h.httpRefused('dashboard') });
    try {
      await get(h.opsUrl!, '/metrics', { authorization: `Bearer ${WRONG}` });
      await get(dash.url, '/api/status');
      await get(dash.url, '/', { cookie: `vigil_token=${WRONG}` });
      const text = (await get(h.opsUrl!, '/metrics', { authorization: `Bearer ${TOKEN}` })).body;
      expect(text).toMatch(/^vigil_http_refused_total\{reason="token_wrong"\} 2$/m);
      expect(text).toMatch(/^vigil_http_refused_total\{reason="token_missing"\} 1$/m);
    } finally {
      await dash.close();
      await h.stop();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
