/**
 * Alert messages waiting for the broker survive a kill -9 (runtime/mqtt/unsent-alerts.ts `unsentJournal`): a SCADA
 * probe killed vigil while the broker was away and an alert was queued; the next run resumed the alert from the
 * state file and its consumer got a `close` whose `open` never came.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { takeUnsent, unsentAlertsFile, unsentJournal } from '../../runtime/mqtt/unsent-alerts.ts';
import { mqttAlertSink } from '../../runtime/mqtt/alert-sink.ts';
import { alertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { openSinks } from '../../runtime/ops/sinks.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { fileBroker } from '../ops/aedes.ts';
import { capturingLogger } from '../ops/harness.ts';

const event = (type: 'open' | 'close', tsLast: number): AlertEvent => ({
  type, sensor: 'k1', tsFirst: tsLast - 1000, tsLast, score: 3, threshold: 1, contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'ort-node/cpu',
});

/** The end of this event-loop turn: what the alert sink was given in it is on disk, and sent or in line. */
const turnEnds = () => new Promise((r) => setImmediate(r));

/** The messages a journal holds now (none when it is absent or emptied). */
const held = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

/** A client connected to the config's broker, and the runtime's sinks on it. */
async function connected(config: ReturnType<typeof RunConfigSchema.parse>) {
  const client = connectBroker(config.broker);
  client.on('error', () => {});
  await waitConnected(client, 5000);
  return { client, sinks: openSinks(client, config, capturingLogger('info').logger, createEdgeCounters(), () => ({ name: 'm', version: '1' })) };
}

describe('alert messages waiting for the broker', () => {
  const broker = fileBroker(() => {});

  it('are on disk as they start to wait, so a kill -9 loses none; the next start sends them first, the file is emptied once the broker has them and goes at the stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    const config = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: broker.url, reconnect: { minMs: 30, maxMs: 100 } }, alerts: { topic: 'j/{sensor}' }, state: { file: join(dir, 'state.json') } });
    const file = unsentAlertsFile(config.state.file)!;
    const { client, sinks } = await connected(config);
    // With the broker there, nothing waits and nothing is kept.
    sinks.alert(event('open', 1000));
    expect(await sinks.drain(5000)).toBe(true);
    expect(held(file)).toEqual([]);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    await broker.stop();
    await closed;
    // The broker away: an alert opens and waits. It is on disk at once.
    sinks.alert(event('open', 7000));
    await turnEnds();
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload.type)).toEqual(['open']);
    // kill -9: no stop, no close; the process is simply gone.
    client.end(true);

    await broker.start();
    const sub = await mqtt.connectAsync(broker.url);
    await sub.subscribeAsync('j/#', { qos: 1 });
    const bodies: { type: string; tsLast: number }[] = [];
    sub.on('message', (_t, p) => bodies.push(JSON.parse(p.toString())));
    const { client: next, sinks: again } = await connected(config);
    // The resumed alert closes: the consumer gets its open first.
    again.alert(event('close', 9000));
    expect(await again.drain(5000)).toBe(true);
    await waitFor(() => bodies.length === 2, 'both alert messages', 5000);
    expect(bodies.map((b) => [b.type, b.tsLast])).toEqual([['open', 7000], ['close', 9000]]);
    expect(held(file)).toEqual([]);
    await again.close();
    expect(existsSync(file)).toBe(false);
    await Promise.all([next.endAsync(), sub.endAsync()]);
  });
});

/** A client that says it is connected and never answers a publish (mqtt.js over a link that died unnoticed), or fails each. */
function stuckClient(answer?: Error) {
  return {
    connected: true,
    options: { protocolVersion: 4 },
    published: [] as string[],
    publish(_t: string, body: string, _o: unknown, cb: (err?: Error) => void) {
      this.published.push(body);
      if (answer) cb(answer);
    },
    on() {},
    off() {},
  };
}

describe('the journal of alert messages (a review)', () => {
  const file = () => join(mkdtempSync(join(tmpdir(), 'vigil-journal-unit-')), 'unsent-alerts.jsonl');
  const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload.type as string) : []);
  const { logger } = capturingLogger('info');
  const opts = { topic: 'j/{sensor}', qos: 1 as const, retain: false, queueMax: 2, messageExpirySec: 0 };

  it('holds a message sent at once and never acknowledged: the open is on disk before the outage queues the close', async () => {
    const f = file();
    const client = stuckClient();
    const sink = mqttAlertSink(client as never, { ...opts, journal: unsentJournal(f, logger) });
    sink.publish(alertPayload(event('open', 1000)));
    await turnEnds();
    expect(client.published).toHaveLength(1);
    client.connected = false;
    sink.publish(alertPayload(event('close', 2000)));
    await turnEnds();
    expect(lines(f)).toEqual(['open', 'close']);
    sink.close();
  });

  it('keeps each message once, in the order made, however often its publish fails and is retried', async () => {
    const f = file();
    const client = stuckClient(new Error('connection closed'));
    const sink = mqttAlertSink(client as never, { ...opts, journal: unsentJournal(f, logger) });
    sink.publish(alertPayload(event('open', 1000)));
    sink.publish(alertPayload(event('close', 2000)));
    await new Promise((r) => setTimeout(r, 2300));
    expect(client.published.length).toBeGreaterThan(2);
    expect(lines(f)).toEqual(['open', 'close']);
    sink.close();
  });

  it('is emptied in place once the broker has what waited, goes when the sink closes, and a start that finds it empty (a kill) removes it quietly', async () => {
    const f = file();
    const acking = { ...stuckClient(), publish(_t: string, _b: string, _o: unknown, cb: (err?: Error) => void) { cb(); } };
    const sink = mqttAlertSink(acking as never, { ...opts, journal: unsentJournal(f, logger) });
    sink.publish(alertPayload(event('open', 1000)));
    sink.publish(alertPayload(event('close', 2000)));
    await turnEnds();
    expect(existsSync(f) && readFileSync(f, 'utf8')).toBe('');
    // A kill here leaves the empty file: the next start sends nothing and says nothing.
    const next = capturingLogger('info');
    expect(takeUnsent(f, next.logger)).toEqual([]);
    expect(existsSync(f)).toBe(false);
    expect(next.lines).toEqual([]);
    const again = mqttAlertSink(acking as never, { ...opts, journal: unsentJournal(f, logger) });
    again.publish(alertPayload(event('open', 3000)));
    await turnEnds();
    expect(existsSync(f) && readFileSync(f, 'utf8')).toBe('');
    again.close();
    expect(existsSync(f)).toBe(false);
  });

  it('is written afresh from what waits once it passes twice queueMax lines (what the full queue dropped goes)', () => {
    const f = file();
    const client = stuckClient();
    client.connected = false;
    const sink = mqttAlertSink(client as never, { ...opts, journal: unsentJournal(f, logger) });
    for (let k = 1; k <= 9; k++) sink.publish(alertPayload(event('open', k * 1000)));
    expect(sink.stats().waiting).toBe(2);
    expect(lines(f).length).toBeLessThanOrEqual(2 * opts.queueMax + 1);
    sink.close();
  });
});
