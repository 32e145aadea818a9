/**
 * Operating `vigil run`: dead letters with reasons, Prometheus metrics and health over HTTP, threshold state
 * persisted on stop and restored on start, and model hot reload that refuses a corrupt file and keeps serving.
 */
import { decodeFloats } from '../../runtime/util/float-state.ts';
import { describe, expect, it, vi } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { DeadLetter } from '../../runtime/mqtt/dead-letter.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { writeTinyModel, meanLayer } from '@vigil/fixtures/tiny-model.ts';
import { parseCard } from '../../runtime/model/card.ts';
import { createThreshold, restoreThreshold } from '../../runtime/thresholds/factory.ts';
import { fileBroker } from './aedes.ts';
import { WINDOW, capturingLogger, rawMessage as msg, readingJson, recordedModel, recordedSeries, silent, testConfig, uniquePrefix, within } from './harness.ts';

const seen = new Subject<{ topic: string; payload: Buffer }>();
const broker = fileBroker((topic, payload) => seen.next({ topic, payload }));

describe('vigil run operations', () => {
  it('dead-letters bad input with its reason and reports it in /metrics and /health', async () => {
    const prefix = uniquePrefix('ops');
    const input = new Subject<RawMessage>();
    const handle = await startRuntime(testConfig(broker.url, prefix, recordedModel(), { metrics: { port: 0 } }), { logger: silent, source: input });
    try {
      const dead: DeadLetter[] = [];
      const three = within(seen, 5000, 'three dead letters', (m) => m.topic.startsWith(`${prefix}/dead/`) && dead.push(JSON.parse(m.payload.toString())) === 3);
      input.next(msg(`${prefix}/pump-1/data`, '{"ts": 1,'));
      input.next(msg(`${prefix}/pump-1/data`, '{"value": "NaN"}'));
      input.next(msg(`${prefix}/a+b/data`, '{"value": 1}'));
      const rec = recordedSeries(WINDOW, 0);
      const judged = within(handle.verdicts, 5000, 'a verdict');
      for (let i = 0; i < WINDOW; i++) input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i])));
      await three;
      await judged;
      expect(dead.map((d) => d.reason)).toEqual(['bad_json', 'bad_value', 'bad_sensor_id']);
      expect(dead[0]).toMatchObject({ topic: `${prefix}/pump-1/data`, payload: '{"ts": 1,', payloadEncoding: 'utf8', detail: expect.stringContaining('expected') });

      const metrics = await (await fetch(`${handle.opsUrl}/metrics`)).text();
      expect(metrics).toContain('vigil_messages_total 19');
      expect(metrics).toContain('vigil_readings_decoded_total 16');
      expect(metrics).toContain('vigil_rejected_total{reason="bad_json"} 1');
      expect(metrics).toContain('vigil_rejected_total{reason="bad_sensor_id"} 1');
      expect(metrics).toContain('vigil_windows_scored_total 1');
      expect(metrics).toContain(`vigil_provider_info{provider="ort-node/cpu",model="daily",version="0.0.1",weights="${handle.card().onnx.sha256.slice(0, 12)}"} 1`);
      expect(handle.health()).toMatchObject({ model: { name: 'daily', version: '0.0.1', weights: handle.card().onnx.sha256.slice(0, 12) } });
      expect(metrics).toMatch(/vigil_inference_seconds_count \d+/);
      expect(metrics).toMatch(/vigil_batch_size_bucket\{le="1"\} 1/);
      const health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', broker: { connected: true }, model: { name: 'daily' }, provider: 'ort-node/cpu', sensors: 1 });
    } finally {
      await handle.stop();
    }
  });

  it('persists threshold state on stop and restores it on the next start', async () => {
    const prefix = uniquePrefix('state');
    const model = recordedModel();
    const cfg = testConfig(broker.url, prefix, model, { threshold: { kind: 'quantile', q: 0.9, window: 30, minCount: 10 } });
    const rec = recordedSeries(80, 100);
    const feed = (input: Subject<RawMessage>, from: number, to: number) => {
      for (let i = from; i < to; i++) input.next(msg(`${prefix}/pump-2/data`, readingJson(rec.ts[i], rec.values[i])));
    };
    const first = new Subject<RawMessage>();
    const a = await startRuntime(cfg, { logger: silent, source: first });
    const doneA = within(a.verdicts, 5000, 'the last verdict of run 1', (v) => v.tsLast === rec.ts[49]);
    feed(first, 0, 50);
    const lastA = await doneA;
    await a.stop();
    expect(existsSync(cfg.state.file!)).toBe(true);
    const saved = readFileSync(cfg.state.file!, 'utf8').split('\n');
    expect(JSON.parse(saved[0])).toMatchObject({ format: 'vigil-threshold-state', sensors: 1, model: { name: 'daily', version: '0.0.1' } });
    expect(JSON.parse(saved[1])['pump-2'].threshold.kind).toBe('quantile');

    const cap = capturingLogger();
    const second = new Subject<RawMessage>();
    const b = await startRuntime(cfg, { logger: cap.logger, source: second });
    try {
      expect(cap.lines.find((l) => l.msg === 'threshold state restored')).toMatchObject({ sensors: 1 });
      const nextB = within(b.verdicts, 5000, 'the first verdict of run 2');
      feed(second, 50, 50 + WINDOW);
      // The restored threshold continues where run 1 stopped: its level is the saved state's, not a fresh one's.
      const card = parseCard(JSON.parse(readFileSync(`${model}.json`, 'utf8')));
      const savedState = JSON.parse(saved[1])['pump-2'].threshold;
      const restoredLevel = restoreThreshold(savedState, card).current();
      const freshLevel = createThreshold(cfg.threshold, card).current();
      expect(restoredLevel).not.toBeCloseTo(freshLevel, 6);
      expect((await nextB).threshold).toBeCloseTo(restoredLevel, 9);
      expect(lastA.threshold).toBeGreaterThan(0);
    } finally {
      await b.stop();
    }
  });

  it('says on /health and in the log, from the start, that the state file cannot be written (a probe: a read-only state folder, /health 200 ok)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-ro-'));
    // A file where the state folder should be: writing fails whoever runs the test (root ignores a read-only mode).
    writeFileSync(join(dir, 'not-a-folder'), '');
    const cfg = testConfig(broker.url, uniquePrefix('ro'), recordedModel(), { metrics: { port: 0 } });
    cfg.state.file = join(dir, 'not-a-folder', 'state.json');
    const cap = capturingLogger();
    const handle = await startRuntime(cfg, { logger: cap.logger, source: new Subject<RawMessage>() });
    try {
      let body: Record<string, unknown> = {};
      let status = 0;
      for (let i = 0; i < 50 && !body.stateNotSaved; i++) {
        const res = await fetch(`${handle.opsUrl}/health`);
        status = res.status;
        body = (await res.json()) as Record<string, unknown>;
        if (!body.stateNotSaved) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'degraded', stateNotSaved: expect.stringMatching(/ENOTDIR/) });
      expect(cap.lines.find((l) => l.msg === 'threshold state not saved')).toMatchObject({ file: cfg.state.file });
    } finally {
      await handle.stop();
    }
    // A state folder that does not exist yet is made, and saved into from the start.
    const fresh = testConfig(broker.url, uniquePrefix('mk'), recordedModel(), { metrics: { port: 0 } });
    fresh.state.file = join(dir, 'new', 'deeper', 'state.json');
    const made = await startRuntime(fresh, { logger: silent, source: new Subject<RawMessage>() });
    try {
      await vi.waitFor(() => expect(existsSync(fresh.state.file!)).toBe(true), { timeout: 5000 });
      expect(made.health()).toMatchObject({ status: 'ok' });
    } finally {
      await made.stop();
    }
  });

  it('saves each sensor\'s tracked residual mean with its threshold and starts from it on the next start', async () => {
    const prefix = uniquePrefix('residual');
    const model = recordedModel();
    // The tiny model's card, scored by Mahalanobis with a residual mean that follows every window.
    const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
    card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.2, below: 1e9 } } };
    writeFileSync(`${model}.json`, JSON.stringify(card));
    const cfg = testConfig(broker.url, prefix, model);
    const rec = recordedSeries(80, 100);
    const feed = (input: Subject<RawMessage>, from: number, to: number) => {
      for (let i = from; i < to; i++) input.next(msg(`${prefix}/pump-3/data`, readingJson(rec.ts[i], rec.values[i])));
    };
    const firstScoreAfterRestart = async (stateFile: string) => {
      const input = new Subject<RawMessage>();
      const r = await startRuntime({ ...cfg, state: { ...cfg.state, file: stateFile } }, { logger: silent, source: input });
      try {
        const next = within(r.verdicts, 5000, 'the first verdict after the restart');
        feed(input, 50, 50 + WINDOW);
        return (await next).score;
      } finally {
        await r.stop();
      }
    };
    const first = new Subject<RawMessage>();
    const a = await startRuntime(cfg, { logger: silent, source: first });
    const doneA = within(a.verdicts, 5000, 'the last verdict of run 1', (v) => v.tsLast === rec.ts[49]);
    feed(first, 0, 50);
    await doneA;
    await a.stop();
    const saved = JSON.parse(readFileSync(cfg.state.file!, 'utf8').split('\n')[1])['pump-3'];
    const mean = decodeFloats(saved.residualMean)!;
    expect(mean).toHaveLength(1);
    expect(mean[0]).not.toBe(0);
    // Same readings, same model: restored from the saved mean the score differs from one that starts at the card's.
    const emptyDir = mkdtempSync(join(tmpdir(), 'vigil-run-state-'));
    const restored = await firstScoreAfterRestart(cfg.state.file!);
    const fresh = await firstScoreAfterRestart(join(emptyDir, 'state.json'));
    expect(restored).not.toBeCloseTo(fresh, 6);
  });

  it('hot-reloads a new model, and keeps the old one serving when the new file is corrupt', async () => {
    const prefix = uniquePrefix('reload');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-'));
    const model = recordedModel(dir);
    const input = new Subject<RawMessage>();
    const cap = capturingLogger();
    const handle = await startRuntime(testConfig(broker.url, prefix, model, { reload: { watch: true, debounceMs: 20 } }), { logger: cap.logger, source: input });
    try {
      const onnx = `${model}.onnx`;
      const good = readFileSync(onnx);
      const refused = within(handle.reloads, 5000, 'the refused reload');
      writeFileSync(onnx, good.subarray(0, good.length - 7));
      expect(await refused).toMatchObject({ kind: 'refused', reason: expect.stringContaining('sha256') });
      expect(cap.lines.find((l) => String(l.msg).startsWith('model reload refused'))).toMatchObject({ serving: 'daily@0.0.1' });

      // Still serving: a full window is judged by the old model.
      const rec = recordedSeries(WINDOW, 0);
      const judged = within(handle.verdicts, 5000, 'a verdict from the old model');
      for (let i = 0; i < WINDOW; i++) input.next(msg(`${prefix}/pump-3/data`, readingJson(rec.ts[i], rec.values[i])));
      const before = await judged;
      expect(before.provider).toBe('ort-node/cpu');
      expect(before.threshold).toBe(8);

      // A new version with the same input shape (written elsewhere, then moved in) is swapped in.
      const staging = mkdtempSync(join(tmpdir(), 'vigil-reload-new-'));
      const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
      const next = writeTinyModel(staging, { name: 'daily', window: WINDOW, channels: ['value'], layers: [meanLayer(WINDOW, 1)], scaler: card.scaler, threshold: 9 });
      const nextCard = { ...JSON.parse(readFileSync(`${next}.json`, 'utf8')), version: '0.0.2' };
      const swapped = within(handle.reloads, 5000, 'the swap', (o) => o.kind === 'swapped');
      copyFileSync(`${next}.onnx`, onnx);
      writeFileSync(`${model}.json`, JSON.stringify(nextCard));
      expect(await swapped).toMatchObject({ kind: 'swapped', to: { version: '0.0.2' } });
      expect(handle.card().version).toBe('0.0.2');
      // Thresholds follow the model: the sensor already judged at the old card's level (8) now uses the new one (9).
      const after = within(handle.verdicts, 5000, 'a verdict from the new model', (v) => v.sensor === 'pump-3');
      const more = recordedSeries(WINDOW + 1, 0);
      input.next(msg(`${prefix}/pump-3/data`, readingJson(more.ts[WINDOW], more.values[WINDOW])));
      expect((await after).threshold).toBe(9);
      expect(handle.edge.reloads).toBe(1);
      expect(handle.edge.reloadFailures).toBeGreaterThanOrEqual(1);
    } finally {
      await handle.stop();
    }
  });
});
