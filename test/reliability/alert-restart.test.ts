/**
 * Open alerts survive a restart (issue 17.5): `vigil run` is killed (SIGKILL) during one incident and stopped
 * (SIGTERM) during another, then restarted each time while the incident goes on. On the alert topic each episode
 * is one `open` and one `close`, and the close carries the episode's true data-time duration and peak.
 * Periodic state saves are off (one hour), so what survives the kill is the save made when the alert opened.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadStates } from '../../runtime/thresholds/store.ts';
import type { AlertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { untilStarted } from '../ops/vigil-run.ts';
import { restartRig } from './support/restart-rig.ts';

const rig = restartRig('vigil-alert-restart-');

describe('open alerts across a restart', () => {
  it('SIGKILL and SIGTERM mid-incident: one open and one close per episode, with the true duration', { timeout: 180_000 }, async () => {
    const { dir, broker, startVigil } = rig;
    const stateFile = join(dir, 'state.json');
    // Window mean as reconstruction: readings alternating +-10 score 100, a flat 0 scores 0 (threshold 1).
    const model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a'], threshold: 1 });
    const config = join(dir, 'vigil.yaml');
    writeFileSync(
      config,
      toYaml({
        model,
        broker: { url: broker.url, clientId: 'vigil-alert-restart' },
        source: { topics: ['plant/{sensor}/data'] },
        threshold: { kind: 'static', value: 1 },
        alerts: { topic: 'test-alerts/{sensor}', closeM: 3 },
        state: { file: stateFile, intervalMs: 3_600_000 },
        metrics: { port: 0 },
        reload: { watch: false },
      }),
    );
    const alerts: AlertPayload[] = [];
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'alert-restart-sub' });
    sub.on('message', (_t, p) => alerts.push(JSON.parse(p.toString())));
    await sub.subscribeAsync('test-alerts/#', { qos: 1 });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'alert-restart-pub' });

    const t0 = 1_700_000_000_000;
    let k = 0;
    /** Publish `n` readings one second apart in data time: alternating +-10 (incident) or 0 (normal). */
    const publish = async (n: number, incident: boolean) => {
      for (let i = 0; i < n; i++, k++) {
        await pub.publishAsync('plant/pump-1/data', JSON.stringify({ ts: t0 + k * 1000, values: { a: incident ? (k % 2 ? 10 : -10) : 0 } }), { qos: 1 });
      }
    };
    const savedOpen = () => {
      try {
        // What a restart reads: the file and the journal of alert states written since (alert-journal.ts).
        return loadStates(stateFile).states.get('pump-1')?.alert?.open !== undefined;
      } catch {
        return false;
      }
    };
    const kinds = () => alerts.map((a) => a.type).join(',');

    // Episode 1: opens, the process is killed, the restarted one sees the incident go on and end.
    let v = startVigil(config);
    await untilStarted(v);
    await publish(8, false);
    await publish(10, true);
    await waitFor(() => alerts.length === 1, 'the first open', 20_000, kinds);
    await waitFor(savedOpen, 'the open alert in the state file', 10_000);
    v.proc.kill('SIGKILL');
    await waitFor(() => v.exited, 'the kill', 10_000);

    v = startVigil(config);
    await untilStarted(v);
    expect(v.out).toMatch(/"openAlerts":1[^\n]*open alerts restored/);
    // Resumed, not opened by this process: /metrics and /health still show it open.
    const ops = /ops\s+(http:\/\/\S+)\/metrics/.exec(v.out)![1];
    const metricsText = await (await fetch(`${ops}/metrics`)).text();
    expect(metricsText).toMatch(/^vigil_alerts_open 1$/m);
    expect(metricsText).toMatch(/^vigil_alerts_opened_total 0$/m);
    expect(await (await fetch(`${ops}/health`)).json()).toMatchObject({ alertsOpen: 1 });
    await publish(10, true);
    await publish(10, false);
    await waitFor(() => alerts.length >= 2, 'the close of episode 1', 20_000, kinds);

    // Episode 2: opens, the process stops gracefully (SIGTERM), the restarted one closes it.
    await publish(6, true);
    await waitFor(() => alerts.length >= 3, 'the second open', 20_000, kinds);
    v.proc.kill('SIGTERM');
    await waitFor(() => v.exited, 'the graceful stop', 20_000);
    expect(v.code).toBe(0);
    expect(savedOpen()).toBe(true);
    v = startVigil(config);
    await untilStarted(v);
    await publish(6, true);
    await publish(10, false);
    await waitFor(() => alerts.length >= 4, 'the close of episode 2', 20_000, kinds);
    // Nothing else trails in: a few more quiet readings, then a graceful stop that drains.
    await publish(6, false);
    v.proc.kill('SIGTERM');
    await waitFor(() => v.exited, 'the last stop', 20_000);
    await pub.endAsync();
    await sub.endAsync();

    expect(kinds()).toBe('open,close,open,close');
    const [open1, close1, open2, close2] = alerts;
    // Episode 1 ran from the first incident window (k = 8..17, then 18..27 after the kill) to the window that closed it.
    expect(close1.openedAt).toBe(open1.windowEnd);
    expect(close1.durationMs).toBe(close1.tsLast - open1.tsLast);
    expect(close1.durationMs).toBeGreaterThan(15_000);
    expect(close1.durationMs).toBeLessThan(40_000);
    expect(close1.peakScore).toBeCloseTo(100, 3);
    expect(close2.openedAt).toBe(open2.windowEnd);
    expect(close2.durationMs).toBe(close2.tsLast - open2.tsLast);
    expect(close2.durationMs).toBeGreaterThan(5_000);
    expect(close2.durationMs).toBeLessThan(30_000);
  });
});
