/**
 * Adaptation in a running `vigil run` (runtime/adapt/adaptation.ts), with a tiny pump model trained here: the
 * operating point drifts slowly, the reservoir fills with clearly normal windows, `vigil adapt --reservoir` runs in
 * a child process on its own and the adapted pair is hot-swapped. A fault after the swap, which the previous model
 * flags too, keeps it; a regression (an adapted model that flags normal windows its parent does not) is rolled back
 * automatically. With `trigger.kind: drift`, stable data starts nothing and a drift does. Every decision is a log
 * line, a counter and a mark.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptDecisionMark } from '../../runtime/adapt/decision.ts';
import { readReservoir } from '../../runtime/adapt/reservoir-file.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { sliceRows } from '../../runtime/data/series.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import { startDashboard, type TickMessage } from '../../dashboard/server.ts';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';
import { gateway, liveRows, LIVE_START, trainTinyPump } from '@vigil/fixtures/adapt-gateway.ts';

let broker: EmbeddedBroker;
let dir: string;
let trained: string;
beforeAll(async () => {
  broker = await startBroker();
  dir = mkdtempSync(join(tmpdir(), 'vigil-gw-adapt-'));
  trained = await trainTinyPump(dir);
}, 300_000);
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

const copy = (name: string) => {
  cpSync(join(dir, 'model'), join(dir, name), { recursive: true });
  return join(dir, name, 'pump');
};

/**
 * The supply voltage (5) and the flow reading (0) move to a new operating point over `over` rows, then stay there:
 * shifts of one to three of their noise's standard deviations, which the scores' residual tracking follows when they
 * come slowly (not flagged) and adaptation can still learn (the held-back error falls by more than minGain).
 */
const drift = (over: number, volts: number, flow: number) => (r: number, v: Float32Array) => {
  const k = Math.min(1, r / over);
  v[5] += volts * k;
  v[0] += flow * k;
};

/** The first tick a dashboard page gets. */
async function firstTick(url: string): Promise<TickMessage> {
  const res = await fetch(new URL('/events', url));
  const reader = res.body!.getReader();
  let buf = '';
  for (;;) {
    const { value } = await reader.read();
    buf += new TextDecoder().decode(value);
    const data = /^data: (.*)$/m.exec(buf)?.[1];
    if (data && buf.includes('\n\n')) {
      await reader.cancel();
      return JSON.parse(data) as TickMessage;
    }
  }
}

describe('adaptation in vigil run', { timeout: 300_000 }, () => {
  it('adapts on its own in a child process and hot-swaps; a fault after the swap does not roll it back', async () => {
    const model = copy('auto');
    const reservoir = join(dir, 'auto-reservoir-{name}.json');
    const g = await gateway(model, broker.url, {
      enabled: true, everyMs: 0, minNewWindows: 300, minGain: 0.05, backend: 'wasm',
      reservoir: { file: reservoir, guardMs: 10_000, sampleEveryMs: 0 },
      rollback: { windows: 100, factor: 3, floor: 0.01 },
    });
    const marks: AdaptDecisionMark[] = [];
    g.handle.adaptation!.decisions.subscribe((d) => marks.push(d));
    try {
      await g.feed(liveRows(900, 21, LIVE_START, drift(300, 0.6, 1)));
      await g.handle.adaptation!.settled();
      expect(marks.map((m) => m.outcome)).toEqual(['adapted']);
      expect(g.handle.card().version).toBe('2');
      expect(g.handle.card().lineage?.data.recent.file).toBe(join(dir, 'auto-reservoir-pump.json'));
      expect(existsSync(`${model}.versions/1/pump.onnx`)).toBe(true);
      // Adapted on reservoir windows (selected for scoring under half the bar): the serving threshold is kept.
      expect(g.handle.card().threshold.static.value).toBe(loadModel(`${model}.versions/1/pump`).card.threshold.static.value);
      // Its residual means were seeded from the reservoir before it went live.
      expect(g.logs.some((l) => /residual means of 1 sensor\(s\) seeded from their newest 32 clearly normal windows/.test(l))).toBe(true);
      expect(readReservoir(join(dir, 'auto-reservoir-pump.json')).windows.length).toBeGreaterThanOrEqual(300);
      // A fault right after the swap (vibration far off on every row) flags far more than the band allows, but
      // version 1 flags those windows too: the data changed, not the model, and the adapted model stays.
      await g.feed(liveRows(150, 22, LIVE_START + 900_000, (r, v) => { drift(1, 0.6, 1)(r, v); v[4] += 3; }));
      await g.handle.adaptation!.settled();
      process.stdout.write(`${marks.map((m) => `${m.outcome}: ${m.detail}`).join('\n')}\n`);
      expect(marks.map((m) => m.outcome)).toEqual(['adapted', 'kept']);
      expect(marks[1].detail).toMatch(/version 1 flags \d+ of \d+ sampled flagged windows too: \d+ flagged windows excused/);
      expect(g.handle.card().version).toBe('2');
    } finally {
      await g.handle.stop();
    }
  });

  it('rolls back an adapted model that flags normal windows its parent does not', async () => {
    const model = copy('regress');
    const g = await gateway(model, broker.url, {
      enabled: true, everyMs: 0, minNewWindows: 300, minGain: 0.05, backend: 'wasm',
      command: [process.execPath, fileURLToPath(new URL('./lowered-bar-vigil.mjs', import.meta.url))],
      reservoir: { file: join(dir, 'regress-reservoir-{name}.json'), guardMs: 10_000, sampleEveryMs: 0 },
      rollback: { windows: 100, factor: 3, floor: 0.01 },
    });
    const marks: AdaptDecisionMark[] = [];
    g.handle.adaptation!.decisions.subscribe((d) => marks.push(d));
    const dash = await startDashboard(runtimeFeed(g.handle), { port: 0, tickMs: 50 });
    try {
      await g.feed(liveRows(900, 21, LIVE_START, drift(300, 0.6, 1)));
      await g.handle.adaptation!.settled();
      expect(marks.map((m) => m.outcome)).toEqual(['adapted']);
      // Normal rows at the new point: the adapted model, its bar at a quarter, flags most of them; version 1 does not.
      await g.feed(liveRows(150, 22, LIVE_START + 900_000, drift(1, 0.6, 1)));
      await g.handle.adaptation!.settled();
      expect(marks.map((m) => m.outcome)).toEqual(['adapted', 'rolled_back']);
      expect(g.handle.card().version).toBe('1');
      const text = await g.handle.metrics.text();
      expect(text).toMatch(/vigil_adaptations_total\{outcome="adapted"\} 1/);
      expect(text).toMatch(/vigil_adaptations_total\{outcome="rolled_back"\} 1/);
      expect(g.logs.some((l) => /adaptation rolled back: pump 2 -> 1: flag rate out of its band/.test(l))).toBe(true);
      // Both decisions are marks on the dashboard, newest first.
      const tick = await firstTick(dash.url);
      expect(tick.marks.map((m) => [m.outcome, m.from, m.to])).toEqual([['rolled_back', '2', '1'], ['adapted', '1', '2']]);
    } finally {
      await dash.close();
      await g.handle.stop();
    }
  });

  it('with trigger drift, adapts once the scores drift, not while they are stable', async () => {
    const model = copy('drift');
    const g = await gateway(model, broker.url, {
      enabled: true, everyMs: 0, minNewWindows: 100, minGain: 0.05, backend: 'wasm',
      trigger: { kind: 'drift', windows: 200 },
      reservoir: { file: join(dir, 'drift-reservoir-{name}.json'), guardMs: 10_000, sampleEveryMs: 0 },
    });
    const marks: AdaptDecisionMark[] = [];
    g.handle.adaptation!.decisions.subscribe((d) => marks.push(d));
    try {
      // One stream: stable for 600 rows, then the operating point moves within 200 rows, faster than the scores'
      // residual tracking follows (a slower move is absorbed by it and leaves the scores where they were).
      const stream = liveRows(2600, 31, LIVE_START, (r, v) => r >= 600 && drift(200, 1, 1.6)(r - 600, v));
      // Stable at the trained operating point: the reservoir fills far past minNewWindows, the signal stays quiet.
      await g.feed(sliceRows(stream, 0, 600));
      await g.handle.adaptation!.settled();
      expect(g.handle.adaptation!.reservoir().freshCount).toBeGreaterThan(100);
      const quiet = g.handle.adaptation!.drift()!;
      expect(quiet.fired).toBe(false);
      // The reference is kept with the reservoir (so a restart does not measure a new one on drifted scores).
      expect(g.handle.adaptation!.reservoir().driftReference()).toEqual({ version: '1', mean: quiet.reference.mean, std: quiet.reference.std, count: 200 });
      expect(marks).toEqual([]);
      // The operating point drifts: the signal fires and the runtime adapts, saying why.
      for (let r = 0; r < 2000 && !marks.some((m) => m.outcome === 'adapted'); r += 100) {
        await g.feed(sliceRows(stream, 600 + r, 700 + r));
        await g.handle.adaptation!.settled();
      }
      process.stdout.write(`quiet: z ${quiet.z.toFixed(2)}; ${marks.map((m) => `${m.outcome}: ${m.detail}`).join('\n')}\n`);
      expect(marks.at(-1)?.outcome).toBe('adapted');
      // /health says it too, with the reason and how long ago (a probe found it in neither /health nor the banner).
      const health = (await (await fetch(`${g.handle.opsUrl}/health`)).json()) as { adaptation?: { running: boolean; watching: boolean; last?: { outcome: string; detail: string; agoMs: number } } };
      expect(health.adaptation).toMatchObject({ running: false, last: { outcome: 'adapted', detail: marks.at(-1)!.detail } });
      expect(health.adaptation!.last!.agoMs).toBeGreaterThanOrEqual(0);
      expect(g.handle.card().lineage?.reason).toMatch(/^auto: drift: mean score of the last 200 windows outside alerts [\d.]+ against [\d.]+ in the first 200 windows version 1 scored in service/);
    } finally {
      await g.handle.stop();
    }
  });

  it('a slow ramp fault is still alerted with adaptation on, adapting between every 100 rows', async () => {
    const model = copy('ramp');
    const g = await gateway(model, broker.url, {
      enabled: true, everyMs: 0, minNewWindows: 60, minGain: 0.05, backend: 'wasm',
      reservoir: { file: join(dir, 'ramp-reservoir-{name}.json'), guardMs: 10_000, sampleEveryMs: 0 },
      rollback: { windows: 100 },
    });
    const marks: AdaptDecisionMark[] = [];
    g.handle.adaptation!.decisions.subscribe((d) => marks.push(d));
    const flags: number[] = [];
    g.handle.verdicts.subscribe((v) => v.tsLast >= start && flags.push(v.anomaly ? 1 : 0));
    const RAMP = 1200;
    const start = LIVE_START + 700_000;
    try {
      await g.feed(liveRows(700, 31, LIVE_START, drift(300, 0.6, 1)));
      await g.handle.adaptation!.settled();
      const before = marks.length;
      // Vibration climbs by 0.8 over 20 minutes (0 -> 8 of its standard deviations), fed 100 rows at a time; every
      // adaptation that falls due meanwhile runs to its end before the next rows come.
      const ramp = liveRows(RAMP, 32, start, (r, v) => { drift(1, 0.6, 1)(r, v); v[4] += (0.8 * r) / RAMP; });
      for (let r = 0; r < RAMP; r += 100) {
        await g.feed({ ...ramp, timestamps: ramp.timestamps.subarray(r, r + 100), data: ramp.data.subarray(r * 8, (r + 100) * 8) });
        await g.handle.adaptation!.settled();
      }
      const during = marks.slice(before);
      // The alert open at the end of the ramp, and when it opened.
      const last = g.alerts.filter((a) => a.tsLast >= start).at(-1);
      const share = (from: number) => flags.slice(from).reduce((a, b) => a + b, 0) / flags.slice(from).length;
      process.stdout.write(`ramp: decisions before ${marks.slice(0, before).map((m) => m.outcome).join(', ')}; during ${during.map((m) => `${m.outcome}${m.to ? ` v${m.to}` : ''}`).join(', ')}; last alert opened ${last ? `${(last.tsLast - start) / 1000} s into the ramp` : 'never'}; flagged: 2nd half ${share(RAMP / 2).toFixed(3)}, last quarter ${share((3 * RAMP) / 4).toFixed(3)}\n`);
      expect(during.map((m) => m.outcome)).toContain('adapted'); // it did learn from the early, still quiet part of the ramp
      expect(last?.type).toBe('open');
      expect((last!.tsLast - start) / 1000).toBeLessThan((3 * RAMP) / 4);
      expect(share((3 * RAMP) / 4)).toBeGreaterThan(0.9);
    } finally {
      await g.handle.stop();
    }
  });
});
