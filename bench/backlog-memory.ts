/**
 * Memory and CPU of one sensor's backlog arriving in one tick (issue 14.1: a backlog should cost readings, not
 * windows x W). Each run in a fresh process: a 64 x 8 dense model (test fixture, span 8) on ORT CPU, 1 thread, the
 * whole pipeline (createPipeline: window -> micro-batch -> inferBatches -> thresholds -> alerts) with the shipped
 * batch defaults except `maxPendingBytes` (1 GiB by default, so no window is shed and before/after hold the same
 * windows; `--bound default` keeps the shipped 32 MiB). N + 63 readings are pushed synchronously, so every window is
 * cut before the first inference call returns. Reported: RSS, V8 heap and array-buffer memory right after the last
 * window was cut (above the settled pre-backlog values), the peak RSS of the backlog (VmHWM, reset before), CPU
 * (user + system) and wall time until the last verdict, windows scored and shed.
 * `--per-window` instead holds 100,000 windows of one sensor cut by the window stage alone, as copies and as views
 * (what the pipeline waits on), and prints what each costs after two full GCs. `--fake-model` replaces ORT by a
 * model that answers zeros after a setImmediate hop (as onnxruntime-node does), so CPU is the pipeline's own.
 *
 *   node bin/run-ts.mjs bench/backlog-memory.ts [--windows 5000,20000] [--reps 3] [--bound default|BYTES] [--fake-model]
 *     [--per-window]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { from } from 'rxjs';
import type { InferenceSession } from '../runtime/inference/backend.ts';
import { backendFor } from '../runtime/inference/resolve.ts';
import { ModelRef } from '../runtime/inference/model-ref.ts';
import { createCounters } from '../runtime/stream/counters.ts';
import { createPipeline } from '../runtime/stream/pipeline.ts';
import type { Reading } from '../runtime/stream/types.ts';
import { windowBySensor } from '../runtime/stream/window-by-sensor.ts';
import { StaticThreshold } from '../runtime/thresholds/static.ts';
import { mulberry32, randomDenseLayers, tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { cliArg, gcChildOutcome } from './lib/child.ts';
import { median } from './lib/stats.ts';

const W = 64;
const C = 8;

interface Outcome {
  windows: number;
  bound: string;
  /** MB above the settled values before the backlog, right after the last window was cut. */
  cutRssMB: number;
  cutHeapMB: number;
  cutArrayBuffersMB: number;
  /** MB: peak RSS during the backlog above the RSS before it. */
  peakRssMB: number;
  cpuMs: number;
  wallMs: number;
  scored: number;
  shed: number;
}

function status(): { rss: number; hwm: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)![1]) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function readings(n: number, sensor: string, seed: number): Reading[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, r) => {
    const values: Record<string, number> = {};
    for (let c = 0; c < C; c++) values[`ch${c}`] = rand();
    return { sensor, ts: 1_000_000 + r * 1000, values, receivedAt: r };
  });
}

/** A model that costs nothing: zeros after one event-loop hop. */
function fakeSession(maxBatch: number): InferenceSession {
  const zeros = new Float32Array(maxBatch * W * C);
  return {
    provider: 'fake',
    run: (_input, n) => new Promise((resolve) => setImmediate(() => resolve({ reconstruction: zeros.subarray(0, n * W * C), extra: {} }))),
    close: async () => {},
  };
}

async function child(windows: number, bound: string, fake: boolean): Promise<Outcome> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  const { card, onnx } = tinyModel({ window: W, channels: Array.from({ length: C }, (_, c) => `ch${c}`), layers: randomDenseLayers(W, C, [128, 32, 128], 1), span: 8 });
  const session = fake ? fakeSession(16_384) : await backendFor('cpu').open({ onnx, inputName: 'input', outputName: 'reconstruction', window: W, channels: C, threads: 1, spinning: false });
  const ref = new ModelRef(card, session);
  const run = async (rs: Reading[], onCut?: () => void) => {
    const counters = createCounters();
    const p = createPipeline({ model: ref, thresholds: () => new StaticThreshold(1e9), infer: bound === 'default' ? {} : { maxPendingBytes: Number(bound) }, counters });
    let last = 0;
    await new Promise<void>((done, fail) => {
      from(rs).pipe(p.detect).subscribe({ next: () => void last++, error: fail, complete: done });
      // from() emits synchronously: every window is cut (and waiting) by now.
      onCut?.();
    });
    return counters;
  };
  // Warm up: the same pipeline at every batch size the backlog will use, on another sensor.
  await run(readings(5000 + W - 1, 'warm', 3));
  const backlog = readings(windows + W - 1, 'gw-1', 5);
  gc();
  gc();
  await new Promise((r) => setTimeout(r, 200));
  const m0 = process.memoryUsage();
  writeFileSync('/proc/self/clear_refs', '5'); // reset VmHWM to the current RSS
  const rss0 = status().rss;
  let cut = { rss: 0, heap: 0, ab: 0 };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const counters = await run(backlog, () => {
    const m = process.memoryUsage();
    cut = { rss: m.rss / 2 ** 20 - rss0, heap: (m.heapUsed - m0.heapUsed) / 2 ** 20, ab: (m.arrayBuffers - m0.arrayBuffers) / 2 ** 20 };
  });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const peak = status().hwm - rss0;
  await ref.close();
  const r1 = (x: number) => +x.toFixed(1);
  return { windows, bound, cutRssMB: r1(cut.rss), cutHeapMB: r1(cut.heap), cutArrayBuffersMB: r1(cut.ab), peakRssMB: r1(peak), cpuMs: Math.round((c.user + c.system) / 1000), wallMs: Math.round(wallMs), scored: counters.scored, shed: counters.droppedQueueFull };
}

/** RSS, V8 heap and array buffers per held window of the window stage alone, in this (child) process. */
function perWindow(views: boolean): string {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const { card } = tinyModel({ window: W, channels: Array.from({ length: C }, (_, c) => `ch${c}`) });
  const rs = readings(100_000 + W - 1, 'gw-1', 5).map((r) => ({ ...r, ts: r.ts + 1.7e12, receivedAt: r.ts + 1.7e12 }));
  gc();
  gc();
  const m0 = process.memoryUsage();
  const held: unknown[] = [];
  from(rs).pipe(windowBySensor(card, { views })).subscribe((w) => held.push(w));
  gc();
  gc();
  const m = process.memoryUsage();
  const per = (k: 'heapUsed' | 'arrayBuffers' | 'rss') => ((m[k] - m0[k]) / held.length).toFixed(0);
  return `${views ? 'views' : 'copies'}: ${held.length} windows of ${W} x ${C} held, per window: RSS ${per('rss')} B, V8 heap ${per('heapUsed')} B, array buffers ${per('arrayBuffers')} B`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--per-window')) {
    for (const mode of ['copies', 'views']) {
      const p = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url)), fileURLToPath(import.meta.url), '--child-per-window', mode], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`child ${mode} failed: ${p.stderr}`);
      console.log(p.stdout.trim());
    }
    return;
  }
  const sizes = cliArg('windows', '5000,20000').split(',').map(Number);
  const reps = Number(cliArg('reps', '3'));
  const bound = cliArg('bound', String(2 ** 30));
  const fake = process.argv.includes('--fake-model');
  const runs: Outcome[] = [];
  for (let r = 0; r < reps; r++) {
    for (const n of sizes) {
      const o = gcChildOutcome<Outcome>(fileURLToPath(import.meta.url), ['--child', String(n), bound, String(fake)], String(n));
      runs.push(o);
      process.stderr.write(`${JSON.stringify(o)}\n`);
    }
  }
  for (const n of sizes) {
    const mine = runs.filter((o) => o.windows === n);
    const col = (k: keyof Outcome) => {
      const xs = mine.map((o) => o[k] as number);
      return `${k} ${Math.min(...xs)}-${Math.max(...xs)} (median ${median(xs)})`;
    };
    console.log(`${n} windows, maxPendingBytes ${bound}${fake ? ', fake model' : ''}: ${(['cutRssMB', 'cutHeapMB', 'cutArrayBuffersMB', 'peakRssMB', 'cpuMs', 'wallMs', 'scored', 'shed'] as const).map(col).join('; ')}`);
  }
}

if (process.argv[2] === '--child-per-window') console.log(perWindow(process.argv[3] === 'views'));
else if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), process.argv[4], process.argv[5] === 'true').then((o) => console.log(JSON.stringify(o)));
} else await main();
