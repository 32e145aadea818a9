/**
 * ONNX Runtime's CPU memory arena and memory pattern vs RSS after a backlog: each configuration in a fresh process
 * opens the model as `vigil run` does (1 thread, no spinning), scores a 16,384-window backlog of one sensor three
 * times through `inferBatches` (maxBatch 4096, the default before `batch.maxBatch: auto`), then 2,000 batches of 8. RSS is read after
 * the backlog and after the small batches, relative to RSS before any batch (the windows are allocated before).
 * Writes bench/results/ort-arena.json; the chosen defaults are documented in docs/run.md.
 *
 *   node bin/run-ts.mjs bench/ort-arena.ts [--reps 2]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { backendFor } from '../runtime/inference/resolve.ts';
import type { SessionRequest } from '../runtime/inference/backend.ts';
import { ModelRef } from '../runtime/inference/model-ref.ts';
import type { ModelCard } from '../runtime/model/card.ts';
import { inferBatches } from '../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../runtime/stream/types.ts';
import { mulberry32, randomDenseLayers, tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { cliArg, gcChildOutcome } from './lib/child.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { median } from './lib/stats.ts';

const BACKLOG = 16384;
const MAX_BATCH = 4096;

interface Outcome {
  model: string;
  arena: string;
  pattern: string;
  /** MB above RSS before the first batch. */
  afterBacklogMB: number;
  afterSmallBatchesMB: number;
  peakMB: number;
  /** CPU µs per window of the third backlog (the first two warm up). */
  backlogCpuUs: number;
  smallBatchCpuUs: number;
}

function memory(): { rss: number; hwm: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)![1]) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function loadModel(model: string): { card: ModelCard; onnx: Uint8Array } {
  if (model === 'conv') {
    const dir = fileURLToPath(new URL('../models/', import.meta.url));
    return { card: JSON.parse(readFileSync(`${dir}machine_temperature.json`, 'utf8')) as ModelCard, onnx: readFileSync(`${dir}machine_temperature.onnx`) };
  }
  const C = 8;
  return tinyModel({ window: 64, channels: Array.from({ length: C }, (_, c) => `ch${c}`), layers: randomDenseLayers(64, C, [128, 32, 128], 1), span: 8 });
}

/** One configuration, in this (child) process. */
async function child(model: string, arena: string, pattern: string): Promise<Outcome> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  const { card, onnx } = loadModel(model);
  const W = card.window;
  const wc = W * card.channels.length;
  const req: SessionRequest = { onnx, inputName: card.onnx?.inputName ?? 'input', outputName: card.onnx?.outputName ?? 'reconstruction', window: W, channels: card.channels.length, threads: 1, spinning: false };
  if (arena !== 'default') req.cpuArena = arena === 'on';
  if (pattern !== 'default') req.memPattern = pattern === 'on';
  const ref = new ModelRef(card, await backendFor('cpu').open(req));
  const rand = mulberry32(7);
  const pool = Float32Array.from({ length: BACKLOG * wc }, () => rand() * 2 - 1);
  const windows = (n: number, sensor: string): SensorWindow[] =>
    Array.from({ length: n }, (_, i) => ({ sensor, seq: i, tsFirst: i, tsLast: i + W - 1, receivedAt: i, data: pool.subarray(i * wc, (i + 1) * wc), scaler: card.scaler }));
  const input = new Subject<SensorWindow[]>();
  let waiting: { left: number; done: () => void } | undefined;
  input.pipe(inferBatches(ref, { maxBatch: MAX_BATCH, maxPendingBytes: Number.MAX_SAFE_INTEGER })).subscribe(() => {
    if (waiting && --waiting.left === 0) waiting.done();
  });
  const feed = (ws: SensorWindow[]) => new Promise<void>((done) => ((waiting = { left: ws.length, done }), input.next(ws)));
  const cpuUs = async (ws: SensorWindow[], times: number) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < times; i++) await feed(ws);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / times / ws.length;
  };
  const small = windows(8, 's2');
  gc();
  const before = memory().rss;
  let backlogCpuUs = 0;
  for (let r = 0; r < 3; r++) backlogCpuUs = await cpuUs(windows(BACKLOG, 's1'), 1);
  gc();
  const afterBacklog = memory();
  const smallBatchCpuUs = await cpuUs(small, 2000);
  gc();
  const afterSmall = memory().rss;
  await ref.close();
  const mb = (x: number) => +x.toFixed(1);
  return { model, arena, pattern, afterBacklogMB: mb(afterBacklog.rss - before), afterSmallBatchesMB: mb(afterSmall - before), peakMB: mb(afterBacklog.hwm), backlogCpuUs: +backlogCpuUs.toFixed(2), smallBatchCpuUs: +smallBatchCpuUs.toFixed(2) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const reps = Number(cliArg('reps', '2'));
  const configs = [['on', 'default'], ['off', 'default'], ['on', 'off']];
  const runs: Outcome[] = [];
  for (let r = 0; r < reps; r++) {
    for (const model of ['conv', 'dense']) {
      for (const [arena, pattern] of configs) {
        const o = gcChildOutcome<Outcome>(fileURLToPath(import.meta.url), ['--child', model, arena, pattern], `${model} ${arena} ${pattern}`);
        runs.push(o);
        process.stderr.write(`${JSON.stringify(o)}\n`);
      }
    }
  }
  const rows = ['conv', 'dense'].flatMap((model) =>
    configs.map(([arena, pattern]) => {
      const mine = runs.filter((o) => o.model === model && o.arena === arena && o.pattern === pattern);
      const range = (k: keyof Outcome) => {
        const xs = mine.map((o) => o[k] as number);
        return `${Math.min(...xs)}-${Math.max(...xs)} (median ${median(xs)})`;
      };
      return [model, arena, pattern, range('afterBacklogMB'), range('afterSmallBatchesMB'), range('peakMB'), range('backlogCpuUs'), range('smallBatchCpuUs')];
    }),
  );
  writeBenchResult({
    name: 'ort-arena',
    title: "ONNX Runtime's CPU arena and memory pattern: RSS after a backlog vs CPU per window",
    machine: machineInfo(),
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    figures: [],
    tables: [{ title: `RSS above the pre-batch RSS, ${reps} runs each (min-max)`, columns: ['model', 'cpu arena', 'memory pattern', 'after 3 x 16k backlog MB', 'after 2,000 batches of 8 MB', 'peak RSS MB', 'backlog CPU µs/window', 'batch-of-8 CPU µs/window'], rows }],
    notes: [
      `Each configuration in a fresh process through the tsx loader (absolute RSS includes it; compare the deltas). conv: models/machine_temperature (window 32 x 1); dense: 64 x 8 -> 128-32-128. Backlog: ${BACKLOG} windows of one sensor, maxBatch ${MAX_BATCH}.`,
    ],
    data: runs,
  });
}

if (process.argv[2] === '--child') {
  const [model, arena, pattern] = process.argv.slice(3);
  process.stdout.write(`${JSON.stringify(await child(model, arena, pattern))}\n`);
} else {
  await main();
}
