/**
 * End to end through `vigil run` on a real Mosquitto (the bench's own, TCP_NODELAY and no queue limit, as every bench
 * broker: bench/lib/broker.ts; `--broker URL` names another), each consumer in its own process:
 *  1. ingest: readings/s fully judged by the runtime vs a bare mqtt.js subscriber that only JSON-parses, same
 *     broker, same publisher, same run (target ratio >= 0.8). Closed loop: the publisher keeps a fixed number of
 *     readings outstanding, so each consumer runs flat out and the broker never drops.
 *  2. latency: publish -> alert on the alert topic at 10k readings/s (100 sensors at 100 Hz), a spike every
 *     20 ms, measured in the publishing process (one clock) (target p99 < 20 ms).
 *  3. memory: RSS of the runtime with 1,000 sensors, window 64 (target < 150 MB).
 * Writes bench/results/e2e.json. Options and the environment for investigating: USAGE below (`--help`).
 */
const USAGE = `node bin/run-ts.mjs bench/e2e.ts [options]   (writes bench/results/e2e.json)
  --broker URL       a running broker to use instead of the bench's own Mosquitto
  --quick            shorter phases
Investigating: VIGIL_BENCH_ONLY=latency|memory runs one phase (VIGIL_BENCH_PROVIDER=cpu|wasm, VIGIL_BENCH_LOW=1),
VIGIL_BENCH_PROF=DIR writes a CPU profile of every consumer process.`;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { benchBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { spawnConsumer, stopConsumer as stopChild, waitFor } from './lib/consumer.ts';
import { feeder as feederOf, measure, warm } from './lib/closed-loop.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { quantile } from './lib/stats.ts';
import { bareChild, runtimeChild } from './e2e/consumers.ts';
import { report } from './e2e/report.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const quick = process.argv.includes('--quick');
/** The broker: the consumers are given it with `--broker`; the main process starts the bench's own unless named. */
let BROKER = cliArg('broker', '');
const ROLE = cliArg('role', 'main');
const W = 64;
const CHANNELS = ['current', 'temp'];
const PREFIX = `vigil-bench/${process.pid}`;
const INGEST_S = quick ? 4 : 12;
const ROUNDS = quick ? 2 : 6;
const ONLY = process.env.VIGIL_BENCH_ONLY;
/** V8 flags of a small gateway: NODE_OPTIONS="--max-semi-space-size=1 --optimize-for-size". */
const LOW_MEMORY_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'];
const LATENCY_S = quick ? 3 : 10;
const RATE = 10_000;
const SPIKE_EVERY_MS = 20;
const THRESHOLD = 5;

/** A smooth, seeded-phase signal per sensor; normal windows score far below the threshold. */
function reading(sensor: number, i: number, spike = 0): string {
  const t = i / 2000 + sensor * 0.37;
  return `{"ts":${1_700_000_000_000 + i * 10},"current":${(Math.sin(2 * Math.PI * t) + spike).toFixed(4)},"temp":${(Math.cos(2 * Math.PI * t) * 0.5).toFixed(4)}}`;
}

// ---------------------------------------------------------------- main process

/** A consumer role of this script (through tsx, or `bundle` on plain node), on the bench broker. */
const spawnChild = (args: string[], nodeFlags: string[] = [], bundle?: string) => spawnConsumer(fileURLToPath(import.meta.url), [...args, '--broker', BROKER], nodeFlags, bundle);

let clients = 0;
const publisher = (): Promise<MqttClient> => connectNoDelay(BROKER, `bench-${process.pid}-${++clients}`);

/** A round-robin feeder of the e2e signal. */
const feeder = (pub: MqttClient, sensors: number, topicOf: (s: number) => string) => feederOf(pub, sensors, topicOf, (s, row) => reading(s, row));

/** Publish at RATE readings/s (100 sensors at 100 Hz) with a spike every SPIKE_EVERY_MS; time each spike to its alert. */
async function latencyPhase(modelPath: string, pub: MqttClient, provider: string) {
  process.stderr.write(`e2e: latency at 10k readings/s (${provider})...\n`);
  const tag = `lat-${provider}`;
  const lat = await spawnChild(['--role', 'runtime', '--topic', `${PREFIX}/${tag}/{sensor}/data`, '--model', modelPath, '--alerts', `${PREFIX}/${tag}-alerts/{sensor}`, '--provider', provider]);
  const alerts = await publisher();
  const spikes = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  const unmatched: string[] = [];
  alerts.on('message', (_t, payload) => {
    const a = JSON.parse(payload.toString()) as { type: string; sensor: string; tsLast: number };
    if (a.type !== 'open') return;
    received++;
    const t = spikes.get(`${a.sensor}@${a.tsLast}`);
    if (t !== undefined) latencies.push(performance.now() - t);
    else if (unmatched.length < 3) unmatched.push(`${a.sensor}@${a.tsLast}`);
  });
  await alerts.subscribeAsync(`${PREFIX}/${tag}-alerts/+`, { qos: 1 });
  const sensorsLat = 100;
  const rows = new Array<number>(sensorsLat).fill(0);
  for (let i = 0; i < W; i++) for (let s = 0; s < sensorsLat; s++) pub.publish(`${PREFIX}/${tag}/p${s}/data`, reading(s, rows[s]++), { qos: 0 });
  await waitFor(() => lat.last.processed >= sensorsLat, lat, 30_000, 'latency warm-up');
  let sent = 0;
  let spikesSent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = now - t0;
      if (elapsed >= LATENCY_S * 1000) return resolve();
      const due = Math.floor((elapsed / 1000) * RATE);
      const spikeDue = Math.floor(elapsed / SPIKE_EVERY_MS);
      while (sent < due) {
        const s = sent % sensorsLat;
        const i = rows[s]++;
        let spike = 0;
        // The spike goes on the first reading of the sensor after each spike slot.
        if (spikesSent < spikeDue && s === spikesSent % sensorsLat) {
          spike = 10;
          spikesSent++;
          spikes.set(`p${s}@${1_700_000_000_000 + i * 10}`, performance.now());
        }
        pub.publish(`${PREFIX}/${tag}/p${s}/data`, reading(s, i, spike), { qos: 0 });
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const tEnd = performance.now();
  // Let the runtime finish what it was sent, so late alerts count with their real (late) latency.
  const expected = sent + sensorsLat; // + the first full window of each sensor from the warm-up
  await waitFor(() => lat.last.processed + lat.last.dropped >= expected, lat, 60_000, 'the runtime to finish the latency run').catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const offeredRate = sent / ((tEnd - t0) / 1000);
  const latRuntime = lat.last.latency;
  process.stderr.write(`e2e: runtime judged ${lat.last.processed}, dropped ${lat.last.dropped}, opened ${lat.last.alerts} alerts ${JSON.stringify(lat.last.drops)}\n`);
  await stopChild(lat);
  await alerts.endAsync();
  if (received !== latencies.length) process.stderr.write(`e2e: ${received - latencies.length} open alerts matched no spike, e.g. ${unmatched.join(' ')}\n`);
  process.stderr.write(`e2e: ${latencies.length}/${spikesSent} alerts, p50 ${quantile(latencies, 0.5)?.toFixed(2)} ms, p99 ${quantile(latencies, 0.99)?.toFixed(2)} ms at ${Math.round(offeredRate)} readings/s\n`);
  const dropped = lat.last.dropped;
  return { provider, offeredRate, spikesSent, latencies, latRuntime, dropped, p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), p99: quantile(latencies, 0.99), max: Math.max(...latencies) };

}

/** VIGIL_BENCH_ONLY=memory: one runtime (VIGIL_BENCH_LOW=1: lowMemory) with 1,000 sensors, its RSS on stderr. */
async function memoryOnly(modelPath: string, pub: MqttClient): Promise<void> {
  const f = feeder(pub, 1000, (s) => `${PREFIX}/memo/p${s}/data`);
  const low = process.env.VIGIL_BENCH_LOW === '1';
  const mem = await spawnChild(['--role', 'runtime', '--topic', `${PREFIX}/memo/{sensor}/data`, '--model', modelPath, '--alerts', `${PREFIX}/memo-alerts/{sensor}`, ...(low ? ['--low-memory'] : [])], low ? LOW_MEMORY_FLAGS : []);
  process.stderr.write(`e2e: idle runtime RSS ${(mem.last.rss / 2 ** 20).toFixed(1)} MB\n`);
  await warm(mem, f, W, false);
  const res = await measure(mem, f, 3);
  process.stderr.write(`e2e: memory ${low ? 'low' : 'default'}: RSS ${(mem.last.rss / 2 ** 20).toFixed(1)} peak ${(mem.peakRss / 2 ** 20).toFixed(1)} MB, ${Math.round(res.readingsPerS)}/s\n`);
  await stopChild(mem);
}

const SENSORS_INGEST = 100;
const topicOf = (tag: string) => (s: number) => `${PREFIX}/${tag}/p${s}/data`;

/**
 * 1. ingest: bare subscriber and runtime (stride 1 and 4) in turn, short rounds, same publisher and broker; the median
 * of the per-round ratios resists the load of other processes on a shared machine.
 */
async function ingestPhase(modelPath: string, pub: MqttClient) {
  process.stderr.write('e2e: ingest, bare mqtt.js subscriber vs vigil run...\n');
  const bare = await spawnChild(['--role', 'bare', '--topic', `${PREFIX}/bare/+/data`]);
  const rt = await spawnChild(['--role', 'runtime', '--topic', `${PREFIX}/rt/{sensor}/data`, '--model', modelPath, '--alerts', `${PREFIX}/rt-alerts/{sensor}`]);
  // Also stride 4 (a window judged every 4th reading), a common setting when readings come faster than faults develop.
  const rt4 = await spawnChild(['--role', 'runtime', '--topic', `${PREFIX}/rt4/{sensor}/data`, '--model', modelPath, '--alerts', `${PREFIX}/rt4-alerts/{sensor}`, '--stride', '4']);
  const bareFeed = feeder(pub, SENSORS_INGEST, topicOf('bare'));
  const rtFeed = feeder(pub, SENSORS_INGEST, topicOf('rt'));
  const rt4Feed = feeder(pub, SENSORS_INGEST, topicOf('rt4'));
  await warm(bare, bareFeed, 1, true);
  await warm(rt, rtFeed, W, false);
  await warm(rt4, rt4Feed, W, false);
  const rounds: { bare: number; runtime: number; ratio: number; runtimeDropped: number; stride4: number; ratioStride4: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await measure(bare, bareFeed, INGEST_S / ROUNDS);
    const v = await measure(rt, rtFeed, INGEST_S / ROUNDS);
    const v4 = await measure(rt4, rt4Feed, INGEST_S / ROUNDS, SENSORS_INGEST * 4);
    rounds.push({ bare: b.readingsPerS, runtime: v.readingsPerS, ratio: v.readingsPerS / b.readingsPerS, runtimeDropped: v.dropped, stride4: v4.readingsPerS, ratioStride4: v4.readingsPerS / b.readingsPerS });
    process.stderr.write(`e2e: round ${r + 1}: bare ${Math.round(b.readingsPerS)}/s, runtime ${Math.round(v.readingsPerS)}/s, runtime stride 4 ${Math.round(v4.readingsPerS)}/s\n`);
  }
  const rtRss = rt.last.rss;
  await Promise.all([stopChild(bare), stopChild(rt), stopChild(rt4)]);
  const ratioStride4 = quantile(rounds.map((x) => x.ratioStride4), 0.5);
  const ratio = quantile(rounds.map((x) => x.ratio), 0.5);
  const bareRes = { readingsPerS: quantile(rounds.map((x) => x.bare), 0.5) };
  const rtRes = { readingsPerS: quantile(rounds.map((x) => x.runtime), 0.5), dropped: rounds.at(-1)!.runtimeDropped, rss: rtRss };
  process.stderr.write(`e2e: median ratio ${ratio.toFixed(2)}\n`);
  return { rounds, ratio, ratioStride4, bareRes, rtRes };
}

/** 3. memory with 1,000 sensors, window 64: default settings and `lowMemory`, each through tsx and bundled. */
async function memoryPhase(modelPath: string, pub: MqttClient) {
  const memory: Record<string, { rssMB: number; peakMB: number; readingsPerS: number; dropped: number }> = {};
  // The same runtime bundled by esbuild runs without the tsx loader, as `npm run build` gives a gateway (dist/).
  // Inside the repository (ignored folder) so the bundle resolves node_modules like the sources do.
  const bundle = fileURLToPath(new URL('./results/tmp/e2e-bundle.mjs', import.meta.url));
  const esbuild = await import('esbuild');
  // npm packages stay external; the workspaces (@vigil/*) export TypeScript, which plain node cannot load: bundled.
  const npmExternal = { name: 'npm-external', setup: (b: import('esbuild').PluginBuild) => b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@vigil/') ? undefined : { path: a.path, external: true })) };
  await esbuild.build({ entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: 'node', format: 'esm', plugins: [npmExternal], outfile: bundle, logLevel: 'warning' });
  for (const mode of ['default', 'defaultBundled', 'lowMemory', 'lowMemoryBundled'] as const) {
    process.stderr.write(`e2e: memory with 1,000 sensors (${mode})...\n`);
    const args = ['--role', 'runtime', '--topic', `${PREFIX}/mem-${mode}/{sensor}/data`, '--model', modelPath, '--alerts', `${PREFIX}/mem-alerts/{sensor}`];
    // lowMemory as a gateway would run it: the config option plus the same V8 flags given at start
    // (NODE_OPTIONS), so the tsx loader's own isolate is small too.
    const low = mode.startsWith('lowMemory');
    const mem = await spawnChild(low ? [...args, '--low-memory'] : args, low ? LOW_MEMORY_FLAGS : [], mode.endsWith('Bundled') ? bundle : undefined);
    const f = feeder(pub, 1000, topicOf(`mem-${mode}`));
    await warm(mem, f, W, false);
    const res = await measure(mem, f, quick ? 2 : 5);
    memory[mode] = { rssMB: mem.last.rss / 2 ** 20, peakMB: mem.peakRss / 2 ** 20, readingsPerS: res.readingsPerS, dropped: res.dropped };
    await stopChild(mem);
    process.stderr.write(`e2e: ${mode}: RSS ${memory[mode].rssMB.toFixed(1)} MB (peak ${memory[mode].peakMB.toFixed(1)} MB), ${Math.round(res.readingsPerS)} readings/s\n`);
  }
  return memory;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = loadavg();
  const modelDir = mkdtempSync(join(tmpdir(), 'vigil-bench-e2e-'));
  const modelPath = writeTinyModel(modelDir, { name: 'bench', window: W, channels: CHANNELS, layers: [meanLayer(W, CHANNELS.length)], threshold: THRESHOLD });
  const broker = await benchBroker();
  BROKER = broker.url;
  const pub = await publisher();
  try {
    if (ONLY === 'memory') return await memoryOnly(modelPath, pub);
    if (ONLY === 'latency') return void (await latencyPhase(modelPath, pub, process.env.VIGIL_BENCH_PROVIDER ?? 'cpu'));
    const ingest = await ingestPhase(modelPath, pub);
    // 2. latency at 10k readings/s, on native ONNX Runtime (a worker thread per call) and on wasm (main thread).
    const latRuns = [await latencyPhase(modelPath, pub, 'cpu'), await latencyPhase(modelPath, pub, 'wasm')];
    const memory = await memoryPhase(modelPath, pub);
    report({ started, loadStart, ingest, latRuns, memory, broker: broker.given || 'the bench Mosquitto (TCP_NODELAY, no queue limit)', window: W, channels: CHANNELS.length, lowMemoryFlags: LOW_MEMORY_FLAGS, sensorsIngest: SENSORS_INGEST });
  } finally {
    await pub.endAsync();
    await broker.stop();
  }
}

// A report racing the parent's disconnect fails with EPIPE / channel closed: harmless at the end of a phase.
if (ROLE !== 'main') process.on('error', () => {});

const arg = (name: string) => cliArg(name, '');
if (ROLE === 'runtime') await runtimeChild(BROKER, arg('topic'), arg('model'), arg('alerts'), process.argv.includes('--low-memory'), arg('provider') || 'cpu', Number(arg('stride') || 1));
else if (ROLE === 'bare') await bareChild(BROKER, arg('topic'));
else {
  await main();
  process.exit(0);
}
