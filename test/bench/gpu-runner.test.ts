/**
 * The GPU bench path without a GPU: the plain-JS runner on a tiny model (webgpu probed and, here, failing with
 * its reason; cpu timed), its gpu.json through the report's schema, and the report's refusal to pass a run
 * without WebGPU numbers off as a GPU result. The GPU-only parts of the report (speed-up, parity notes) are
 * checked on a copy whose webgpu rows are derived from the cpu ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGpuRun, shortReason, toBenchResult, webgpuPointCount, type GpuRun } from '../../bench/gpu/gpu-result.ts';
import { main as report } from '../../bench/gpu/report.ts';
import { denseChainOnnx, randomDenseLayers } from '@vigil/fixtures/tiny-model.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-gpu-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runRunner(extra: string[]): { status: number | null; stderr: string; run?: GpuRun } {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(process.execPath, ['bench/gpu/run-gpu.mjs', '--models', join(dir, 'models'), '--out', out, ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, run: r.status === 0 ? parseGpuRun(readFileSync(join(out, 'gpu.json'), 'utf8'), 'gpu.json') : undefined };
}

describe('bench/gpu/run-gpu.mjs', () => {
  const W = 16;
  const C = 2;
  const onnx = denseChainOnnx(W, C, randomDenseLayers(W, C, [8], 3));
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  spawnSync('mkdir', ['-p', join(dir, 'models')]);
  writeFileSync(join(dir, 'models', 'tiny.onnx'), onnx);
  const model = { name: 'tiny', description: 'tiny dense AE', file: 'tiny.onnx', window: W, channels: C, inputName: 'input', outputName: 'reconstruction', sha256, training: { epochs: 0, seed: 3, backend: 'none', valLoss: null, seconds: 0 } };
  writeFileSync(join(dir, 'models', 'manifest.json'), JSON.stringify({ format: 'vigil-gpu-models', version: 1, models: [model] }));

  it('times the cpu EP at every batch size and records why webgpu did not run', () => {
    const { status, stderr, run } = runRunner(['--providers', 'webgpu,cpu', '--batches', '1,4,32', '--point-seconds', '0.01', '--min-rounds', '2']);
    expect(status, stderr).toBe(0);
    const m = run!.models[0];
    expect(m.sessions.cpu.ok).toBe(true);
    const cpu = m.points.filter((p) => p.provider === 'cpu' && 'windowsPerSec' in p);
    expect(cpu.map((p) => p.batch)).toEqual([1, 4, 32]);
    for (const p of cpu) expect('windowsPerSec' in p && p.windowsPerSec > 0 && p.samples >= 2).toBe(true);
    if (m.sessions.webgpu.ok) {
      // A machine with a working WebGPU adapter: then both providers are timed and agree.
      expect(webgpuPointCount(run!)).toBe(3);
      for (const q of m.parity) expect(q.maxAbsDiff).toBeLessThan(1e-3);
    } else {
      expect(shortReason(m.sessions.webgpu.error!)).toMatch(/\w/);
      expect(webgpuPointCount(run!)).toBe(0);
      expect(m.parity).toEqual([]);
    }
    expect(run!.complete).toBe(true);
  });

  it('probes webgpu even when only cpu is timed, and the report keeps such a run a dry run', async () => {
    const { status, run } = runRunner(['--providers', 'cpu', '--batches', '2', '--point-seconds', '0.01', '--min-rounds', '1']);
    expect(status).toBe(0);
    expect(run!.models[0].sessions.webgpu.timed).toBe(false);
    const r = toBenchResult(run!, 'gpu-dryrun-cpu');
    expect(r.title).toMatch(/dry run/);
    expect(r.figures.map((f) => f.id)).toEqual(['tiny-throughput']);
    const file = join(dir, 'cpu-only.json');
    writeFileSync(file, JSON.stringify(run));
    await expect(report([file, '--name', 'gpu', '--dir', dir])).rejects.toThrow(/no WebGPU measurement/);
  });

  it('rejects bad options and a corrupt manifest with what was expected', () => {
    expect(runRunner(['--batches', '0']).stderr).toMatch(/--batches must be positive integers/);
    expect(runRunner(['--providers', 'tpu']).stderr).toMatch(/--providers must list some of webgpu, cpu/);
    writeFileSync(join(dir, 'models', 'tiny.onnx'), onnx.subarray(0, 10));
    try {
      expect(runRunner(['--providers', 'cpu']).stderr).toMatch(/sha256 .* but the manifest says/);
    } finally {
      writeFileSync(join(dir, 'models', 'tiny.onnx'), onnx);
    }
  });
});

describe('bench/gpu/gpu-result.ts', () => {
  it('rejects a file that is not a runner output', () => {
    expect(() => parseGpuRun('{"format":"other"}', 'x.json')).toThrow(/x.json: not a vigil-gpu-bench v1 file: format/);
    expect(() => parseGpuRun('nope', 'y.json')).toThrow(/y.json: not JSON/);
  });

  it('with webgpu rows: names the GPU, plots the speed-up and says where the GPU starts to win', () => {
    const batches = [1, 64, 4096];
    const timed = (provider: string, batch: number, wps: number) => ({ provider, batch, msPerRun: (batch / wps) * 1000, windowsPerSec: wps, samples: 5, runsPerSample: 1, minMs: 1, maxMs: 1 });
    const run = parseGpuRun(JSON.stringify({
      format: 'vigil-gpu-bench', version: 1, startedAt: '2026-01-01T00:00:00Z', seconds: 10, complete: true,
      device: { hostname: 'h', os: 'linux', cpu: 'Xeon', cores: 16, memGiB: 128, node: 'v20', onnxruntime: '1.30.0', gpus: [{ name: 'NVIDIA H100', driver: '550', memory: '80 GiB', computeCap: '9.0' }], nvidiaSmi: 'table', vulkanIcd: '/icd.json', vulkanLoader: '/lib/libvulkan.so.1', loadAverage: [0, 0, 0] },
      options: { providers: ['webgpu', 'cpu'], batches, cpuThreads: 'onnxruntime default' },
      models: [{
        name: 'conv', description: 'conv AE', sha256: 'x', window: 64, channels: 8, sessions: { webgpu: { ok: true, createMs: 1, timed: true }, cpu: { ok: true, createMs: 1, timed: true } },
        points: [timed('cpu', 1, 20000), timed('webgpu', 1, 500), timed('cpu', 64, 20000), timed('webgpu', 64, 30000), timed('cpu', 4096, 24000), timed('webgpu', 4096, 300000)],
        parity: batches.map((batch) => ({ provider: 'webgpu', batch, maxAbsDiff: 2e-6, maxAbsOutput: 3 })),
      }],
      skipped: [],
    }), 'synthetic');
    const r = toBenchResult(run, 'gpu');
    expect(r.machine.accelerator).toMatch(/^NVIDIA H100 .* via ONNX Runtime 1.30.0 WebGPU EP$/);
    const speed = r.figures.find((f) => f.id === 'speedup')!;
    expect(speed.series[0].points).toEqual([[1, 0.025], [64, 1.5], [4096, 12.5]]);
    expect(r.notes!.join('\n')).toMatch(/conv: WebGPU faster than CPU from batch 64; best 13x at batch 4096; 40x slower at batch 1\. Outputs agree with the CPU EP to max \|diff\| 2\.0e-6/);
    expect(r.notes!.join('\n')).not.toMatch(/Dry run/);
  });
});
