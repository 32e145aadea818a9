/**
 * The largest batch on the CPU provider (`batch.maxBatch`, `auto` in runtime/inference/max-batch.ts): RSS and CPU per
 * window after a backlog scored through `inferBatches` at each largest batch. Each configuration runs in a fresh
 * process, opens the model as `vigil run` does (ort-node cpu, 1 thread, no spinning), scores a backlog of 512 sensors
 * three times and reads RSS relative to before the first batch (ONNX Runtime's arena keeps the largest batch's
 * activations) and the CPU per window of the third pass. Models: the benches' pump model (conv, window 64 x 8) and
 * the same with `--hidden 256,256`. Writes bench/results/max-batch.json.
 *
 *   node bin/run-ts.mjs bench/max-batch.ts [--reps 3]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { backendFor } from '../runtime/inference/resolve.ts';
import { ModelRef } from '../runtime/inference/model-ref.ts';
import { loadModel } from '../runtime/model/load.ts';
import { inferBatches } from '../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../runtime/stream/types.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';
import { cliArg, gcChildOutcome } from './lib/child.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { median } from './lib/stats.ts';
import { benchModel, trainedModel } from './lib/vigil.ts';

const BACKLOG = 8192;
/** Sensors the backlog is spread over, in turn. */
const SENSORS = 512;
const SIZES = [64, 256, 1024, 4096];

interface Outcome {
  model: string;
  maxBatch: number;
  /** MB above RSS before the first batch, after the three passes. */
  rssMB: number;
  /** CPU µs per window of the third pass. */
  cpuUs: number;
}

const rssMB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

/** One configuration, in this (child) process. */
async function child(model: string, maxBatch: number): Promise<Outcome> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  const { card, onnx } = loadModel(model);
  const W = card.window;
  const wc = W * card.channels.length;
  const ref = new ModelRef(card, await backendFor('cpu').open({ onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: W, channels: card.channels.length, threads: 1, spinning: false }));
  const rand = mulberry32(7);
  const pool = Float32Array.from({ length: BACKLOG * wc }, () => rand() * 2 - 1);
  const input = new Subject<SensorWindow[]>();
  let waiting: { left: number; done: () => void } | undefined;
  input.pipe(inferBatches(ref, { maxBatch, maxPendingBytes: Number.MAX_SAFE_INTEGER })).subscribe(() => {
    if (waiting && --waiting.left === 0) waiting.done();
  });
  const pass = Object.assign(async (): Promise<number> => {
    // Sensors take at most one block of input offsets each into a batch (runtime/scoring/input-blocks.ts): a batch
    // grows past it only with many sensors behind, as after a broker's redelivery to a gateway of hundreds.
    const ws: SensorWindow[] = Array.from({ length: BACKLOG }, (_, i) => {
      const seq = pass.count * BACKLOG / SENSORS + Math.floor(i / SENSORS);
      return { sensor: `s${i % SENSORS}`, seq, tsFirst: seq, tsLast: seq + W - 1, receivedAt: seq, data: pool.subarray(i * wc, (i + 1) * wc), scaler: card.scaler };
    });
    pass.count++;
    const c0 = process.cpuUsage();
    await new Promise<void>((done) => ((waiting = { left: ws.length, done }), input.next(ws)));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / BACKLOG;
  }, { count: 0 });
  gc();
  const before = rssMB();
  let cpuUs = 0;
  for (let r = 0; r < 3; r++) cpuUs = await pass();
  gc();
  const after = rssMB();
  await ref.close();
  return { model, maxBatch, rssMB: +(after - before).toFixed(1), cpuUs: +cpuUs.toFixed(1) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const reps = Number(cliArg('reps', '3'));
  const models = { 'pump conv 64 x 8': benchModel(), 'pump conv 64 x 8, hidden 256,256': trainedModel('pump64-wide', ['--window', '64', '--hidden', '256,256', '--epochs', '2', '--quiet']) };
  const runs: Outcome[] = [];
  for (let r = 0; r < reps; r++) {
    for (const [name, path] of Object.entries(models)) {
      for (const n of SIZES) {
        const o = { ...gcChildOutcome<Outcome>(fileURLToPath(import.meta.url), ['--child', path, String(n)], `${name} ${n}`), model: name };
        runs.push(o);
        process.stderr.write(`${JSON.stringify(o)}\n`);
      }
    }
  }
  const rows = Object.keys(models).flatMap((model) =>
    SIZES.map((n) => {
      const mine = runs.filter((o) => o.model === model && o.maxBatch === n);
      const range = (k: 'rssMB' | 'cpuUs') => {
        const xs = mine.map((o) => o[k]);
        return `${median(xs)} (${Math.min(...xs)}-${Math.max(...xs)})`;
      };
      return [model, n, range('rssMB'), range('cpuUs')];
    }),
  );
  writeBenchResult({
    name: 'max-batch',
    title: 'Largest batch on the CPU provider: RSS and CPU per window after a backlog',
    machine: machineInfo(),
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    figures: [],
    tables: [{ title: `median (min-max) of ${reps} runs`, columns: ['model', 'largest batch', 'RSS MB above before', 'CPU µs/window'], rows }],
    notes: [
      `Each configuration in a fresh process: ort-node cpu, 1 intra-op thread, no spinning (as vigil run opens it); a backlog of ${BACKLOG} windows of ${SENSORS} sensors in turn through inferBatches three times; RSS after them relative to before the first batch; CPU per window of the third pass. batch.maxBatch auto takes ${SIZES[1]} on the CPU providers (runtime/inference/max-batch.ts).`,
    ],
    data: runs,
  });
}

if (process.argv[2] === '--child') {
  process.stdout.write(`${JSON.stringify(await child(process.argv[3], Number(process.argv[4])))}\n`);
} else {
  await main();
}
