/**
 * The GPU bench's stage half without a GPU: bench/gpu/stage.ts times vigil's inference stage against bare ORT on a
 * tiny model (webgpu probed and, here, recorded as failed with its reason; cpu timed), its esbuild bundle runs on
 * plain node as the GPU machine runs it, the result's notes say where WebGPU wins, and the report never files a
 * stage result without WebGPU rows as the GPU one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { bundleStage } from '../../bench/gpu/pack.ts';
import { main as stage, stageResult } from '../../bench/gpu/stage.ts';
import { main as report } from '../../bench/gpu/report.ts';
import type { StageRow } from '../../bench/lib/stage-vs-bare.ts';
import { randomDenseLayers, tinyModel } from '@vigil/fixtures/tiny-model.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-gpu-stage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 16;
const C = 2;
const models = join(dir, 'models');
mkdirSync(models);
const { card, onnx } = tinyModel({ window: W, channels: ['a', 'b'], layers: randomDenseLayers(W, C, [8], 3), span: 4 });
writeFileSync(join(models, 'tiny.onnx'), onnx);
writeFileSync(join(models, 'tiny.json'), JSON.stringify(card));
writeFileSync(join(models, 'manifest.json'), JSON.stringify({ format: 'vigil-gpu-models', version: 1, models: [{ name: 'tiny', description: 'tiny dense AE', file: 'tiny.onnx', window: W, channels: C, inputName: 'input', outputName: 'reconstruction', sha256: card.onnx.sha256, training: { epochs: 0, seed: 3, backend: 'none', valLoss: null, seconds: 0 } }] }));

const ARGS = ['--models', models, '--model', 'tiny', '--batches', '1,8', '--point-seconds', '0.01', '--worker', 'off'];

function row(provider: string, batch: number, stageWps: number, ratio = 1.05): StageRow {
  return { provider, batch, bareMs: 1, stageMs: 1, ratio, bareCpuMs: 1, stageCpuMs: 1, cpuRatio: 1, innerRatio: 1.02, mainBusy: 0.5, split: { assemble: 0.01, infer: 0.95, score: 0.04 }, bareWps: stageWps * ratio, stageWps };
}

describe('bench/gpu/stage.ts', () => {
  it('times the stage and bare ORT on cpu at every batch size and records why webgpu did not run', async () => {
    const out = join(dir, 'out-src');
    expect(await stage([...ARGS, '--out', out, '--providers', 'webgpu,cpu'])).toBe(0);
    const r = JSON.parse(readFileSync(join(out, 'stage.json'), 'utf8'));
    expect(r.name).toBe('gpu-stage');
    const cpu = r.data.rows.filter((x: StageRow) => x.provider === 'cpu');
    expect(cpu.map((x: StageRow) => x.batch)).toEqual([1, 8]);
    for (const x of cpu) expect(x.stageWps > 0 && x.bareWps > 0 && x.ratio > 0 && x.innerRatio >= 1).toBe(true);
    const gpuRows = r.data.rows.filter((x: StageRow) => x.provider === 'webgpu');
    if (gpuRows.length === 0) {
      expect(r.data.failures).toEqual([{ provider: 'webgpu', reason: expect.stringMatching(/\w/) }]);
      expect(r.notes.join('\n')).toMatch(/webgpu could not be measured: /);
    }
  });

  it('rejects a model the manifest does not list, naming those it has, and fails when no provider could run', async () => {
    await expect(stage([...ARGS, '--model', 'conv', '--out', join(dir, 'x')])).rejects.toThrow(/no model 'conv' in .*manifest.json \(has tiny\)/);
    await expect(stage([...ARGS, '--out', join(dir, 'y'), '--providers', 'tpu'])).rejects.toThrow(/no provider could be measured: tpu: \w/);
  });

  it('bundles into one file that plain node runs with only onnxruntime-node beside it', async () => {
    // Inside the checkout, as .gpu/ is, so the bundle finds onnxruntime-node in node_modules as it does there.
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    const bundleDir = mkdtempSync(join(ROOT, 'out', 'gpu-stage-bundle-'));
    onTestFinished(() => rmSync(bundleDir, { recursive: true, force: true }));
    const bundle = await bundleStage(ROOT, bundleDir);
    const out = join(dir, 'out-bundle');
    // Both backends: the worker one starts ort-worker.mjs from beside the bundle.
    const r = spawnSync(process.execPath, [bundle, ...ARGS, '--worker', 'both', '--out', out, '--providers', 'cpu'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'stage.json'), 'utf8')).data.rows as StageRow[];
    expect(rows.map((x) => `${x.provider} ${x.batch}`)).toEqual(['cpu 1', 'cpu 8', 'cpu+worker 1', 'cpu+worker 8']);
    for (const x of rows) expect(x.mainBusy > 0 && x.mainBusy <= 1).toBe(true);
  });

  it('says from which batch WebGPU beats the CPU through the stage, and the worst overhead per provider', () => {
    const rows = [row('webgpu', 1, 500), row('webgpu', 256, 80_000, 1.16), row('webgpu', 4096, 240_000, 1.4), row('cpu', 1, 17_000), row('cpu', 256, 36_000), row('cpu', 4096, 30_000)];
    const r = stageResult('gpu-stage', rows, [], { model: 'conv', description: 'conv AE', threads: 0, started: Date.now() });
    const notes = r.notes!.join('\n');
    expect(notes).toMatch(/WebGPU \(webgpu\) through the stage: 8\.0x the CPU at batch 4096; faster than the CPU from batch 256\./);
    expect(notes).toMatch(/webgpu: stage \/ bare ORT 1\.05, 1\.16, 1\.40 \(batches 1, 256, 4096\); worst 1\.40x at batch 4096\./);
    expect(r.tables![0].rows.find((x) => x[0] === 'webgpu' && x[1] === 4096)!.slice(7)).toEqual(['50 (0.50)', 8]);
  });

  it('the report files a stage result without WebGPU rows as a dry run, never as gpu-stage', async () => {
    const out = join(dir, 'out-src');
    const runner = join(out, 'gpu.json');
    // The report reads the runner's gpu.json first: a cpu-only runner file (dry run) beside the stage result.
    const r = spawnSync(process.execPath, ['bench/gpu/run-gpu.mjs', '--models', models, '--out', out, '--providers', 'cpu', '--batches', '2', '--point-seconds', '0.01', '--min-rounds', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const results = join(dir, 'results');
    const stageJson = JSON.parse(readFileSync(join(out, 'stage.json'), 'utf8'));
    stageJson.data.rows = stageJson.data.rows.filter((x: StageRow) => x.provider !== 'webgpu');
    writeFileSync(join(out, 'stage.json'), JSON.stringify(stageJson));
    expect(await report([runner, '--dir', results, '--no-summary'])).toBe(0);
    expect(existsSync(join(results, 'gpu-stage.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(results, 'gpu-stage-dryrun.json'), 'utf8')).name).toBe('gpu-stage-dryrun');
    expect(existsSync(join(results, 'stage', 'README.md'))).toBe(true);
  });
});
