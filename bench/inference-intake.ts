/**
 * Does inference block intake? Two measurements, each with ONNX Runtime on the main thread and in a worker thread
 * (`inference.worker` false / true), fed over the real Mosquitto by this process at a fixed rate:
 *  1. probe: one session of a deliberately slow model (dense 128-2048-2048-128 at batch 1024) run again and again
 *     in a process that also decodes MQTT readings with the JSON codec; per call, the longest event-loop stall
 *     (`monitorEventLoopDelay`, 1 ms resolution) and the readings decoded while the call ran.
 *  2. runtime: `vigil run`'s runtime (startRuntime, shipped defaults but the worker switch) with a model (default:
 *     a freshly written dense fixture; pass the default conv AE with --model) at 1k and 10k readings/s (100
 *     sensors): CPU per reading (process.cpuUsage, all threads), event-loop delay p50/p99/max, publish -> verdict
 *     latency p50/p99 (the reading's ts is the wall clock at publish; one machine, one clock), batches.
 *
 *   node bin/run-ts.mjs bench/inference-intake.ts [--model DIR/NAME] [--seconds 8] [--only probe|runtime]
 * Prints one line per point; writes bench/results/inference-intake.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { cliArg, forkReporting } from './lib/child.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { quantile } from './lib/stats.ts';
import { machineInfo, RESULTS_DIR } from './lib/result.ts';
import { meanLayer, randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const BROKER = cliArg('broker', 'mqtt://127.0.0.1:1883');
const ROLE = cliArg('role', 'main');
const SECONDS = Number(cliArg('seconds', '8'));
const ONLY = cliArg('only', 'all');
const CHANNELS = ['current', 'temp'];
const SENSORS = 100;
const PREFIX = `vigil-bench/intake-${process.pid}`;

/** Child -> parent reports. */
interface ProbeReport {
  kind: 'probe';
  calls: { ms: number; stallMs: number; decoded: number }[];
  decodedTotal: number;
}
interface RuntimeReport {
  kind: 'runtime';
  ready?: boolean;
  decoded: number;
  verdicts: number;
  cpuMs?: number;
  delay?: { p50: number; p99: number; max: number };
  latency?: { p50: number; p99: number; max: number };
  batches?: number;
  windows?: number;
  alerts?: number;
}

const reading = (s: number, ts: number) => `{"ts":${ts},"current":${Math.sin(ts / 300 + s).toFixed(4)},"temp":${(Math.cos(ts / 300 + s) * 0.5).toFixed(4)}}`;

/** Publish `rate` readings/s round-robin over SENSORS sensors for `seconds`; ts = wall clock, increasing per sensor. */
async function publishAt(pub: MqttClient, topic: (s: number) => string, rate: number, seconds: number): Promise<number> {
  const last = new Array<number>(SENSORS).fill(0);
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      if (elapsed >= seconds * 1000) return resolve();
      const due = Math.floor((elapsed / 1000) * rate);
      while (sent < due) {
        const s = sent % SENSORS;
        last[s] = Math.max(last[s] + 1, Date.now());
        pub.publish(topic(s), reading(s, last[s]), { qos: 0 });
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  return sent;
}

// ---------------------------------------------------------------- children

/** Decode readings from MQTT while a slow model runs call after call; report per call. */
async function probeChild(worker: boolean, topic: string): Promise<void> {
  const { backendFor } = await import('../runtime/inference/resolve.ts');
  const { createCodec } = await import('../runtime/codecs/registry.ts');
  const { tinyModel } = await import('@vigil/fixtures/tiny-model.ts');
  const W = 64;
  const N = 1024;
  const { card, onnx } = tinyModel({ window: W, channels: CHANNELS, layers: randomDenseLayers(W, 2, [2048, 2048], 5) });
  const session = await backendFor('cpu', { worker }).open({ onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: W, channels: 2, threads: 1, spinning: false });
  const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 100 }, { channels: CHANNELS, timestamp: { source: 'payload', field: 'ts', unit: 'ms', maxFutureMs: 60_000 } });
  const client = await connectNoDelay(BROKER, `probe-${process.pid}`);
  let decoded = 0;
  client.on('message', (t, payload) => {
    const r = codec.decode({ topic: t, payload, receivedAt: Date.now() }, { sensor: t.split('/').at(-2)! });
    if (Array.isArray(r)) decoded += r.length;
  });
  await client.subscribeAsync(topic, { qos: 0 });
  const input = new Float32Array(N * W * 2).map((_, i) => Math.sin(i));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const calls: ProbeReport['calls'] = [];
  let go = false;
  process.on('message', (m: string) => {
    if (m === 'go') go = true;
  });
  process.send!({ kind: 'ready' });
  while (!go) await new Promise((r) => setTimeout(r, 5));
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    h.reset();
    const d0 = decoded;
    const t0 = performance.now();
    await session.run(input, N);
    const ms = performance.now() - t0;
    const during = decoded - d0;
    // The delay monitor records a stall when its timer next fires, after the call: let it fire, then read.
    await new Promise((r) => setTimeout(r, 5));
    calls.push({ ms, stallMs: h.max / 1e6, decoded: during });
    // A pause between calls lets an in-thread intake catch up, as between live batches.
    await new Promise((r) => setTimeout(r, 50));
  }
  process.send!({ kind: 'probe', calls, decodedTotal: decoded } satisfies ProbeReport);
  await session.close();
  await client.endAsync();
  process.exit(0);
}

/** vigil run's runtime with shipped defaults (but `inference.worker`); measures between 'start' and 'stop'. */
async function runtimeChild(worker: boolean, topic: string, modelPath: string): Promise<void> {
  const { startRuntime } = await import('../runtime/ops/runtime.ts');
  const { defineConfig } = await import('../runtime/config/load.ts');
  const pino = (await import('pino')).default;
  const cfg = defineConfig({
    model: modelPath,
    broker: { url: BROKER },
    source: { topics: [topic], qos: 0 },
    alerts: { topic: `${PREFIX}/alerts/{sensor}` },
    deadLetter: { topic: null },
    metrics: { port: null },
    state: { file: null },
    reload: { watch: false },
    inference: { worker },
    log: { level: 'silent' },
  });
  const h = await startRuntime(cfg, { logger: pino({ level: 'silent' }) });
  let verdicts = 0;
  let lat: number[] = [];
  h.verdicts.subscribe((v) => {
    verdicts++;
    lat.push(Date.now() - v.tsLast);
  });
  const hist = monitorEventLoopDelay({ resolution: 1 });
  hist.enable();
  let cpu0 = process.cpuUsage();
  let c0 = { batches: 0, windows: 0, alerts: 0 };
  process.on('message', (m: string) => {
    if (m === 'start') {
      hist.reset();
      lat = [];
      cpu0 = process.cpuUsage();
      c0 = { batches: h.counters.batches, windows: h.counters.scored, alerts: h.counters.alertsOpened };
    } else if (m === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      process.send!({
        kind: 'runtime',
        decoded: h.edge.decoded,
        verdicts,
        cpuMs: (cpu.user + cpu.system) / 1000,
        delay: { p50: hist.percentile(50) / 1e6, p99: hist.percentile(99) / 1e6, max: hist.max / 1e6 },
        latency: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: Math.max(...lat) },
        batches: h.counters.batches - c0.batches,
        windows: h.counters.scored - c0.windows,
        alerts: h.counters.alertsOpened - c0.alerts,
      } satisfies RuntimeReport);
    }
  });
  const ticking = setInterval(() => process.connected && process.send!({ kind: 'runtime', ready: true, decoded: h.edge.decoded, verdicts } satisfies RuntimeReport), 50);
  process.on('disconnect', () => clearInterval(ticking));
  process.on('disconnect', () => void h.stop().then(() => process.exit(0)));
}

// ---------------------------------------------------------------- main

async function probe(pub: MqttClient, worker: boolean) {
  const tag = `probe-${worker ? 'worker' : 'main'}`;
  const me = fileURLToPath(import.meta.url);
  let ready = false;
  let result: ProbeReport | undefined;
  const c = forkReporting<{ kind: string }>(me, ['--role', 'probe', '--worker', String(worker), '--topic', `${PREFIX}/${tag}/+/data`, '--seconds', String(SECONDS)], (r) => {
    if (r.kind === 'ready') ready = true;
    if (r.kind === 'probe') result = r as ProbeReport;
  });
  await c.until(() => ready, 'probe ready', 30_000);
  c.child.send('go');
  const sent = await publishAt(pub, (s) => `${PREFIX}/${tag}/p${s}/data`, 5000, SECONDS);
  await c.until(() => result !== undefined, 'probe report', 60_000);
  await c.stop();
  const calls = result!.calls;
  const row = {
    thread: worker ? 'worker' : 'main',
    calls: calls.length,
    callMs: quantile(calls.map((x) => x.ms), 0.5),
    stallMsMedian: quantile(calls.map((x) => x.stallMs), 0.5),
    stallMsMax: Math.max(...calls.map((x) => x.stallMs)),
    decodedPerCallMedian: quantile(calls.map((x) => x.decoded), 0.5),
    callsWithNoDecode: calls.filter((x) => x.decoded === 0).length,
    sent,
    decoded: result!.decodedTotal,
  };
  process.stderr.write(`probe ${row.thread}: ${row.calls} calls of ${row.callMs.toFixed(1)} ms (median); event loop stalled ${row.stallMsMedian.toFixed(1)} ms per call (median, max ${row.stallMsMax.toFixed(1)}); readings decoded during a call ${row.decodedPerCallMedian} (median), ${row.callsWithNoDecode} calls with none; ${row.decoded}/${sent} decoded\n`);
  return row;
}

async function runtimePoint(pub: MqttClient, worker: boolean, rate: number, modelPath: string) {
  const tag = `rt-${worker ? 'worker' : 'main'}-${rate}`;
  const me = fileURLToPath(import.meta.url);
  let last: RuntimeReport | undefined;
  let final: RuntimeReport | undefined;
  const c = forkReporting<RuntimeReport>(me, ['--role', 'runtime', '--worker', String(worker), '--topic', `${PREFIX}/${tag}/{sensor}/data`, '--model', modelPath], (r) => {
    last = r;
    if (r.cpuMs !== undefined) final = r;
  });
  await c.until(() => last?.ready === true, 'runtime ready', 60_000);
  // Warm-up: every sensor's first windows, then the measured phase.
  await publishAt(pub, (s) => `${PREFIX}/${tag}/p${s}/data`, rate, 2);
  c.child.send('start');
  const sent = await publishAt(pub, (s) => `${PREFIX}/${tag}/p${s}/data`, rate, SECONDS);
  await new Promise((r) => setTimeout(r, 300));
  c.child.send('stop');
  await c.until(() => final !== undefined, 'runtime report', 30_000);
  const r = final!;
  await c.stop();
  const row = {
    thread: worker ? 'worker' : 'main',
    rate,
    sent,
    cpuUsPerReading: (r.cpuMs! * 1000) / sent,
    cores: r.cpuMs! / (SECONDS * 1000),
    delay: r.delay!,
    latency: r.latency!,
    meanBatch: r.windows! / Math.max(1, r.batches!),
    batches: r.batches!,
    alerts: r.alerts!,
  };
  process.stderr.write(
    `runtime ${row.thread} ${rate}/s: ${row.cpuUsPerReading.toFixed(1)} us CPU per reading (${row.cores.toFixed(2)} cores); event-loop delay p50 ${row.delay.p50.toFixed(1)} p99 ${row.delay.p99.toFixed(1)} max ${row.delay.max.toFixed(1)} ms; publish->verdict p50 ${row.latency.p50.toFixed(1)} p99 ${row.latency.p99.toFixed(1)} max ${row.latency.max.toFixed(1)} ms; ${row.batches} batches, mean ${row.meanBatch.toFixed(1)} windows; ${row.alerts} alerts opened\n`,
  );
  return row;
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadavg();
  const pub = await connectNoDelay(BROKER, `intake-pub-${process.pid}`);
  const modelPath = cliArg('model', '') || writeTinyModel(mkdtempSync(join(tmpdir(), 'vigil-intake-')), { name: 'bench', window: 64, channels: CHANNELS, layers: [meanLayer(64, 2)], threshold: 1e9 });
  const probes = ONLY === 'runtime' ? [] : [await probe(pub, false), await probe(pub, true)];
  const runtime = [];
  if (ONLY !== 'probe') for (const rate of [1000, 10_000]) for (const worker of [false, true]) runtime.push(await runtimePoint(pub, worker, rate, modelPath));
  await pub.endAsync();
  const out = { name: 'inference-intake', started: started.toISOString(), machine: machineInfo(), loadavg: [load, loadavg()], seconds: SECONDS, model: cliArg('model', 'dense fixture 128-128 (window mean)'), probes, runtime };
  writeFileSync(join(RESULTS_DIR, 'inference-intake.json'), `${JSON.stringify(out, null, 1)}\n`);
}

if (ROLE === 'probe') await probeChild(cliArg('worker', 'false') === 'true', cliArg('topic', ''));
else if (ROLE === 'runtime') await runtimeChild(cliArg('worker', 'false') === 'true', cliArg('topic', ''), cliArg('model', ''));
else await main();
