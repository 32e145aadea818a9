/**
 * vigil's inference stage against bare ONNX Runtime on the same model, input and provider: `inferBatches` (batch
 * assembly, the call through our session wrapper, reconstruction scoring, one ScoredWindow per window) vs
 * `session.run` on a prepared tensor. Paired, interleaved samples per batch size. Used by bench/inference.ts (this
 * machine, cpu and wasm) and bench/gpu/stage.ts (the GPU machine, webgpu and cpu).
 */
import { performance as perf } from 'node:perf_hooks';
import { Subject } from 'rxjs';
import type { ModelCard } from '../../runtime/model/card.ts';
import { backendFor } from '../../runtime/inference/resolve.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { median } from './stats.ts';

type Ort = typeof import('onnxruntime-node');
type OrtWeb = typeof import('onnxruntime-web');

/** How one comparison runs. */
export interface StageBenchOptions {
  /** ONNX Runtime CPU intra-op threads on both sides; 0 = ONNX Runtime's default. */
  threads: number;
  /** Timed seconds per batch size (paired rounds continue until then, MIN_ROUNDS..MAX_ROUNDS). */
  pointSeconds: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** vigil's worker-thread onnxruntime-node backend (config `inference.worker`) instead of the in-thread one. */
  worker?: boolean;
}

/** The model and MAX(sizes) windows of seeded input, shared by both sides. */
export interface StageFixture {
  card: ModelCard;
  onnx: Uint8Array;
  inputName: string;
  outputName: string;
  window: number;
  channels: number;
  input: Float32Array;
  windows: SensorWindow[];
  maxN: number;
}

/** Per point: paired rounds of about SAMPLE_MS each. */
const SAMPLE_MS = 20;
const MIN_ROUNDS = 5;
const MAX_ROUNDS = 200;

interface Bare {
  run(n: number): Promise<void>;
  release(): Promise<void>;
}

/** `maxN` windows of a card's shape over one seeded input buffer (values in [-1, 1), sensors s0..s999). */
export function stageFixture(card: ModelCard, onnx: Uint8Array, maxN: number, rand: () => number): StageFixture {
  const W = card.window;
  const C = card.channels.length;
  const input = Float32Array.from({ length: maxN * W * C }, () => rand() * 2 - 1);
  const windows: SensorWindow[] = Array.from({ length: maxN }, (_, i) => ({
    sensor: `s${i % 1000}`, seq: i, tsFirst: i, tsLast: i + W - 1, receivedAt: i, data: input.subarray(i * W * C, (i + 1) * W * C), scaler: card.scaler,
  }));
  const io = card.onnx as { inputName?: string; outputName?: string } | undefined;
  return { card, onnx, inputName: io?.inputName ?? 'input', outputName: io?.outputName ?? 'reconstruction', window: W, channels: C, input, windows, maxN };
}

/**
 * A bare session of the same library and options our backend uses. Like any live caller it wraps each batch's
 * data in a new Tensor per call (over a buffer prepared once), but does nothing else.
 */
async function bareSession(provider: string, fx: StageFixture, threads: number): Promise<Bare> {
  const dims = (n: number) => [n, fx.window, fx.channels];
  const slice = (n: number) => fx.input.subarray(0, n * fx.window * fx.channels);
  if (provider === 'wasm') {
    const m = (await import('onnxruntime-web')) as unknown as OrtWeb & { default?: OrtWeb };
    const ort = m.default ?? m;
    ort.env.wasm.numThreads = 1;
    const s = await ort.InferenceSession.create(fx.onnx, { executionProviders: ['wasm'] });
    return { run: async (n) => void (await s.run({ [fx.inputName]: new ort.Tensor('float32', slice(n), dims(n)) })), release: () => s.release() };
  }
  const m = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
  const ort = m.default ?? m;
  const s = await ort.InferenceSession.create(fx.onnx, { executionProviders: [provider], graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) });
  return { run: async (n) => void (await s.run({ [fx.inputName]: new ort.Tensor('float32', slice(n), dims(n)) })), release: () => s.release() };
}

/**
 * Batches per timed unit: each unit hands the stage a backlog of BACKLOG batches at once (bare ORT: BACKLOG calls
 * in a row), as a burst or a redelivered queue arrives, so a session that takes two batches at once can overlap
 * them. Times are per batch.
 */
export const BACKLOG = 4;

/** Drive `inferBatches` with batches of `n`: each run is a backlog of BACKLOG batches, done when all are emitted. */
function stageDriver(ref: ModelRef, windows: SensorWindow[], n: number) {
  const input = new Subject<SensorWindow[]>();
  let waiting: { left: number; done: () => void } | undefined;
  let sink = 0;
  let inferMs = 0;
  const parts = { assemble: 0, score: 0, infer: 0 };
  const onBatch = (b: { inferMs: number; assembleMs: number; scoreMs: number }) => {
    inferMs += b.inferMs;
    parts.infer += b.inferMs;
    parts.assemble += b.assembleMs;
    parts.score += b.scoreMs;
  };
  // The same n windows BACKLOG times over: each is completed in place again, which the stage allows.
  const backlog = Array.from({ length: BACKLOG }, () => windows.slice(0, n)).flat();
  const sub = input.pipe(inferBatches(ref, { maxBatch: n, maxPendingBytes: Number.MAX_SAFE_INTEGER, onBatch })).subscribe((w) => {
    sink += w.score;
    if (waiting && --waiting.left === 0) waiting.done();
  });
  return {
    run: () =>
      new Promise<void>((done) => {
        waiting = { left: backlog.length, done };
        input.next(backlog);
      }),
    get sink() {
      return sink;
    },
    /** Cumulative wall ms per part of the stage (reset by the caller). */
    parts,
    /** Total wall ms spent inside the model call (as seen by inferBatches). */
    get inferMs() {
      return inferMs;
    },
    stop: () => sub.unsubscribe(),
  };
}

/** Wall ms and process CPU ms (all threads, ORT's included) per call over `k` calls. */
async function sample(run: () => Promise<void>, k: number): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < k; i++) await run();
  const wall = (performance.now() - t0) / k;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / k };
}

/** Medians of one side's samples and of the per-pair ratios. */
export interface Measured {
  bareMs: number;
  stageMs: number;
  ratio: number;
  bareCpuMs: number;
  stageCpuMs: number;
  cpuRatio: number;
  /** Stage wall time / the wall time of its own model calls, within the same samples (immune to outside load). */
  innerRatio: number;
  /**
   * Share of the stage's wall time the main thread was busy (event loop utilisation): 1 when the model runs on
   * it, lower when a worker runs the model and the main thread only assembles and scores. Times the stage's ms per
   * batch, it bounds how long MQTT intake waits behind one batch.
   */
  mainBusy: number;
}

/** One provider and batch size. */
export type StageRow = Measured & { provider: string; batch: number; bareWps: number; stageWps: number; split: { assemble: number; infer: number; score: number } };

/**
 * Paired, interleaved samples (bare then stage, order alternating per round) so load from other processes on
 * the shared cores hits both alike; ratios are medians of the per-pair ratios. CPU time (process.cpuUsage) is
 * kept beside wall time: it counts the work done and is much less sensitive to other processes' load.
 */
async function measure(bare: () => Promise<void>, stage: () => Promise<void>, stageInferMs: () => number, pointSeconds: number): Promise<Measured> {
  const probe = await sample(bare, 2);
  const k = Math.max(1, Math.ceil(SAMPLE_MS / Math.max(probe.wall, 1e-3)));
  const b: { wall: number; cpu: number }[] = [];
  const st: { wall: number; cpu: number }[] = [];
  const inner: number[] = [];
  let idle = 0;
  let active = 0;
  const stageSample = async () => {
    const i0 = stageInferMs();
    const e0 = perf.eventLoopUtilization();
    const r = await sample(stage, k);
    const e = perf.eventLoopUtilization(e0);
    idle += e.idle;
    active += e.active;
    inner.push(r.wall / ((stageInferMs() - i0) / k));
    return r;
  };
  const t0 = performance.now();
  for (let round = 0; round < MAX_ROUNDS && (round < MIN_ROUNDS || performance.now() - t0 < pointSeconds * 1000); round++) {
    if (round % 2 === 0) {
      b.push(await sample(bare, k));
      st.push(await stageSample());
    } else {
      st.push(await stageSample());
      b.push(await sample(bare, k));
    }
  }
  return {
    bareMs: median(b.map((x) => x.wall)),
    stageMs: median(st.map((x) => x.wall)),
    ratio: median(b.map((x, i) => st[i].wall / x.wall)),
    bareCpuMs: median(b.map((x) => x.cpu)),
    stageCpuMs: median(st.map((x) => x.cpu)),
    cpuRatio: median(b.map((x, i) => st[i].cpu / Math.max(x.cpu, 1e-6))),
    innerRatio: median(inner),
    mainBusy: active / Math.max(idle + active, 1e-9),
  };
}

/**
 * Bare session and stage side by side on one provider at each batch size (vigil's in-thread onnxruntime-node
 * backend, the default; wasm is onnxruntime-web). `stopAt` (performance.now() ms) ends the sweep early; the
 * rows measured so far are returned, and each is also handed to `onRow` as it is measured.
 */
export async function measureProvider(provider: string, fx: StageFixture, sizes: number[], o: StageBenchOptions, onRow?: (r: StageRow) => void, stopAt = Infinity): Promise<StageRow[]> {
  const rows: StageRow[] = [];
  const bare = await bareSession(provider, fx, o.threads);
  const session = await backendFor(provider, { worker: o.worker }).open({ onnx: fx.onnx, inputName: fx.inputName, outputName: fx.outputName, window: fx.window, channels: fx.channels, threads: o.threads || undefined });
  const ref = new ModelRef(fx.card, session);
  try {
    for (const n of sizes) {
      if (performance.now() > stopAt) break;
      const stage = stageDriver(ref, fx.windows, n);
      const bareUnit = async () => {
        for (let b = 0; b < BACKLOG; b++) await bare.run(n);
      };
      await bareUnit();
      await stage.run();
      Object.assign(stage.parts, { assemble: 0, score: 0, infer: 0 });
      const unit = await measure(bareUnit, stage.run, () => stage.inferMs, o.pointSeconds);
      stage.stop();
      const m = { ...unit, bareMs: unit.bareMs / BACKLOG, stageMs: unit.stageMs / BACKLOG, bareCpuMs: unit.bareCpuMs / BACKLOG, stageCpuMs: unit.stageCpuMs / BACKLOG };
      const tot = stage.parts.assemble + stage.parts.score + stage.parts.infer;
      const split = { assemble: stage.parts.assemble / tot, infer: stage.parts.infer / tot, score: stage.parts.score / tot };
      const row = { provider: o.worker ? `${provider}+worker` : provider, batch: n, ...m, split, bareWps: (n / m.bareMs) * 1000, stageWps: (n / m.stageMs) * 1000 };
      rows.push(row);
      onRow?.(row);
      o.log?.(`${row.provider.padEnd(13)} batch ${String(n).padStart(5)}: bare ${row.bareWps.toFixed(0).padStart(8)} w/s, stage ${row.stageWps.toFixed(0).padStart(8)} w/s, overhead ${row.ratio.toFixed(3)}x wall, ${row.cpuRatio.toFixed(3)}x cpu, ${row.innerRatio.toFixed(3)}x of its own model time (assemble ${(100 * split.assemble).toFixed(1)}%, model ${(100 * split.infer).toFixed(1)}%, score+emit ${(100 * split.score).toFixed(1)}%), main thread busy ${(100 * row.mainBusy).toFixed(0)}% (${(row.mainBusy * row.stageMs).toFixed(2)} ms per batch)`);
    }
  } finally {
    await ref.close();
    await bare.release();
  }
  return rows;
}
