/**
 * Issue 15.3, the pause fine-tuning causes to inference (target: none beyond 1 ms at p99 on the inference path).
 * `vigil run` (startRuntime, injectable source) serves the default conv model (vigil train's defaults: window 32,
 * 8 channels) to 20 sensors at 10 Hz each (200 windows/s), with adaptation on and a reservoir of 5,000 windows
 * (a slightly drifted pump, written before the start, restored by the runtime). Phases: idle, fine-tune (one
 * `adaptNow`: reservoir written, `vigil adapt --reservoir` in a child process on the 5,000 windows, hot swap and
 * seeding), idle; for each way of scheduling the child (MODES below), twice. Measured in each phase:
 * - inference call: a probe session of the same model in the runtime's process (ONNX Runtime CPU, one thread, as
 *   the runtime's own) runs a batch of 16 windows every 25 ms; each call's wall time;
 * - verdicts: every verdict's time from the reading's arrival to the verdict (the runtime's inference path);
 * - event-loop delay (perf_hooks, 1 ms resolution): what blocks the runtime's thread.
 *
 *   node bin/run-ts.mjs bench/adapt-pause.ts     -> the `pause` section of bench/results/adapt-drift.json
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { firstValueFrom, from, Subject } from 'rxjs';
import { writeReservoir, type StoredWindow } from '../runtime/adapt/reservoir-file.ts';
import { defineConfig } from '../runtime/config/load.ts';
import { openSession } from '../runtime/inference/open-model.ts';
import { loadModel } from '../runtime/model/load.ts';
import { createLogger } from '../runtime/ops/logger.ts';
import { startRuntime } from '../runtime/ops/runtime.ts';
import type { RawMessage } from '../runtime/stream/types.ts';
import { startBroker } from '../simulators/broker/aedes.ts';
import { trainModel } from '../train/train.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { machineInfo, RESULTS_DIR } from './lib/result.ts';

/**
 * How the child is scheduled, compared: at the runtime's own priority, at the lowest nice value alone, and the
 * default (adapt.niceness 19 and adapt.idle: SCHED_IDLE through chrt on Linux); each twice, interleaved.
 */
const MODES = [
  { mode: 'nice 0', niceness: 0, idle: false },
  { mode: 'nice 19', niceness: 19, idle: false },
  { mode: 'idle (default)', niceness: 19, idle: true },
];
const RUNS = [...MODES, ...MODES];
const SENSORS = 20;
const HZ = 10;
const IDLE_S = 10;
const RESERVOIR = 5000;
const PROBE_BATCH = 16;
const PROBE_EVERY_MS = 25;

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const figures = (xs: number[]) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: quantile(xs, 1) });

/** Run the phases; returns figures per phase and the fine-tunes' decisions. */
export async function measurePause() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-adapt-pause-'));
  const broker = await startBroker();
  try {
    process.stderr.write('training the default conv model (5 epochs)...\n');
    const train = pumpSeries(1500, 11).series;
    writeFileSync(join(dir, 'train.csv'), toCsv(train));
    const res = await trainModel({ data: join(dir, 'train.csv'), out: join(dir, 'model/pump'), epochs: 5, backend: 'wasm', onNote: () => {} });
    res.model.dispose();
    const { card } = loadModel(join(dir, 'model/pump'));
    const W = card.window;
    const C = card.channels.length;

    // 5,000 windows of a pump whose temperature moved by 1 C: something to learn, as in service.
    const recent = pumpSeries(RESERVOIR + W - 1, 51).series;
    const temperature = recent.channels.indexOf('temperature');
    if (temperature < 0) throw new Error(`adapt-pause: the fixture pump has no temperature channel (has ${recent.channels.join(', ')})`);
    for (let r = 0; r < recent.timestamps.length; r++) recent.data[r * C + temperature] += 1;
    const t0 = Date.UTC(2024, 0, 2);
    const windows: StoredWindow[] = Array.from({ length: RESERVOIR }, (_, i) => ({
      sensor: 'pump-1', tsFirst: t0 + i * 1000, tsLast: t0 + (i + W - 1) * 1000, data: recent.data.slice(i * C, (i + W) * C),
    }));
    const runs: ((typeof MODES)[number] & Awaited<ReturnType<typeof phases>>)[] = [];
    for (const [i, m] of RUNS.entries()) {
      const at = join(dir, `run${i}`);
      cpSync(join(dir, 'model'), at, { recursive: true });
      writeReservoir(join(at, 'reservoir-pump.json'), { model: { name: card.name, window: W, channels: card.channels }, windows, canaries: [], fresh: 0, guards: {} });
      runs.push({ ...m, ...(await phases(join(at, 'pump'), join(dir, 'train.csv'), broker.url, m)) });
    }
    // Per mode, every sample of its runs pooled: p99 while idle and while fine-tuning; event-loop p99 per run.
    const summary = MODES.map(({ mode, niceness, idle }) => {
      const of = runs.filter((r) => r.mode === mode);
      const pooled = (k: 'idle' | 'fineTune', m: 'probe' | 'verdict') => figures(of.flatMap((r) => r.samples[k][m]));
      const loop = (name: string) => of.flatMap((r) => r.phases.filter((p) => p.phase === name).map((p) => Number(p.eventLoopDelayMs.p99.toFixed(1))));
      return {
        mode, niceness, idle,
        inferenceCallMs: { idle: pooled('idle', 'probe'), fineTune: pooled('fineTune', 'probe') },
        verdictMs: { idle: pooled('idle', 'verdict'), fineTune: pooled('fineTune', 'verdict') },
        eventLoopP99Ms: { idle: loop('idle'), fineTune: loop('fine-tune') },
      };
    });
    return { setup: { model: `conv default (window ${W}, ${C} channels), 5 epochs`, sensors: SENSORS, hz: HZ, reservoirWindows: RESERVOIR, probe: `batch ${PROBE_BATCH} every ${PROBE_EVERY_MS} ms, ort cpu 1 thread` }, summary, runs: runs.map((r) => ({ mode: r.mode, phases: r.phases })) };
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One runtime serving `model` with adaptation scheduled as `m` says: idle, fine-tune, idle. */
async function phases(model: string, replay: string, brokerUrl: string, m: { mode: string; niceness: number; idle: boolean }) {
  const { niceness, idle } = m;
  const { card } = loadModel(model);
  const W = card.window;
  const C = card.channels.length;
  const t0 = Date.UTC(2024, 0, 2);

  const source = new Subject<RawMessage>();
  const logs: string[] = [];
  const handle = await startRuntime(defineConfig({
    model, broker: { url: brokerUrl }, source: { topics: ['sensors/{sensor}/data'] }, reload: { watch: false }, metrics: { port: null },
    state: { file: null }, deadLetter: { topic: null },
    // The anchor off (anchorAgeMs 0): this measures a fine-tune, and a reservoir minutes old has no day-old version
    // to be judged by, so the anchor would refuse the drifted reservoir before any training (and measure nothing).
    adapt: { enabled: true, everyMs: 1e12, minNewWindows: 1e9, backend: 'wasm', maxChange: 2, niceness, idle, replay, anchorAgeMs: 0, reservoir: { file: join(dirname(model), 'reservoir-{name}.json') } },
  }), { logger: createLogger('info', { write: (s: string) => void logs.push(s) }), source });

  // Load: SENSORS sensors at HZ readings/s each, round-robin every 10 ms, values from a normal pump series.
  const live = pumpSeries(20_000, 61).series;
  let row = 0;
  const feed = setInterval(() => {
    for (let k = 0; k < (SENSORS * HZ) / 100; k++, row++) {
      const r = Math.floor(row / SENSORS) % live.timestamps.length;
      const values: Record<string, number> = {};
      card.channels.forEach((c, j) => (values[c] = live.data[r * C + j]));
      source.next({ topic: `sensors/s${row % SENSORS}/data`, payload: Buffer.from(JSON.stringify({ ts: t0 + Math.floor(row / SENSORS) * (1000 / HZ), values })), receivedAt: Date.now() });
    }
  }, 10);

  // Samples, by phase.
  type Phase = { name: string; probe: number[]; verdict: number[]; loop: ReturnType<typeof monitorEventLoopDelay>; seconds?: number; decision?: string };
  const phases: Phase[] = [];
  let phase: Phase | undefined;
  const begin = (name: string) => {
    phase?.loop.disable();
    phase = { name, probe: [], verdict: [], loop: monitorEventLoopDelay({ resolution: 1 }) };
    phase.loop.enable();
    phases.push(phase);
  };
  handle.verdicts.subscribe((v) => phase?.verdict.push(Date.now() - v.receivedAt));

  const probeModel = loadModel(model);
  const probe = await openSession(probeModel, { providers: ['cpu'], threads: 1, spinning: false });
  const input = new Float32Array(PROBE_BATCH * W * C).map((_, i) => Math.sin(i));
  let probing = true;
  const probeLoop = (async () => {
    while (probing) {
      const t = performance.now();
      await firstValueFrom(from(probe.session.run(input, PROBE_BATCH)));
      phase?.probe.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  })();

  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  await sleep(5); // every sensor's window filled
  begin('idle');
  await sleep(IDLE_S);
  begin('fine-tune');
  process.stderr.write(`${m.mode}: fine-tune on ${RESERVOIR} windows...\n`);
  const ts = performance.now();
  const d = await handle.adaptation!.adaptNow('bench: pause');
  phase!.seconds = (performance.now() - ts) / 1000;
  phase!.decision = `${d.outcome}: ${d.detail.slice(0, 120)}`;
  process.stderr.write(`  ${phase!.decision} (${phase!.seconds.toFixed(1)} s)\n`);
  begin('idle');
  await sleep(IDLE_S);
  phase!.loop.disable();
  probing = false;
  await probeLoop;
  clearInterval(feed);
  await probe.session.close();
  await handle.stop();

  const out = phases.map((p) => ({
    phase: p.name, seconds: p.seconds, decision: p.decision,
    inferenceCallMs: figures(p.probe), verdictMs: figures(p.verdict),
    eventLoopDelayMs: { p99: p.loop.percentile(99) / 1e6, max: p.loop.max / 1e6 },
  }));
  const samples = (name: string) => ({ probe: phases.filter((p) => p.name === name).flatMap((p) => p.probe), verdict: phases.filter((p) => p.name === name).flatMap((p) => p.verdict) });
  return { phases: out, samples: { idle: samples('idle'), fineTune: samples('fine-tune') } };
}

if (process.argv[1]?.endsWith('adapt-pause.ts')) {
  const pause = await measurePause();
  const path = join(RESULTS_DIR, 'adapt-drift.json');
  const report = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  writeFileSync(path, `${JSON.stringify({ ...report, pause: { machine: machineInfo(), at: new Date().toISOString(), ...pause } }, null, 1)}\n`);
  for (const x of pause.summary) {
    const f = (v: { p50: number; p99: number }) => `${v.p50.toFixed(2)}/${v.p99.toFixed(2)}`;
    process.stdout.write(`${x.mode}: inference call p50/p99 idle ${f(x.inferenceCallMs.idle)} ms, fine-tuning ${f(x.inferenceCallMs.fineTune)} ms; verdict p50/p99 idle ${f(x.verdictMs.idle)} ms, fine-tuning ${f(x.verdictMs.fineTune)} ms; event-loop p99 idle ${x.eventLoopP99Ms.idle.join(' / ')} ms, fine-tuning ${x.eventLoopP99Ms.fineTune.join(' / ')} ms\n`);
  }
  for (const run of pause.runs) for (const p of run.phases) {
    process.stdout.write(`${run.mode.padEnd(14)} ${p.phase.padEnd(9)} inference call p50/p99/max ${p.inferenceCallMs.p50.toFixed(2)}/${p.inferenceCallMs.p99.toFixed(2)}/${p.inferenceCallMs.max.toFixed(2)} ms (${p.inferenceCallMs.n}), verdict p50/p99/max ${p.verdictMs.p50}/${p.verdictMs.p99}/${p.verdictMs.max} ms (${p.verdictMs.n}), event loop p99/max ${p.eventLoopDelayMs.p99.toFixed(1)}/${p.eventLoopDelayMs.max.toFixed(1)} ms${p.seconds ? `, ${p.seconds.toFixed(1)} s` : ''}\n`);
  }
  process.stderr.write(`wrote ${path}\n`);
}
