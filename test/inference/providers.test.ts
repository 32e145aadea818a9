import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from '../../runtime/inference/backend.ts';
import { openModel, reloadModel, threadNote } from '../../runtime/inference/open-model.ts';
import { OrtNodeBackend } from '../../runtime/inference/ort-node.ts';
import { OrtNodeWorkerBackend } from '../../runtime/inference/ort-node-worker.ts';
import { backendFor, cleanReason, describeResolution, resolveSession, workerFor } from '../../runtime/inference/resolve.ts';
import { AUTO_MAX_BATCH, maxBatchFor } from '../../runtime/inference/max-batch.ts';
import { BatchSchema } from '../../runtime/config/batch.ts';
import { InferenceSchema } from '../../runtime/config/inference.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { mulberry32, randomDenseLayers, tinyModel, writeTinyModel, type DenseLayer } from '@vigil/fixtures/tiny-model.ts';

const W = 8;
const C = 3;
const layers = randomDenseLayers(W, C, [16, 4, 16], 7);
const { card, onnx } = tinyModel({ window: W, channels: ['a', 'b', 'c'], layers });
const req = { onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: W, channels: C };

/** The same dense chain in plain JS, in float64: the reference every backend must match. */
function reference(x: Float32Array, n: number, ls: DenseLayer[]): Float64Array {
  const out = new Float64Array(n * W * C);
  for (let i = 0; i < n; i++) {
    let h: Float64Array = Float64Array.from(x.subarray(i * W * C, (i + 1) * W * C));
    for (const l of ls) {
      const y = new Float64Array(l.outputs);
      for (let o = 0; o < l.outputs; o++) {
        let s = l.bias[o];
        for (let k = 0; k < l.inputs; k++) s += h[k] * l.weight[k * l.outputs + o];
        y[o] = l.relu ? Math.max(0, s) : s;
      }
      h = y;
    }
    out.set(h, i * W * C);
  }
  return out;
}

const opened: InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe.each(['cpu', 'wasm'])('inference contract: %s', (provider) => {
  it('reconstructs batches of any size like the reference, within 1e-4', async () => {
    const session = await backendFor(provider).open(req);
    opened.push(session);
    expect(session.provider).toBe(provider === 'wasm' ? 'ort-web/wasm' : 'ort-node/cpu');
    const rand = mulberry32(3);
    for (const n of [1, 5, 64]) {
      // A buffer longer than the batch: only the first n windows count.
      const x = Float32Array.from({ length: (n + 2) * W * C }, () => rand() * 4 - 2);
      const { reconstruction } = await session.run(x, n);
      expect(reconstruction.length).toBe(n * W * C);
      const ref = reference(x, n, layers);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - reconstruction[i]));
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });
});

describe('execution provider resolution', () => {
  it('asking for webgpu and cuda first falls back to cpu here, and says why each failed', async () => {
    const r = await resolveSession(['webgpu', 'cuda', 'cpu'], req);
    opened.push(r.session);
    expect(r.provider).toBe('ort-node/cpu');
    expect(r.failures.map((f) => f.provider)).toEqual(['webgpu', 'cuda']);
    for (const f of r.failures) expect(f.reason.length).toBeGreaterThan(10);
    const line = describeResolution(r);
    expect(line).toMatch(/^execution provider: ort-node\/cpu \(fell back; webgpu failed: .+; cuda failed: .+\)$/);
    expect(line).not.toMatch(/onnxruntime_src/);
  });

  it('falls back to onnxruntime-web (wasm) as the last resort', async () => {
    const r = await resolveSession(['cuda', 'tensorrt', 'wasm'], req);
    opened.push(r.session);
    expect(r.provider).toBe('ort-web/wasm');
    expect(r.failures.map((f) => f.provider)).toEqual(['cuda', 'tensorrt']);
  });

  it('when none works, one error lists every cause', async () => {
    await expect(resolveSession(['cuda', 'tensorrt'], req)).rejects.toThrow(/no execution provider could run the model:\n {2}cuda: .+\n {2}tensorrt: .+/);
    await expect(resolveSession([], req)).rejects.toThrow(/no execution providers given/);
    await expect(resolveSession(['tpu', 'cpu'], req).then((r) => (opened.push(r.session), r.failures))).resolves.toEqual([
      { provider: 'tpu', reason: "unknown execution provider 'tpu'; expected one of webgpu, cuda, tensorrt, cpu, wasm" },
    ]);
  });

  it('keeps the cause of an ONNX Runtime error and drops its source location', () => {
    const raw = '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';
    expect(cleanReason(new Error(raw))).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(cleanReason('plain reason\nstack')).toBe('plain reason');
  });

  it('openModel warms up at the batch sizes given and reports the provider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-open-'));
    const model = loadModel(writeTinyModel(dir, { window: W, channels: ['a', 'b', 'c'], layers }));
    const m = await openModel(model, { providers: ['cuda', 'cpu'], warmup: [1, 32] });
    expect(m.report).toMatch(/^execution provider: ort-node\/cpu \(fell back; cuda failed: .+\); warm-up \d+\.\d ms$/);
    expect(m.ref.current.session.provider).toBe('ort-node/cpu');

    // Hot reload: a new shape is refused and the model in service stays; a compatible one is swapped in.
    const wider = loadModel(writeTinyModel(join(dir, 'wider'), { window: W + 1, channels: ['a', 'b', 'c'] }));
    await expect(reloadModel(m.ref, wider, { providers: ['cpu'] })).rejects.toThrow(/hot reload needs the same input shape: window 8/);
    expect(m.ref.current.card).toBe(model.card);
    const next = loadModel(writeTinyModel(join(dir, 'next'), { window: W, channels: ['a', 'b', 'c'], name: 'next' }));
    const r = await reloadModel(m.ref, next, { providers: ['wasm'] });
    expect(r).toMatchObject({ previous: 'tiny 0.0.1' });
    expect(r.report).toMatch(/^execution provider: ort-web\/wasm; warm-up/);
    expect(m.ref.current.session.provider).toBe('ort-web/wasm');
    await m.ref.close();
  });
});

describe('inference.worker: auto', () => {
  it('puts the device providers in a worker thread and keeps cpu and wasm on the calling thread', () => {
    expect(['webgpu', 'cuda', 'tensorrt', 'cpu', 'wasm'].map((p) => workerFor(p, 'auto'))).toEqual([true, true, true, false, false]);
    expect(['webgpu', 'cpu', 'wasm'].map((p) => workerFor(p, true))).toEqual([true, true, false]);
    expect(['webgpu', 'cpu'].map((p) => [workerFor(p, false), workerFor(p, undefined)])).toEqual([[false, false], [false, false]]);
    expect(backendFor('webgpu', { worker: 'auto' })).toBeInstanceOf(OrtNodeWorkerBackend);
    expect(backendFor('cpu', { worker: 'auto' })).toBeInstanceOf(OrtNodeBackend);
  });

  it('is the config default, and the report says where the resolved provider runs', async () => {
    expect(InferenceSchema.parse({}).worker).toBe('auto');
    expect(() => InferenceSchema.parse({ worker: 'sometimes' })).toThrow();
    expect(threadNote({ provider: 'ort-node/webgpu' }, { worker: 'auto' })).toBe(' in a worker thread');
    expect(threadNote({ provider: 'ort-node/cpu' }, { worker: 'auto' })).toBe('');
    expect(threadNote({ provider: 'ort-web/wasm' }, { worker: true })).toBe('');
    // Here webgpu cannot open (no adapter): the fallback to cpu runs on the calling thread.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-auto-'));
    const m = await openModel(loadModel(writeTinyModel(dir, { window: W, channels: ['a', 'b', 'c'], layers })), { providers: ['webgpu', 'cpu'], worker: 'auto' });
    expect(m.report).toMatch(/^execution provider: ort-node\/cpu \(fell back; webgpu failed: .+\); warm-up/);
    expect(m.ref.current.session).not.toHaveProperty('worker');
    // ... and takes the CPU's largest batch, not the device's.
    expect(maxBatchFor('auto', m.ref.current.session.provider)).toBe(AUTO_MAX_BATCH.cpu);
    await m.ref.close();
  });
});

describe('batch.maxBatch: auto', () => {
  it('is the config default and gives the CPU providers 256 windows a call, the device providers 4,096; a number is kept', () => {
    expect(BatchSchema.parse({}).maxBatch).toBe('auto');
    expect(BatchSchema.parse({ maxBatch: 1024 }).maxBatch).toBe(1024);
    expect(() => BatchSchema.parse({ maxBatch: 'large' })).toThrow();
    expect(['cpu', 'wasm', 'ort-node/cpu', 'ort-web/wasm'].map((p) => maxBatchFor('auto', p))).toEqual([256, 256, 256, 256]);
    expect(['webgpu', 'cuda', 'tensorrt', 'ort-node/webgpu', 'ort-node/cuda'].map((p) => maxBatchFor('auto', p))).toEqual([4096, 4096, 4096, 4096, 4096]);
    expect([maxBatchFor(1024, 'ort-node/cpu'), maxBatchFor(64, 'ort-node/webgpu')]).toEqual([1024, 64]);
  });
});

describe('vigil run banner', () => {
  it('says when the provider that resolved runs in a worker thread', async () => {
    const { banner } = await import('../../runtime/cli/run.ts');
    const { parseConfig } = await import('../../runtime/config/load.ts');
    const cfg = parseConfig({ model: 'models/x', broker: { url: 'mqtt://127.0.0.1:1883' }, source: { topics: ['s/+/data'] } });
    const handle = (provider: string) => ({ card: () => card, provider: () => provider, providerFailures: [] }) as unknown as Parameters<typeof banner>[1];
    expect(banner(cfg, handle('ort-node/webgpu'))).toMatch(/ {2}provider {3}ort-node\/webgpu in a worker thread\n/);
    expect(banner(cfg, handle('ort-node/cpu'))).toMatch(/ {2}provider {3}ort-node\/cpu\n/);
    expect(banner(parseConfig({ ...cfg, inference: { ...cfg.inference, worker: false } }), handle('ort-node/webgpu'))).toMatch(/ {2}provider {3}ort-node\/webgpu\n/);
    // Whether alerts are retained is said (a re-probe read the banner and could not tell).
    expect(banner(cfg, handle('ort-node/cpu'))).toMatch(/ {2}alerts {5}vigil\/alerts\/\{sensor\} \(QoS 1\)\n/);
    expect(banner(parseConfig({ ...cfg, alerts: { ...cfg.alerts, retain: true } }), handle('ort-node/cpu'))).toMatch(/ {2}alerts {5}vigil\/alerts\/\{sensor\} \(QoS 1, open\/close retained\)\n/);
    // Which gateway this is, its status topic, and {gateway} filled in where alerts go (a probe read it unfilled).
    const gw = parseConfig({ ...cfg, gateway: { id: 'gw-7' }, alerts: { ...cfg.alerts, topic: 'p/{gateway}/alerts/{sensor}' } });
    expect(banner(gw, handle('ort-node/cpu'))).toMatch(/ {2}gateway {4}gw-7 {2}status vigil\/status\/gw-7 \(retained online\/offline\)\n {2}alerts {5}p\/gw-7\/alerts\/\{sensor\} \(QoS 1\)\n/);
    // Learning on the gateway, when on, is said with its schedule and reservoir (a probe found no word of it).
    expect(banner(cfg, handle('ort-node/cpu'))).not.toMatch(/ {2}adapt /);
    // The reservoir file as it is on disk, {name} filled in with the model's (it read 'vigil-reservoir-{name}.json').
    expect(banner(parseConfig({ ...cfg, adapt: { enabled: true } }), handle('ort-node/cpu'))).toContain(`its reservoir vigil-reservoir-${card.name}.json (`);
    expect(banner(parseConfig({ ...cfg, adapt: { enabled: true } }), handle('ort-node/cpu'))).toMatch(/ {2}adapt {6}on: at most every 6 h once 500 new windows are in its reservoir vigil-reservoir-\w+\.json \(decisions logged as 'adaptation \.\.\.', \/health adaptation; docs\/adapt\.md\)\n/);
  });
});
