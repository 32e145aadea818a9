/**
 * Fuzz: 12,000 seeded hostile and valid messages through the real decode -> pipeline path (json, csv and
 * Sparkplug B codecs), and 3,000 through a live runtime on an embedded aedes broker. Nothing crashes; every
 * bad message is rejected once, with an acceptable reason, counted and dead-lettered (file and topic); every
 * valid reading reaches the window stage and every full window is scored.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, lastValueFrom, toArray } from 'rxjs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, CodecConfigSchema } from '../../runtime/codecs/registry.ts';
import { DEFAULT_TIMESTAMP } from '../../runtime/codecs/codec.ts';
import { decode } from '../../runtime/codecs/decode.ts';
import { compileTopicTemplate, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import { deadLetterSink, type DeadLetter } from '../../runtime/mqtt/dead-letter.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { openModel } from '../../runtime/inference/open-model.ts';
import { createPipeline } from '../../runtime/stream/pipeline.ts';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import type { Detection, RawMessage, Rejected } from '../../runtime/stream/types.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { expectedWindows, fuzzCorpus, type FuzzCase } from './support/corpus.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const CHANNELS = ['current', 'temp', 'vibration'];
const WINDOW = 8;
const MAX_BYTES = 64 * 1024;
let dir: string;
let modelPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-fuzz-'));
  modelPath = writeTinyModel(join(dir, 'model'), { window: WINDOW, channels: CHANNELS, threshold: 5 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run cases through decode -> pipeline in process; returns the rejection of each case and the detections. */
async function runCases(cases: FuzzCase[], kind: 'json' | 'csv' | 'sparkplug', now: number, dlFile: string) {
  const loaded = loadModel(modelPath);
  const { ref } = await openModel(loaded, { providers: ['cpu'] });
  const codec = createCodec(CodecConfigSchema.parse({ kind }), { channels: CHANNELS, timestamp: DEFAULT_TIMESTAMP });
  const template = kind === 'sparkplug' ? 'spBv1.0/{group}/{type}/{node}/{sensor}' : 'sensors/{sensor}/data';
  const route = topicRouter([compileTopicTemplate(template)]);
  const pipeline = createPipeline({
    model: ref,
    thresholds: () => createThreshold({ kind: 'static' }, loaded.card),
    batch: { size: 256, maxWaitMs: 1 },
    infer: { maxPendingBytes: Number.MAX_SAFE_INTEGER },
  });
  const dl = deadLetterSink(null, { topic: null, file: dlFile, maxFileBytes: 1 << 30 });
  const rejections: (Rejected[] | undefined)[] = new Array(cases.length);
  let cur = -1;
  const input = new Subject<RawMessage>();
  const done = lastValueFrom(
    input.pipe(
      decode({
        codec,
        route,
        maxPayloadBytes: MAX_BYTES,
        onRejected: (r) => {
          (rejections[cur] ??= []).push(r);
          dl.write(r);
        },
      }),
      pipeline.detect,
      toArray(),
    ),
  );
  for (let i = 0; i < cases.length; i++) {
    cur = i;
    input.next({ topic: cases[i].topic, payload: cases[i].payload, receivedAt: now });
    // Yield now and then, as a socket source would, so the dead-letter file can drain.
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  input.complete();
  const detections: Detection[] = await done;
  const dlDropped = dl.dropped();
  await dl.close();
  await ref.close();
  return { rejections, detections, counters: pipeline.counters, dlDropped };
}

function tally(reasons: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reasons) out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe('fuzz: decode -> pipeline in process', () => {
  const plan = [
    { kind: 'json' as const, count: 8000, seed: 11 },
    { kind: 'csv' as const, count: 2000, seed: 12 },
    { kind: 'sparkplug' as const, count: 2000, seed: 13 },
  ];
  for (const p of plan) {
    it(`${p.kind}: ${p.count} messages, every bad one rejected with its reason and dead-lettered, every valid one scored`, async () => {
      const now = Date.UTC(2026, 0, 15);
      const cases = fuzzCorpus({ codec: p.kind, count: p.count, seed: p.seed, channels: CHANNELS, now, maxPayloadBytes: MAX_BYTES });
      const dlFile = join(dir, `dead-${p.kind}.jsonl`);
      const { rejections, detections, counters, dlDropped } = await runCases(cases, p.kind, now, dlFile);

      const wrong: string[] = [];
      const reasons: string[] = [];
      cases.forEach((c, i) => {
        const r = rejections[i];
        if (c.expect === 'valid') {
          if (r) wrong.push(`#${i} ${c.kind} valid but rejected: ${r[0].reason} ${r[0].detail}`);
        } else if (!r || r.length !== 1 || !c.expect.includes(r[0].reason as never)) {
          wrong.push(`#${i} ${c.kind} expected ${c.expect.join('|')}, got ${r ? r.map((x) => x.reason).join(',') : 'accepted'}`);
        } else {
          reasons.push(r[0].reason);
          expect(r[0].detail.length).toBeGreaterThan(10);
        }
      });
      expect(wrong.slice(0, 10)).toEqual([]);

      const valid = cases.filter((c) => c.expect === 'valid');
      const bad = cases.length - valid.length;
      expect(bad).toBeGreaterThan(cases.length * 0.5);
      expect(reasons).toHaveLength(bad);
      // Every valid reading reached the window stage, in order, and every full window was scored.
      expect(counters.readings).toBe(valid.length);
      expect(counters.duplicates + counters.outOfOrder + counters.unusable).toBe(0);
      const windows = expectedWindows(cases, WINDOW);
      expect(windows).toBeGreaterThan(valid.length * 0.5);
      expect(counters.scored).toBe(windows);
      expect(detections).toHaveLength(windows);
      expect(counters.droppedQueueFull + counters.droppedInferenceError).toBe(0);
      for (const d of detections) expect(Number.isFinite(d.verdict.score)).toBe(true);

      // The dead-letter file holds one line per rejection with its reason; a line the disk could not take
      // in time is dropped and counted (the file's backlog is bounded), never silently lost.
      const lines = readFileSync(dlFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DeadLetter);
      expect(lines.length + dlDropped).toBe(bad);
      expect(dlDropped).toBeLessThan(bad * 0.05);
      if (dlDropped === 0) expect(tally(lines.map((l) => l.reason))).toEqual(tally(reasons));
      expect(Object.keys(tally(lines.map((l) => l.reason))).sort()).toEqual(Object.keys(tally(reasons)).sort());
      for (const l of lines) {
        expect(l.detail).toBeTruthy();
        expect(l.payload === undefined || l.payload.length <= 4 * 1024 * 4 / 3 + 4).toBe(true);
      }
      console.log(`fuzz ${p.kind}: ${cases.length} messages, ${valid.length} valid, ${windows} windows scored, dead letters ${lines.length} (+${dlDropped} dropped), rejected ${JSON.stringify(tally(reasons))}`);
    });
  }
});

describe('fuzz: through a live runtime on an embedded broker', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('3,000 hostile and valid messages: no crash, reasons counted, dead letters on the topic and in the file, valid ones scored', { timeout: 90_000 }, async () => {
    const logs: string[] = [];
    const logger = createLogger('warn', { write: (s: string) => void logs.push(s) });
    const dlFile = join(dir, 'live-dead.jsonl');
    const cfg = defineConfig({
      model: modelPath,
      broker: { url: broker.url },
      source: { topics: ['sensors/{sensor}/data'], qos: 1, maxPayloadBytes: MAX_BYTES },
      batch: { maxPendingBytes: Number.MAX_SAFE_INTEGER },
      deadLetter: { topic: 'vigil/deadletter/{reason}', file: dlFile },
      metrics: { port: null },
      state: { file: null },
      reload: { watch: false },
    });
    const handle = await startRuntime(cfg, { logger });
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'fuzz-watch' });
    const deadByTopic = new Map<string, number>();
    watcher.on('message', (t) => deadByTopic.set(t, (deadByTopic.get(t) ?? 0) + 1));
    await watcher.subscribeAsync('vigil/deadletter/#', { qos: 1 });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'fuzz-pub' });
    let scored = 0;
    handle.verdicts.subscribe(() => scored++);
    try {
      // Topics outside the subscription never reach the runtime (the broker filters them), so they are left out.
      const cases = fuzzCorpus({ codec: 'json', count: 3100, seed: 21, channels: CHANNELS, now: Date.now(), maxPayloadBytes: MAX_BYTES }).filter((c) => /^sensors\/[^/]*\/data$/.test(c.topic));
      expect(cases.length).toBeGreaterThan(3000);
      for (const c of cases) pub.publish(c.topic, Buffer.from(c.payload), { qos: 1 });
      const windows = expectedWindows(cases, WINDOW);
      const bad = cases.filter((c) => c.expect !== 'valid').length;
      const rejected = () => [...handle.edge.rejected.values()].reduce((a, b) => a + b, 0);
      const dlSeen = () => [...deadByTopic.values()].reduce((a, b) => a + b, 0);
      await waitFor(() => handle.edge.messages === cases.length && scored === windows && dlSeen() === bad, 'every message handled', 40_000, () => ({
        messages: handle.edge.messages,
        scored,
        windows,
        rejected: rejected(),
        dlSeen: dlSeen(),
      }));
      expect(rejected()).toBe(bad);
      expect(handle.edge.decoded).toBe(cases.length - bad);
      expect(handle.health().status).toBe('ok');
      // Counted by reason: the runtime's counters, the dead-letter topics and the file agree.
      const byReason = Object.fromEntries(handle.edge.rejected);
      const byTopic = Object.fromEntries([...deadByTopic].map(([t, n]) => [t.replace('vigil/deadletter/', ''), n]));
      expect(byTopic).toEqual(byReason);
      await handle.stop();
      const lines = readFileSync(dlFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DeadLetter);
      expect(tally(lines.map((l) => l.reason))).toEqual(byReason);
      expect(Object.keys(byReason).length).toBeGreaterThanOrEqual(8);
      // One warning per reason (then every 1000th), not one per message.
      expect(logs.filter((l) => l.includes('message rejected')).length).toBeLessThan(50);
      console.log(`fuzz live: ${cases.length} messages, ${windows} windows scored, rejected ${JSON.stringify(byReason)}`);
    } finally {
      await handle.stop();
      await pub.endAsync();
      await watcher.endAsync();
    }
  });
});
