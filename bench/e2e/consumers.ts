/**
 * The consumers bench/e2e.ts compares, each run as a role of that script in its own process and reporting over IPC
 * every 25 ms: `vigil run`'s runtime (startRuntime) and a bare mqtt.js subscriber that only JSON-parses.
 */
import { connectNoDelay } from '../lib/mqtt.ts';
import type { ConsumerReport as Report } from '../lib/consumer.ts';

/** The runtime on `topic`, alerts to `alertTopic`; reports readings judged, drops, memory and latency. */
export async function runtimeChild(broker: string, topic: string, modelPath: string, alertTopic: string, lowMemory: boolean, provider: string, stride: number): Promise<void> {
  const { startRuntime } = await import('../../runtime/ops/runtime.ts');
  const { defineConfig } = await import('../../runtime/config/load.ts');
  const pino = (await import('pino')).default;
  const cfg = defineConfig({
    model: modelPath,
    broker: { url: broker },
    source: { topics: [topic], qos: 0 },
    alerts: { topic: alertTopic, closeM: 3 },
    deadLetter: { topic: null },
    metrics: { port: null },
    state: { file: null },
    reload: { watch: false },
    // One intra-op thread: on a small gateway the spinning ORT pool otherwise fights the broker for cores.
    // VIGIL_BENCH_WORKER=1: onnxruntime-node in a worker thread (inference.worker), to compare with the default.
    inference: { providers: [provider as 'cpu'], threads: 1, worker: process.env.VIGIL_BENCH_WORKER === '1' },
    window: { maxSensors: 20_000, stride },
    batch: { size: 256, maxWaitMs: 1 },
    lowMemory,
    log: { level: 'silent' },
  });
  const h = await startRuntime(cfg, { logger: pino({ level: 'silent' }) });
  let processed = 0;
  // With a stride, each verdict stands for `stride` readings taken through the runtime.
  h.verdicts.subscribe(() => (processed += stride));
  const c = h.counters;
  let infer = { sum: 0, count: 0 };
  const hist = h.metrics.registry.getSingleMetric('vigil_inference_seconds');
  setInterval(async () => {
    const v = (await hist?.get())?.values ?? [];
    const named = v as { metricName?: string; value: number }[];
    infer = { sum: named.find((x) => x.metricName?.endsWith('_sum'))?.value ?? 0, count: named.find((x) => x.metricName?.endsWith('_count'))?.value ?? 0 };
  }, 200);
  const report = (ready?: boolean) => {
    h.health(); // syncs the sink counters
    const m = process.memoryUsage();
    const r: Report = {
      processed,
      decoded: h.edge.decoded,
      dropped: c.droppedQueueFull + c.sensorLimit + c.duplicates + c.outOfOrder,
      rss: m.rss,
      heapUsed: m.heapUsed,
      latency: h.latency(),
      alerts: c.alertsOpened,
      drops: { published: h.edge.alertsPublished, queuedAlerts: h.edge.alertsQueued, queueFull: c.droppedQueueFull, sensorLimit: c.sensorLimit, duplicates: c.duplicates, outOfOrder: c.outOfOrder, batches: c.batches, scored: c.scored, windows: c.windows, inferMsAvg: (infer.sum / Math.max(1, infer.count)) * 1000 },
      ready,
    };
    if (process.connected) process.send!(r);
  };
  report(true);
  const reporting = setInterval(report, 25);
  process.on('disconnect', () => {
    clearInterval(reporting);
    void h.stop().then(() => process.exit(0));
  });
}

/** A bare subscriber on `topic` that JSON-parses each message and counts it. */
export async function bareChild(broker: string, topic: string): Promise<void> {
  const client = await connectNoDelay(broker, `bare-${process.pid}`);
  let processed = 0;
  let sink = 0;
  client.on('message', (_t, payload) => {
    const v = JSON.parse(payload.toString()) as { current: number };
    sink += v.current;
    processed++;
  });
  await client.subscribeAsync(topic, { qos: 0 });
  const report = (ready?: boolean) => {
    const m = process.memoryUsage();
    if (process.connected) process.send!({ processed, decoded: processed, dropped: 0, rss: m.rss, heapUsed: m.heapUsed + (sink > Infinity ? 1 : 0), ready } satisfies Report);
  };
  report(true);
  const reporting = setInterval(report, 25);
  process.on('disconnect', () => {
    clearInterval(reporting);
    void client.endAsync().then(() => process.exit(0));
  });
}
