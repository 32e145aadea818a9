/**
 * An operator's "this is normal" through `vigil run` (runtime/ops/re-anchors.ts, commands.ts): a sensor that stepped
 * to a new level alerts; `POST /sensors/NAME/normal` on the ops server re-anchors it from its next windows, the alert
 * closes, a later step from the new level alerts again; the request and the re-anchoring are logged and counted.
 * The command is refused when it could come from another site, with a body that is not JSON, from the network without
 * a token, for a sensor never scored, and for a model that follows no level.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { startOpsServer } from '../../runtime/ops/http.ts';
import { openThresholds } from '../../runtime/ops/thresholds.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { loadModel } from '../../runtime/model/load.ts';
import type { RawMessage, Verdict } from '../../runtime/stream/types.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { fileBroker } from './aedes.ts';
import { capturingLogger, levelModel, rawMessage, readingJson, recordedModel, silent, testConfig, uniquePrefix, within } from './harness.ts';

const broker = fileBroker();

const post = (url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(url, { method: 'POST', body, headers });

describe('marking a sensor normal through vigil run', () => {
  it('re-anchors its level: the open alert closes, a later step alerts again; logged and counted', async () => {
    const prefix = uniquePrefix('mark-normal');
    const { lines, logger } = capturingLogger();
    const source = new Subject<RawMessage>();
    const handle = await startRuntime(testConfig(broker.url, prefix, levelModel(), { metrics: { port: 0 } }), { logger, source });
    const verdicts: Verdict[] = [];
    handle.verdicts.subscribe((v) => verdicts.push(v));
    const send = (from: number, to: number, level: number) => {
      for (let i = from; i < to; i++) source.next(rawMessage(`${prefix}/p1/data`, readingJson(1_700_000_000_000 + i * 1000, level + 0.05 * Math.sin(i * 1.7))));
    };
    const scoredUpTo = (i: number) => waitFor(() => verdicts.length >= i - 7, `windows up to reading ${i - 1} scored`, 10_000);
    try {
      const url = `${handle.opsUrl}/sensors/p1/normal`;
      // Not scored yet: nothing to re-anchor.
      expect((await post(url, '{}')).status).toBe(404);
      send(0, 60, 0);
      const opened = within(handle.alerts, 10_000, 'the alert at the new level', (e) => e.type === 'open');
      send(60, 140, 1);
      await opened;
      await scoredUpTo(140);

      // Refused: a form or plain text (no preflight for another site's page), another site's origin, a bad count.
      expect((await post(url, 'windows=8', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
      expect((await post(url, '{}', { 'content-type': 'application/json', origin: 'http://attacker.example' })).status).toBe(403);
      expect((await post(url, '{}', { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      const bad = await post(url, '{"windows": 0}');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/windows: expected a whole number from 1 to 4096, got 0/);
      expect((await fetch(url)).status).toBe(405);
      expect((await post(`${handle.opsUrl}/sensors/nope/normal`, '{}')).status).toBe(404);
      expect(handle.edge.reAnchorsRequested).toBe(0);

      const res = await post(url, '{"windows": 8}', { 'content-type': 'application/json', origin: handle.opsUrl! });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ ok: true, sensor: 'p1', windows: 8 });
      expect(handle.reAnchoring('p1')).toEqual({ windows: 8, seen: 0 });

      const closed = within(handle.alerts, 10_000, 'the alert closing after the re-anchoring', (e) => e.type === 'close');
      send(140, 200, 1);
      await closed;
      await scoredUpTo(200);
      expect(handle.reAnchoring('p1')).toBeUndefined();
      // The 8 windows after the mark still scored at the step (about 100), those after them as normal.
      const after = verdicts.slice(-50).map((v) => v.score);
      expect(Math.max(...after)).toBeLessThan(1);

      const again = within(handle.alerts, 10_000, 'an alert at a step from the new level', (e) => e.type === 'open');
      send(200, 240, 2);
      await again;

      const metrics = await (await fetch(`${handle.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^vigil_reanchors_requested_total 1$/m);
      expect(metrics).toMatch(/^vigil_reanchored_total 1$/m);
      const marked = lines.find((l) => String(l.msg).startsWith('sensor p1 marked normal'));
      expect(marked).toMatchObject({ sensor: 'p1', windows: 8 });
      expect(String(marked!.by)).toMatch(/127\.0\.0\.1|::ffff:127\.0\.0\.1/);
      const done = lines.find((l) => String(l.msg).startsWith('sensor p1 re-anchored'));
      expect((done!.movedSd as { value: number }).value).toBeGreaterThan(9);
    } finally {
      source.complete();
      await handle.stop();
    }
  });

  it('is refused for a model that follows no level', async () => {
    const path = recordedModel();
    const card = loadModel(path).card;
    const th = openThresholds(testConfig('mqtt://127.0.0.1:1', 'mark-normal-mse', path), new ModelRef(card, { provider: 'none', run: () => { throw new Error('not run'); } }), silent, createEdgeCounters());
    const out = th.reAnchors.markNormal('s1');
    expect(out).toMatchObject({ ok: false, status: 409 });
    expect(!out.ok && out.error).toMatch(/follows no level/);
    await th.stop();
  });

  it('is refused from the network without a token, and taken with it', async () => {
    const asked: string[] = [];
    const markNormal = (sensor: string) => (asked.push(sensor), { ok: true as const, sensor, windows: 16, message: 'ok' });
    const base = { port: 0, host: '0.0.0.0', metrics: async () => '', contentType: 'text/plain', health: () => ({ status: 'ok' as const }), markNormal };
    const open = await startOpsServer(base);
    const tokened = await startOpsServer({ ...base, token: 'a-token-of-16-chars-or-more' });
    try {
      const openRes = await post(`http://127.0.0.1:${open.port}/sensors/p1/normal`, '{}');
      expect(openRes.status).toBe(403);
      expect(((await openRes.json()) as { error: string }).error).toMatch(/set http.token/);
      expect((await post(`http://127.0.0.1:${tokened.port}/sensors/p1/normal`, '{}')).status).toBe(401);
      const ok = await post(`http://127.0.0.1:${tokened.port}/sensors/p%2F1/normal`, '{}', { 'content-type': 'application/json', authorization: 'Bearer a-token-of-16-chars-or-more' });
      expect(ok.status).toBe(202);
      expect(asked).toEqual(['p/1']);
    } finally {
      await open.close();
      await tokened.close();
    }
  });
});
