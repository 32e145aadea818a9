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
import { unsentAlertsFile } from '../../runtime/mqtt/unsent-alerts.ts';
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

describe('alert messages waiting for the broker', () => {
  const broker = fileBroker(() => {});

  it('are on disk as they start to wait, so a kill -9 loses none; the next start sends them first, and the file goes once the broker has them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    const config = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: broker.url, reconnect: { minMs: 30, maxMs: 100 } }, alerts: { topic: 'j/{sensor}' }, state: { file: join(dir, 'state.json') } });
    const file = unsentAlertsFile(config.state.file)!;
    const { logger } = capturingLogger('info');
    const client = connectBroker(config.broker);
    client.on('error', () => {});
    await waitConnected(client, 5000);
    const sinks = openSinks(client, config, logger, createEdgeCounters(), () => ({ name: 'm', version: '1' }));
    // With the broker there, nothing waits and nothing is written.
    sinks.alert(event('open', 1000));
    expect(await sinks.drain(5000)).toBe(true);
    expect(existsSync(file)).toBe(false);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    await broker.stop();
    await closed;
    // The broker away: an alert opens and waits. It is on disk at once.
    sinks.alert(event('open', 7000));
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(JSON.parse(l).body).type)).toEqual(['open']);
    // kill -9: no stop, no close; the process is simply gone.
    client.end(true);

    await broker.start();
    const sub = await mqtt.connectAsync(broker.url);
    await sub.subscribeAsync('j/#', { qos: 1 });
    const bodies: { type: string; tsLast: number }[] = [];
    sub.on('message', (_t, p) => bodies.push(JSON.parse(p.toString())));
    const next = connectBroker(config.broker);
    next.on('error', () => {});
    await waitConnected(next, 5000);
    const again = openSinks(next, config, logger, createEdgeCounters(), () => ({ name: 'm', version: '1' }));
    // The resumed alert closes: the consumer gets its open first.
    again.alert(event('close', 9000));
    expect(await again.drain(5000)).toBe(true);
    await waitFor(() => bodies.length === 2, 'both alert messages', 5000);
    expect(bodies.map((b) => [b.type, b.tsLast])).toEqual([['open', 7000], ['close', 9000]]);
    expect(existsSync(file)).toBe(false);
    await again.close();
    await Promise.all([next.endAsync(), sub.endAsync()]);
  });
});
