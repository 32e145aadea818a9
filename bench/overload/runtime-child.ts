/**
 * The runtime side of bench/overload.ts: `startRuntime` with the inference-bound model and a tight backpressure
 * policy, run as a role of that script in its own process, reporting counters and sampled latencies every 100 ms.
 */
import { join } from 'node:path';
import { cliArg as arg } from '../lib/child.ts';
import { INFER_DEFAULTS } from '../../runtime/stream/infer-batches.ts';

/** Memory the waiting windows may take: the shipped bound; beyond it the oldest of the longest backlog are shed, counted. */
export const MAX_PENDING_BYTES = INFER_DEFAULTS.maxPendingBytes;

/** What the runtime child reports every 100 ms. */
export interface Report {
  t: number;
  rss: number;
  heapUsed: number;
  messages: number;
  decoded: number;
  windows: number;
  scored: number;
  pending: number;
  droppedQueueFull: number;
  droppedInferenceError: number;
  duplicates: number;
  outOfOrder: number;
  p50: number;
  p99: number;
  /** Arrival -> verdict latencies (ms) of verdicts since the previous report, sampled to at most 200. */
  lat: number[];
  status: string;
}

/** Run the runtime on `--broker` with the model under `--dir`, reporting to the parent until it disconnects. */
export async function runtimeChild(): Promise<void> {
  const { startRuntime } = await import('../../runtime/ops/runtime.ts');
  const { defineConfig } = await import('../../runtime/config/load.ts');
  const { createLogger } = await import('../../runtime/ops/logger.ts');
  const dir = arg('dir', '');
  const h = await startRuntime(
    defineConfig({
      model: join(dir, 'model', 'heavy'),
      broker: { url: arg('broker', '') },
      source: { topics: ['load/{sensor}/data'], qos: 0 },
      batch: { size: 256, maxWaitMs: 2, maxPendingBytes: MAX_PENDING_BYTES },
      inference: { providers: ['cpu'], threads: 1 },
      deadLetter: { topic: null },
      metrics: { port: null },
      state: { file: null },
      reload: { watch: false },
    }),
    { logger: createLogger('warn') },
  );
  let recent: number[] = [];
  let seen = 0;
  h.verdicts.subscribe((v) => {
    // Reservoir sample of this interval's latencies.
    const ms = Date.now() - v.receivedAt;
    seen++;
    if (recent.length < 200) recent.push(ms);
    else {
      const j = Math.floor(Math.random() * seen);
      if (j < 200) recent[j] = ms;
    }
  });
  const report = () => {
    const m = process.memoryUsage();
    const c = h.counters;
    const lat = h.latency();
    const sample = recent;
    recent = [];
    seen = 0;
    const r: Report = {
      t: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      messages: h.edge.messages,
      decoded: h.edge.decoded,
      windows: c.windows,
      scored: c.scored,
      pending: c.pending,
      droppedQueueFull: c.droppedQueueFull,
      droppedInferenceError: c.droppedInferenceError,
      duplicates: c.duplicates,
      outOfOrder: c.outOfOrder,
      p50: lat.p50,
      p99: lat.p99,
      lat: sample,
      status: h.health().status,
    };
    if (process.connected) process.send!(r);
  };
  setInterval(report, 100).unref();
  report();
  process.on('disconnect', () => void h.stop().then(() => process.exit(0)));
}
