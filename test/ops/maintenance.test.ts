/**
 * A sensor under maintenance through `vigil run` (runtime/alerts/maintenance.ts, runtime/ops/sensor-commands.ts):
 * `POST /sensors/NAME/maintenance` closes its open alert at the first window from the command on, saying so and who
 * asked; its windows are scored and judged but open nothing while it lasts, and are counted; readings from before the
 * command (a backlog) are judged as usual; ended with 0 minutes, the sensor alerts again on fresh evidence. Refusals
 * (a bad length, a sensor never judged) are answered and logged. Over MQTT the command takes `minutes`.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import mqtt from 'mqtt';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { AlertEvent, Detection, RawMessage } from '../../runtime/stream/types.ts';
import { AlertPayloadSchema, alertPayload, InvalidPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import { formatInvalid } from '../../simulators/alerts/format.ts';
import { markText } from '../../runtime/alerts/alert-lines.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { fileBroker } from './aedes.ts';
import { capturingLogger, levelFeed, levelModel, rawMessage, readingJson, testConfig, uniquePrefix, within } from './harness.ts';

const broker = fileBroker();

const TOKEN = 'a-token-of-16-chars-or-more';
const JSON_AUTH = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
const post = (url: string, body: string) => fetch(url, { method: 'POST', body, headers: JSON_AUTH });

describe('a sensor under maintenance through vigil run', () => {
  it('its open alert closes saying so, nothing opens while it lasts, a backlog from before is judged, and it alerts again once ended', async () => {
    const prefix = uniquePrefix('maintenance');
    const { lines, logger } = capturingLogger();
    const source = new Subject<RawMessage>();
    const handle = await startRuntime(testConfig(broker.url, prefix, levelModel({ back: false }), { metrics: { port: 0 }, http: { token: TOKEN } }), { logger, source });
    const detections: Detection[] = [];
    handle.detections.subscribe((d) => detections.push(d));
    const events: AlertEvent[] = [];
    handle.alerts.subscribe((e) => events.push(e));
    // Readings 30 s apart, the first 140 stamped before the test began, the rest 20 s after it and later (maintenance is
    // in data time, from the command's wall clock: reading 140 comes after it, readings 130-139 sent after it do not).
    const t0 = Date.now() - 139 * 30_000 - 10_000;
    const send = levelFeed(source, prefix, t0, 30_000);
    const judged = (i: number) => waitFor(() => detections.length >= i - 7, `windows up to reading ${i - 1} judged`, 10_000);
    const alert = (type: 'open' | 'close', what: string) => within(handle.alerts, 10_000, what, (e) => e.type === type);
    const url = `${handle.opsUrl}/sensors/p1/maintenance`;
    try {
      expect((await post(url, '{"minutes": 30}')).status).toBe(404); // never judged: a name mistyped
      send(0, 60, 0);
      const opened = alert('open', 'the alert at the new level');
      send(60, 130, 1);
      await opened;
      await judged(130);

      const bad = await post(url, '{"minutes": -5}');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/minutes: expected a number from 0 \(end it now\) to 10080 \(a week\), got -5/);
      expect((await post(url, '{"minutes": null}')).status).toBe(400);
      // The other command's argument is refused, not ignored (it set an hour).
      const crossed = await post(url, '{"windows": 120}');
      expect(crossed.status).toBe(400);
      expect(((await crossed.json()) as { error: string }).error).toBe('windows: maintenance takes minutes, not windows');
      expect(((await (await post(`${handle.opsUrl}/sensors/p1/normal`, '{"minutes": 5}')).json()) as { error: string }).error).toMatch(/^minutes: normal takes windows, not minutes/);
      const res = await post(url, '{"minutes": 30}');
      expect(res.status).toBe(202);
      const answer = (await res.json()) as { ok: boolean; until: string; message: string };
      expect(answer.ok).toBe(true);
      // Its readings came as a backlog (stamped 30 s apart, sent at once): the reply says the span is read on the
      // gateway's clock, against a latest window minutes before it (a probe at 10x real time was told nothing).
      expect(answer.message).toMatch(/; its clock is not known \(its readings have not arrived at the pace they were taken: a replay or a backfill\?\) and its latest window is stamped .*, so only windows stamped from .* to .* are muted$/);
      const until = Date.parse(answer.until);
      expect(until - Date.now()).toBeGreaterThan(29 * 60_000);

      // A backlog from before the command (readings 130-139, stamped before the test began) is judged as usual.
      send(130, 140, 1);
      await judged(140);
      expect(events.filter((e) => e.type === 'close')).toHaveLength(0);
      expect(detections.slice(-5).every((d) => d.alertOpen && !d.muted)).toBe(true);

      // The first window stamped after the command closes the alert, saying so.
      const closed = alert('close', 'the alert closed by the maintenance');
      send(140, 200, 1);
      const close = await closed;
      expect(close.marked).toMatchObject({ command: 'maintenance', until });
      expect(close.marked?.by).toMatch(/127\.0\.0\.1/);
      expect(markText(close.marked!)).toBe(`put under maintenance until ${answer.until.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')} by ${close.marked!.by}`);
      const payload = AlertPayloadSchema.parse(alertPayload(close, 3));
      expect(payload.marked).toMatchObject({ command: 'maintenance', until: answer.until });
      await judged(200);
      expect(handle.counters.windowsMuted).toBe(59);
      // Still anomalous, still scored and judged, but nothing opens.
      const during = detections.slice(-50);
      expect(during.every((d) => d.verdict.anomaly && d.muted && !d.alertOpen)).toBe(true);
      expect(events.filter((e) => e.type === 'open')).toHaveLength(1);
      const metrics = await (await fetch(`${handle.opsUrl}/metrics`, { headers: JSON_AUTH })).text();
      expect(metrics).toMatch(/^vigil_windows_muted_total 59$/m);
      expect(metrics).toMatch(/^vigil_sensors_in_maintenance 1$/m);
      expect(await (await fetch(`${handle.opsUrl}/health`, { headers: JSON_AUTH })).json()).toMatchObject({ sensorsInMaintenance: 1 });

      // Ended early: its next anomalous window opens an alert again (at over twice the bar, at once).
      const ended = await post(url, '{"minutes": 0}');
      expect(ended.status).toBe(202);
      expect(((await ended.json()) as { message: string }).message).toMatch(/maintenance ended \(it was set until .* by 127\.0\.0\.1/);
      expect(await (await fetch(`${handle.opsUrl}/metrics`, { headers: JSON_AUTH })).text()).toMatch(/^vigil_sensors_in_maintenance 0$/m);
      const again = alert('open', 'the alert after the maintenance ended');
      send(200, 201, 1);
      const reopened = await again;
      expect(reopened.tsLast).toBe(t0 + 200 * 30_000);
      expect(reopened.marked).toBeUndefined();

      expect(lines.find((l) => String(l.msg).startsWith('sensor p1 under maintenance until'))).toMatchObject({ sensor: 'p1', minutes: 30, until: answer.until });
      expect(lines.find((l) => String(l.msg).startsWith('alert close: p1'))?.msg).toMatch(/, after put under maintenance until .* by 127\.0\.0\.1/);
      expect(lines.find((l) => /^1 maintenance command\(s\) refused \(maintenance "p1" by 127\.0\.0\.1.*: 404 sensor "p1" has not been judged/.test(String(l.msg)))).toBeDefined();
    } finally {
      source.complete();
      await handle.stop();
    }
  });

  it('over the MQTT command topic, with minutes', async () => {
    const prefix = uniquePrefix('maintenance-mqtt');
    const source = new Subject<RawMessage>();
    const topic = `${prefix}/command`;
    const handle = await startRuntime(testConfig(broker.url, prefix, levelModel({ back: false }), { gateway: { commandTopic: topic } }), { logger: capturingLogger().logger, source });
    const client = await mqtt.connectAsync(broker.url);
    try {
      await client.subscribeAsync(`${topic}/reply`);
      const replies: Record<string, unknown>[] = [];
      client.on('message', (_t, p) => replies.push(JSON.parse(p.toString())));
      for (let i = 0; i < 20; i++) source.next(rawMessage(`${prefix}/p1/data`, readingJson(Date.now() - 20_000 + i * 1000, 0)));
      await waitFor(() => handle.counters.scored >= 13, 'p1 judged', 10_000);
      await client.publishAsync(topic, JSON.stringify({ sensor: 'p1', command: 'maintenance', minutes: 90, id: 'hmi-7' }));
      await client.publishAsync(topic, JSON.stringify({ sensor: 'p1', command: 'maintenance', minutes: 'soon', id: 'hmi-8' }));
      await client.publishAsync(topic, JSON.stringify({ sensor: 'p1', command: 'maintenance', windows: 120, id: 'hmi-9' }));
      await waitFor(() => replies.length >= 3, 'three replies', 10_000);
      expect(replies.find((r) => r.id === 'hmi-9')).toMatchObject({ ok: false, status: 400, error: 'windows: maintenance takes minutes, not windows' });
      // A signal about the instrument still goes out during the work (a transmitter recalibrated reads nonsense), marked.
      const signals: Record<string, unknown>[] = [];
      await client.subscribeAsync(`${prefix}/alerts/p1`);
      client.on('message', (t, p) => t === `${prefix}/alerts/p1` && signals.push(JSON.parse(p.toString())));
      source.next(rawMessage(`${prefix}/p1/data`, JSON.stringify({ ts: Date.now(), value: 'NaN' })));
      await waitFor(() => signals.some((s) => s.type === 'invalid'), 'the invalid signal', 10_000);
      const invalid = InvalidPayloadSchema.parse(signals.find((s) => s.type === 'invalid'));
      expect(invalid.maintenance).toMatchObject({ until: replies.find((r) => r.id === 'hmi-7')!.until, by: expect.stringMatching(/^mqtt .* id hmi-7$/) });
      expect(formatInvalid(invalid)).toMatch(/\[under maintenance until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]$/);
      expect(replies.find((r) => r.id === 'hmi-7')).toMatchObject({ ok: true, sensor: 'p1', until: expect.any(String) });
      expect(Date.parse(replies.find((r) => r.id === 'hmi-7')!.until as string) - Date.now()).toBeGreaterThan(89 * 60_000);
      expect(replies.find((r) => r.id === 'hmi-8')).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/^minutes: expected a number/) });
    } finally {
      await client.endAsync();
      source.complete();
      await handle.stop();
    }
  });
});
