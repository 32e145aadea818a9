/**
 * A sensor whose alert state vigil evicts to make room for new sensors (window.maxSensors) while its alert is open:
 * the alert is closed on the alert topic, `unresolved: "evicted"`, never just forgotten (a review: it stayed open for its
 * consumers for good, vanished from vigil's own state, and the sensor's return opened a second alert for the same
 * incident); and an open alert kept by the alert bank outlives the threshold bank's bound in the state file.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { openThresholds, type RuntimeThresholds } from '../../runtime/ops/thresholds.ts';
import type { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import { PartitionPipeline } from '../../runtime/fleet/jetstream/partition-pipeline.ts';
import type { PartitionSnapshot } from '../../runtime/fleet/jetstream/partition-state.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { loadStates } from '../../runtime/thresholds/store.ts';
import { formatAlert } from '../../simulators/alerts/format.ts';
import type { RawMessage, Verdict } from '../../runtime/stream/types.ts';
import { subscribeAlerts } from '../../simulators/alerts/subscribe.ts';
import { fileBroker } from './aedes.ts';
import { WINDOW, capturingLogger, injectSpike, rawMessage, readingJson, recordedModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

const broker = fileBroker();

describe('a sensor evicted with its alert open', () => {
  it('has its alert closed, unresolved "evicted", on the alert topic; back, it opens a new one after that close', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('evict');
    // Two sensors over all pools: the third sensor scored evicts the least recently seen one's alert state.
    const cfg = testConfig(broker.url, prefix, recordedModel(), { window: { maxSensors: 2 } });
    const pub = await mqtt.connectAsync(broker.url);
    const got: string[] = [];
    const closes = new Subject<Record<string, unknown>>();
    const unsubscribe = await subscribeAlerts(pub, `${prefix}/alerts/#`, {
      onAlert: (a) => {
        got.push(`${a.type} ${a.sensor}${a.unresolved ? ` ${a.unresolved}` : ''}`);
        if (a.type === 'close') closes.next(a as never);
      },
    });
    const input = new Subject<RawMessage>();
    const { lines, logger } = capturingLogger('info');
    const handle = await startRuntime(cfg, { logger, source: input });
    const rec = recordedSeries(60);
    const values = injectSpike(rec.values, 20, 20 * recordedStd());
    const send = (sensor: string, i: number, v = rec.values[i]) => input.next(rawMessage(`${prefix}/${sensor}/data`, readingJson(rec.ts[i], v)));
    try {
      const opened = within(handle.alerts, 10_000, "A's alert", (a) => a.type === 'open' && a.sensor === 'A');
      for (let i = 0; i < 22; i++) send('A', i, values[i]);
      await opened;
      const closed = within(closes, 10_000, "A's close on the alert topic", (a) => a.sensor === 'A');
      for (const s of ['B', 'C']) {
        const scored = within(handle.verdicts, 10_000, `${s}'s first verdict`, (v) => v.sensor === s);
        for (let i = 0; i < WINDOW; i++) send(s, i);
        await scored;
      }
      const c = await closed;
      expect(c).toMatchObject({ type: 'close', sensor: 'A', unresolved: 'evicted', severity: 'clear' });
      expect(formatAlert(c as never)).toContain('unresolved: vigil stopped watching its sensor (window.maxSensors)');
      expect(handle.openAlerts().map((a) => a.sensor)).not.toContain('A');
      expect(await handle.metrics.text()).toMatch(/^vigil_alerts_open 0$/m);
      expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('alert close: A unresolved: vigil stopped watching its sensor, evicted'))).toBe(true);
      // Back (its window starts afresh) and anomalous: a new alert, after the first was closed.
      const again = within(handle.alerts, 10_000, "A's new alert", (a) => a.type === 'open' && a.sensor === 'A');
      const last = 22 + WINDOW - 1;
      for (let i = 22; i <= last; i++) send('A', i, i === last ? rec.values[i] + 20 * recordedStd() : rec.values[i]);
      await again;
      await handle.drainAlerts(5000);
      const seen = () => got.filter((g) => g.includes(' A'));
      for (let t0 = Date.now(); seen().length < 3 && Date.now() - t0 < 5000; ) await new Promise((r) => setTimeout(r, 20));
      expect(seen()).toEqual(['open A', 'close A evicted', 'open A']);
    } finally {
      await handle.stop();
      await unsubscribe();
      await pub.endAsync();
    }
  });
});

const session = { provider: 'none', run: () => { throw new Error('not run here'); } };
const verdict = (sensor: string, t: number, score: number): Verdict => ({
  sensor, seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(1), score, perChannel: Float32Array.from([score]),
  provider: 'ort-node/cpu', threshold: 8, anomaly: score > 8,
});

describe('an open alert in the state file', () => {
  it('is kept by a full save after the threshold bank dropped its sensor, and resumed after a restart', async () => {
    const path = recordedModel();
    const cfg = testConfig('mqtt://127.0.0.1:1', 'evicted-state', path, { window: { maxSensors: 2 } });
    const card = loadModel(path).card;
    const open = () => openThresholds(cfg, new ModelRef(card, session), silent, createEdgeCounters());
    // Run 1: A's alert opens (a critical window) and is saved.
    const th1 = open();
    th1.bank.get('A');
    expect(th1.alerts.get('A').step(verdict('A', 1000, 100)).kind).toBe('open');
    await th1.stop();
    expect(loadStates(cfg.state.file!).states.get('A')?.alert?.open).toBeDefined();
    // Run 2: two other sensors fill the threshold bank before A is heard from again; A's alert is still open here.
    const th2 = open();
    expect(th2.alerts.openSensors()).toEqual(['A']);
    th2.bank.get('B');
    th2.bank.get('C');
    await th2.stop();
    expect(loadStates(cfg.state.file!).states.get('A')?.alert?.open).toBeDefined();
    // Run 3: A's alert is resumed, not forgotten.
    const th3 = open();
    expect(th3.alerts.openSensors()).toEqual(['A']);
    await th3.stop();
  });

  it('is kept when the threshold bank evicts a sensor the alert bank still holds (their recency orders differ)', async () => {
    const path = recordedModel();
    const cfg = testConfig('mqtt://127.0.0.1:1', 'evicted-held', path, { window: { maxSensors: 2 } });
    const th = openThresholds(cfg, new ModelRef(loadModel(path).card, session), silent, createEdgeCounters());
    th.bank.get('A');
    expect(th.alerts.get('A').step(verdict('A', 1000, 100)).kind).toBe('open');
    // B and C reach the threshold bank only (as an operator's command or a silence touches the alert bank only).
    th.bank.get('B');
    th.bank.get('C');
    expect(th.bank.peek('A')).toBeUndefined();
    expect(th.alerts.openSensors()).toEqual(['A']);
    await th.stop();
    expect(loadStates(cfg.state.file!).states.get('A')?.alert?.open).toBeDefined();
  });
});

describe("a fleet partition's alert bank", () => {
  it("is the thresholds' own, built from the partition's saved alerts, bound and onEvict (a review: openThresholds built one the partition never used, beside its own)", () => {
    const path = recordedModel();
    const cfg = testConfig('mqtt://127.0.0.1:1', 'evicted-partition', path, { window: { maxSensors: 2 } });
    const ref = new ModelRef(loadModel(path).card, session);
    const seed = openThresholds({ ...cfg, state: { ...cfg.state, file: null } }, ref, silent, createEdgeCounters());
    expect(seed.alerts.get('A').step(verdict('A', 1000, 100)).kind).toBe('open');
    const evicted: string[] = [];
    const th = openThresholds({ ...cfg, state: { ...cfg.state, file: null } }, ref, silent, createEdgeCounters(), {
      alerts: { saved: seed.alerts.snapshot(), maxSensors: 1, onEvict: (sensor, close, admitted) => evicted.push(`${sensor} ${close.kind === 'close' ? close.unresolved : close.kind} for ${admitted}`) },
    });
    expect(th.alerts.openSensors()).toEqual(['A']);
    th.alerts.holdOpen();
    th.alerts.get('B');
    expect(evicted).toEqual(['A evicted for B']);
    const pp = new PartitionPipeline(cfg, ref, silent, { thresholds: {}, residuals: {}, alerts: seed.alerts.snapshot() } as unknown as PartitionSnapshot, true);
    const own = pp as unknown as { th: RuntimeThresholds; alerts: AlertBank };
    expect(own.alerts).toBe(own.th.alerts);
    expect(own.alerts.openSensors()).toEqual(['A']);
    pp.close();
  });
});
