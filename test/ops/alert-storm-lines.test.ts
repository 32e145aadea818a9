/**
 * Alert events in the log during a storm (runtime/ops/alert-log.ts, behind runtime/ops/sinks.ts): one line each up to
 * log.alertLines a minute, the rest summed into one warning line a minute naming how many of each type and on which
 * sensors; every event still published. A soak's storm (909 events) wrote 0.83 MB of alert lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { alertPayload, fromGateway } from '../../runtime/mqtt/alert-payload.ts';
import { ALERT_LOG_INTERVAL_MS, alertLog } from '../../runtime/ops/alert-log.ts';
import { openSinks } from '../../runtime/ops/sinks.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import type { WarningClock } from '../../runtime/util/rate-limited-warning.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { capturingLogger } from './harness.ts';

const event = (type: AlertEvent['type'], sensor: string, tsLast = Date.UTC(2026, 0, 1)): AlertEvent => ({
  type, sensor, tsFirst: tsLast - 1000, tsLast, score: type === 'close' ? 0.5 : 9, threshold: 1,
  contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'ort-node/cpu',
});
const payloadOf = (a: AlertEvent) => fromGateway(alertPayload(a, 3), 'gw');

/** A clock whose one pending timer the test fires. */
function fakeClock(): WarningClock & { at: number; fire(): void } {
  let pending: (() => void) | undefined;
  return {
    at: 0,
    now() { return this.at; },
    setTimeout: (f) => (pending = f),
    clearTimeout: () => (pending = undefined),
    fire() { const f = pending; pending = undefined; f?.(); },
  };
}

const full = (lines: Record<string, unknown>[]) => lines.filter((l) => /^alert (open|escalate|close): /.test(String(l.msg)));
const summed = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).startsWith('alerts: '));

describe('alert lines in a storm', () => {
  it('logs log.alertLines events a minute one by one and sums the rest, by type and sensor, into one line a minute', () => {
    const { lines, logger } = capturingLogger('info');
    const clock = fakeClock();
    const log = alertLog(logger, { alertLines: 5 }, clock);
    // 30 sensors open, then close: 60 events in one minute.
    for (let i = 0; i < 30; i++) log.write(event('open', `s${i}`), payloadOf(event('open', `s${i}`)));
    clock.at = 1000;
    for (let i = 0; i < 30; i++) log.write(event('close', `s${i}`), payloadOf(event('close', `s${i}`)));
    expect(full(lines).map((l) => l.msg)).toEqual([0, 1, 2, 3, 4].map((i) => `alert open: s${i} score 9 > 1`));
    // The first event over the budget is said at once (the log shows the storm began), the rest at the minute's end.
    expect(summed(lines)).toHaveLength(1);
    clock.at = ALERT_LOG_INTERVAL_MS;
    clock.fire();
    const sums = summed(lines);
    expect(sums).toHaveLength(2);
    expect(sums.reduce((a, l) => a + (l.alerts as number), 0)).toBe(55);
    expect(sums[1]).toMatchObject({ level: 40, alerts: 54, types: { open: 24, close: 30 }, sensorCount: 30 });
    expect(sums[1].msg).toMatch(/^alerts: 54 more event\(s\) not logged one by one \(opened 24, closed 30; sensors s\d+, s\d+, s\d+, s\d+, s\d+, \.\.\. \(30 in all\)\), over log\.alertLines \(5 a minute\); each is on its sensor's alert topic/);
    // A new minute: its first events are logged in full again.
    clock.at = 2 * ALERT_LOG_INTERVAL_MS;
    log.write(event('escalate', 's7'), payloadOf(event('escalate', 's7')));
    expect(full(lines).at(-1)!.msg).toBe('alert escalate: s7 score 9 > 1');
    expect(full(lines).at(-1)!.alert).toMatchObject({ type: 'escalate', sensor: 's7', gateway: 'gw' });
  });

  it('with log.alertLines 0 logs summaries only; flush says what is still unsummed', () => {
    const { lines, logger } = capturingLogger('info');
    const clock = fakeClock();
    const log = alertLog(logger, { alertLines: 0 }, clock);
    for (let i = 0; i < 4; i++) log.write(event('open', 'pump-1'), payloadOf(event('open', 'pump-1')));
    log.flush();
    expect(full(lines)).toHaveLength(0);
    expect(summed(lines).map((l) => [l.alerts, l.sensors])).toEqual([[1, { 'pump-1': 1 }], [3, { 'pump-1': 3 }]]);
    expect(summed(lines)[1].msg).toContain('(opened 3; sensor pump-1)');
  });

  it('is configured by log.alertLines (default 20), a whole number of lines', () => {
    const base = { model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: 'mqtt://h' } };
    expect(RunConfigSchema.parse(base).log).toMatchObject({ level: 'info', alertLines: 20 });
    const bad = RunConfigSchema.safeParse({ ...base, log: { alertLines: -1 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]).toMatchObject({ path: ['log', 'alertLines'], message: 'expected a whole number of lines a minute (0: summaries only)' });
  });
});

describe('alert lines from the sinks', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('are bounded by log.alertLines while every alert is published', async () => {
    const config = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: broker.url }, alerts: { topic: 'storm/{sensor}' }, deadLetter: { topic: null }, state: { file: null }, log: { alertLines: 10 } });
    const watcher = await mqtt.connectAsync(broker.url);
    let published = 0;
    watcher.on('message', () => published++);
    await watcher.subscribeAsync('storm/#', { qos: 1 });
    const client = connectBroker(config.broker);
    client.on('error', () => {});
    await waitConnected(client, 5000);
    const { lines, logger } = capturingLogger('info');
    const sinks = openSinks(client, config, logger, createEdgeCounters(), () => ({ name: 'm', version: '1' }));
    const n = 100;
    for (let i = 0; i < n; i++) sinks.alert(event(i % 2 ? 'close' : 'open', `p${i >> 1}`));
    await waitFor(() => published === n, 'every alert published', 10_000, () => ({ published }));
    await sinks.close();
    client.end(true);
    await watcher.endAsync();
    expect(full(lines)).toHaveLength(10);
    expect(summed(lines).reduce((a, l) => a + (l.alerts as number), 0)).toBe(n - 10);
  });
});
