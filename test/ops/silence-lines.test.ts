/**
 * Sensors gone silent or back, as the log says them (runtime/ops/sinks.ts): one line each up to SILENCE_LINES a minute,
 * the rest summed, every signal still published. A probe: 200 simulated pumps behind one upstream gateway that stopped
 * wrote 200 'sensor silent' lines at once and 200 'sensor back' lines when it returned; with window.maxSensors' 10,000
 * that is 20,000 lines in two bursts, past journald's default of 10,000 a service per 30 s, whose suppression then
 * takes vigil's other lines with them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { SILENCE_LINES, openSinks } from '../../runtime/ops/sinks.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { capturingLogger } from './harness.ts';

let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.close();
});

describe('silence in the log', () => {
  it('says sensors gone silent or back one line each up to SILENCE_LINES a minute, the rest summed; every signal is published', async () => {
    const config = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: broker.url }, alerts: { topic: 'quiet/{sensor}' }, deadLetter: { topic: null }, state: { file: null } });
    const watcher = await mqtt.connectAsync(broker.url);
    let published = 0;
    watcher.on('message', () => published++);
    await watcher.subscribeAsync('quiet/#', { qos: 1 });
    const client = connectBroker(config.broker);
    client.on('error', () => {});
    await waitConnected(client, 5000);
    const { lines, logger } = capturingLogger('info');
    const edge = createEdgeCounters();
    const sinks = openSinks(client, config, logger, edge, () => ({ name: 'm', version: '1' }));
    const n = 100;
    for (let i = 0; i < n; i++) sinks.silence({ type: 'silent', sensor: `s${i}`, lastHeardAt: 1000, quietMs: 70_000, usualMs: 1000 });
    for (let i = 0; i < n; i++) sinks.silence({ type: 'resumed', sensor: `s${i}`, lastHeardAt: 1000, quietMs: 90_000, usualMs: 1000 });
    await waitFor(() => published === 2 * n, 'every signal published', 10_000, () => ({ published }));
    await sinks.close();
    client.end(true);
    await watcher.endAsync();
    const oneByOne = lines.filter((l) => /^sensor (silent|back): /.test(String(l.msg)));
    expect(oneByOne).toHaveLength(SILENCE_LINES);
    const summed = lines.filter((l) => String(l.msg).startsWith('sensors silent or back: '));
    expect(summed.reduce((a, l) => a + (l.signals as number), 0)).toBe(2 * n - SILENCE_LINES);
    expect(summed[0].msg).toMatch(/not logged one by one, over 20 a minute; each is on its sensor's alert topic/);
    expect(edge.silenceSignals).toBe(n);
  });
});
