/**
 * Training speed, side by side: the conv AE (8 channels x 64 steps) and the dense AE (64-128-32-128-64) trained
 * on the same windows with the same batch size, learning rate and epochs, in tfjs on every backend that loads
 * and in PyTorch (bench/train_torch.py; skipped with a note when python3-torch is missing).
 * Prints seconds/epoch, final validation loss and the ratios to PyTorch; saves bench/results/train.json.
 * Run: node bin/run-ts.mjs bench/train.ts [--epochs 8] [--batch 256] [--windows 8192]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyScaler, fitScaler, slidingWindows } from '@vigil/runtime';
import { selectBackend, TRAIN_BACKENDS } from '../train/backend.ts';
import { buildSpec, type ArchOptions } from '../train/models/architectures.ts';
import { Autoencoder } from '../train/models/autoencoder.ts';
import { fit } from '../train/fit.ts';
import { pumpSeries } from '../test/train/pump.ts';
import { machineInfo, type BenchResult } from './lib/result.ts';
import { median } from './lib/stats.ts';
import { cliArg } from './lib/child.ts';

const arg = (name: string, def: number) => Number(cliArg(name, String(def)));
const EPOCHS = arg('epochs', 8);
const BATCH = arg('batch', 256);
const NTRAIN = arg('windows', 8192);
const NVAL = 1024;
const LR = 1e-3;
const SEED = 1;

interface Case { name: string; arch: Pick<ArchOptions, 'arch' | 'window' | 'channels' | 'hidden' | 'code' | 'kernel'>; data: Float32Array }

function windows(channels: number[], w: number): Float32Array {
  const rows = NTRAIN + NVAL + w - 1;
  const s = pumpSeries(rows, 7);
  const sel = new Float32Array(rows * channels.length);
  for (let r = 0; r < rows; r++) channels.forEach((c, j) => (sel[r * channels.length + j] = s.series.data[r * 8 + c]));
  const scaled = applyScaler(fitScaler('standard', sel, channels.length), sel);
  return slidingWindows(scaled, channels.length, w, 1).data;
}

const cases: Case[] = [
  { name: 'conv AE 8ch x 64 (conv 8-16-4, convT 4-16-8, k5 s2)', arch: { arch: 'conv', window: 64, channels: 8, hidden: [16], code: 4, kernel: 5 }, data: windows([0, 1, 2, 3, 4, 5, 6, 7], 64) },
  { name: 'dense AE 64-128-32-128-64', arch: { arch: 'dense', window: 64, channels: 1, hidden: [128], code: 32, kernel: 5 }, data: windows([4], 64) },
];

const started = new Date();
const rows: Record<string, unknown>[] = [];
const notes: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-'));

// PyTorch first, on an idle process, so neither side warms the other's caches.
const torchResults: Record<string, { secondsPerEpoch: number; cpuSecondsPerEpoch: number; valLoss: number; framework: string; threads: number }> = {};
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
if (!python) notes.push('PyTorch skipped: no python3 with torch (apt-get install -y python3-torch)');
for (const c of cases) {
  const per = c.arch.window * c.arch.channels;
  if (!python) break;
  writeFileSync(join(tmp, 'train.f32'), c.data.subarray(0, NTRAIN * per));
  writeFileSync(join(tmp, 'val.f32'), c.data.subarray(NTRAIN * per, (NTRAIN + NVAL) * per));
  const cfg = { ...c.arch, train: join(tmp, 'train.f32'), val: join(tmp, 'val.f32'), epochs: EPOCHS, batch: BATCH, lr: LR, seed: SEED };
  writeFileSync(join(tmp, 'cfg.json'), JSON.stringify(cfg));
  const r = spawnSync(python, [new URL('./train_torch.py', import.meta.url).pathname, join(tmp, 'cfg.json')], { encoding: 'utf8' });
  if (r.status !== 0) {
    notes.push(`PyTorch failed on ${c.name}: ${r.stderr.trim().split('\n').pop()}`);
    continue;
  }
  const t = (torchResults[c.name] = JSON.parse(r.stdout.trim().split('\n').pop()!));
  rows.push({ model: c.name, framework: t.framework, threads: t.threads, secondsPerEpoch: +t.secondsPerEpoch.toFixed(3), cpuSecondsPerEpoch: +t.cpuSecondsPerEpoch.toFixed(3), windowsPerSecond: Math.round(NTRAIN / t.secondsPerEpoch), valLoss: +t.valLoss.toFixed(4) });
}

for (const backend of TRAIN_BACKENDS) {
  let choice;
  try {
    choice = await selectBackend(backend);
  } catch (err) {
    notes.push(`tfjs ${backend} skipped: ${(err as Error).message.split('\n').pop()?.trim()}`);
    continue;
  }
  for (const c of cases) {
    // The plain-JS cpu backend is ~50x slower on conv: time it on fewer windows and one epoch, reported per window.
    const slow = backend === 'cpu' && c.arch.arch === 'conv';
    const n = slow ? 512 : NTRAIN;
    const epochs = slow ? 1 : EPOCHS;
    const per = c.arch.window * c.arch.channels;
    const spec = buildSpec({ ...c.arch, base: 'dense', loss: 'mse', noise: { kind: 'gaussian', level: 0 }, l1: 0, beta: 0 });
    const m = new Autoencoder(spec, SEED);
    const res = await fit(m, { data: c.data.subarray(0, n * per), count: n }, { data: c.data.subarray(NTRAIN * per, (NTRAIN + NVAL) * per), count: NVAL }, { epochs, batchSize: BATCH, learningRate: LR, patience: 1e9, seed: SEED });
    m.dispose();
    const secondsPerEpoch = (median(res.history.map((h) => h.stepSeconds)) * NTRAIN) / n;
    const cpuSecondsPerEpoch = (median(res.history.map((h) => h.stepCpuSeconds)) * NTRAIN) / n;
    const valLoss = res.history[res.history.length - 1].valLoss;
    const t = torchResults[c.name];
    rows.push({
      model: c.name, framework: `tfjs ${choice.description}`, threads: 1, secondsPerEpoch: +secondsPerEpoch.toFixed(3), cpuSecondsPerEpoch: +cpuSecondsPerEpoch.toFixed(3), windowsPerSecond: Math.round(NTRAIN / secondsPerEpoch),
      valLoss: slow ? null : +valLoss.toFixed(4),
      timeRatioVsTorch: t ? +(secondsPerEpoch / t.secondsPerEpoch).toFixed(2) : null,
      cpuTimeRatioVsTorch: t ? +(cpuSecondsPerEpoch / t.cpuSecondsPerEpoch).toFixed(2) : null,
      valLossRatioVsTorch: t && !slow ? +(valLoss / t.valLoss).toFixed(3) : null,
      ...(slow ? { note: `timed on ${n} windows, 1 epoch, scaled to ${NTRAIN}` } : {}),
    });
  }
}

console.log(`training ${NTRAIN} windows (+${NVAL} validation), batch ${BATCH}, Adam lr ${LR}, ${EPOCHS} epochs; seconds/epoch is the median epoch (gradient steps only, both sides); cpu = process CPU time, robust when the machine is shared`);
console.table(rows);
const frameworks = [...new Set(rows.map((r) => String(r.framework)))];
const ratios = rows.filter((r) => r.cpuTimeRatioVsTorch != null).map((r) => `${r.model} on ${r.framework}: ${r.cpuTimeRatioVsTorch}x PyTorch CPU time per epoch (${r.timeRatioVsTorch}x wall)${r.valLossRatioVsTorch != null ? `, final val loss ${r.valLossRatioVsTorch}x PyTorch's` : ''}`);
for (const r of ratios) notes.push(r);
for (const n of notes) console.log(`note: ${n}`);
const result: BenchResult = {
  name: 'train',
  title: 'Training speed: tfjs backends vs PyTorch, same windows, architecture, batch and epochs',
  machine: machineInfo(),
  startedAt: started.toISOString(),
  seconds: (Date.now() - started.getTime()) / 1000,
  figures: [{
    id: 'train-cpu-seconds-per-epoch',
    title: `CPU seconds per epoch (${NTRAIN} windows, batch ${BATCH})`,
    kind: 'bar',
    xLabel: 'model',
    yLabel: 'CPU s / epoch',
    logY: true,
    categories: cases.map((c) => c.name),
    series: frameworks.map((f) => ({ name: f, points: rows.filter((r) => r.framework === f).map((r) => [cases.findIndex((c) => c.name === r.model), Number(r.cpuSecondsPerEpoch)] as [number, number]) })),
    caption: 'Lower is better. Target (issue 10): tfjs within 3x of PyTorch on the same machine.',
  }],
  tables: [{ title: 'per model and framework', columns: Object.keys(rows[rows.length - 1] ?? {}), rows: rows.map((r) => Object.keys(rows[rows.length - 1] ?? {}).map((k) => (r[k] == null ? '' : (r[k] as string | number)))) }],
  notes,
  data: { epochs: EPOCHS, batch: BATCH, trainWindows: NTRAIN, valWindows: NVAL, learningRate: LR, rows },
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/train.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
