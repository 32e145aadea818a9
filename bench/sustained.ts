/**
 * Sustained load, as shipped: SENSORS sensors published round-robin at each RATE (readings/s) in turn into
 * `npx vigil run` with no flags beyond model, broker and topic (default conv model trained by `vigil train`, window
 * 64; bench/lib/vigil.ts), through a bench Mosquitto with TCP_NODELAY (bench/lib/broker.ts). In the same run, on
 * the same topics, a bare mqtt.js subscriber (plain node, JSON.parse and count: bench/lib/bare-subscriber.mjs).
 * Each reading's `ts` is the wall clock at publish (ms, kept increasing per sensor); every sensor's reading i with
 * i % 100 == its phase is a spike (values x3), and an alert listener (bench/lib/alert-listener.mjs) takes each
 * `open` alert's latency as its receipt wall clock - tsLast. Per step (SETTLE s unmeasured, then MEASURE s):
 * achieved / offered (windows scored / readings sent), CPU per reading of vigil and of the bare subscriber (from
 * /proc/PID/stat) and their ratio, p50/p99 publish -> alert, RSS. Every client has Nagle off.
 * Writes bench/results/sustained.json; a labelled variant (--qos 1, or --out NAME) writes bench/results/tmp/NAME.json
 * (git-ignored), so it never replaces the shipped run.
 *
 *   node bin/run-ts.mjs bench/sustained.ts [--sensors 100,1000] [--rates 2000,5000,10000,20000] [--repeats 2]
 *     [--measure 5] [--settle 1] [--launcher 'npx vigil'] [--broker URL] [--qos 0|1] [--out sustained]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { BATCH_DEFAULTS } from '../runtime/config/batch.ts';
import { alertLatencies, helper, listenAlerts, sensorLoad } from './lib/load.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { machineInfo, RESULTS_DIR, SCRATCH_DIR, writeBenchResult } from './lib/result.ts';
import { median, quantile } from './lib/stats.ts';
import { bareOrtUsPerWindow } from './lib/ort-floor.ts';
import { benchModel, cpuSeconds, csvRows, delta, histogramQuantile, procStatus, scrape, scrapeSeries, startVigil } from './lib/vigil.ts';

const USAGE = `node bin/run-ts.mjs bench/sustained.ts [options]   (writes bench/results/sustained.json; a variant bench/results/tmp/NAME.json)
  --sensors LIST     sensor counts (100,1000)
  --rates LIST       readings/s per step (2000,5000,10000,20000)
  --repeats N        runs of every step (2)
  --measure S        measured seconds per step (5), after --settle S unmeasured (1)
  --launcher CMD     how vigil is started ('npx vigil')
  --broker URL       an existing broker instead of the bench's own Mosquitto
  --qos 0|1          publisher, vigil and bare subscriber QoS (0; 1 is a labelled variant)
  --node-options S   NODE_OPTIONS for vigil's process only (a labelled variant)
  --out NAME         result name (sustained; another name is a labelled variant)`;
// A run takes minutes and replaces the committed result: never start one for a request of the usage.
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const SENSORS = cliArg('sensors', '100,1000').split(',').map(Number);
const RATES = cliArg('rates', '2000,5000,10000,20000').split(',').map(Number);
const REPEATS = Number(cliArg('repeats', '2'));
const MEASURE_S = Number(cliArg('measure', '5'));
const SETTLE_S = Number(cliArg('settle', '1'));
const LAUNCHER = cliArg('launcher', 'npx vigil').split(' ');
/** QoS of the publisher, vigil's subscription (`--qos`, a labelled variant) and the bare subscriber's. */
const QOS = Number(cliArg('qos', '0')) as 0 | 1;
/** Result name: the shipped run is bench/results/sustained.json; a labelled variant goes to bench/results/tmp/NAME.json. */
/** NODE_OPTIONS for vigil's process only (`--node-options`, a labelled variant like --qos 1). */
const NODE_OPTIONS = cliArg('node-options', '');
const OUT = cliArg('out', ['sustained', ...(QOS ? ['qos1'] : []), ...(NODE_OPTIONS ? ['node-options'] : [])].join('-'));
const OUT_DIR = OUT === 'sustained' && !QOS && !NODE_OPTIONS ? RESULTS_DIR : SCRATCH_DIR;
const W = 64;
const SPIKE_PERIOD = 100;

interface Step {
  sensors: number;
  rate: number;
  repeat: number;
  sent: number;
  publishedPerS: number;
  decoded: number;
  scored: number;
  achieved: number;
  bareReceived: number;
  vigilUsPerReading: number;
  bareUsPerReading: number;
  cpuRatio: number;
  vigilCores: number;
  alerts: number;
  p50: number;
  p99: number;
  max: number;
  /** Inside vigil: a reading's arrival -> its verdict, p99 (1 verdict in 8 sampled; a bucket bound of its histogram). */
  verdictP99Ms: number;
  rssMB: number;
  bareRssMB: number;
  dropped: number;
  meanBatch: number;
  /** Bare onnxruntime-node CPU per window on the same model at this step's mean batch (measured after the runs). */
  ortUsPerWindow?: number;
}

async function run(sensors: number, repeat: number, broker: string, model: string, work: string): Promise<{ steps: Step[]; loader: string }> {
  const { channels, rows } = csvRows(model);
  const prefix = `sus${sensors}r${repeat}`;
  const vigil = await startVigil({ launcher: LAUNCHER, model, broker, topic: `${prefix}/+/data`, work, extra: QOS ? ['--qos', String(QOS)] : [], ...(NODE_OPTIONS ? { nodeOptions: NODE_OPTIONS } : {}) });
  let bareCount = 0;
  const bare = await helper('bench/lib/bare-subscriber.mjs', [broker, `${prefix}/+/data`, String(QOS)], (l) => (bareCount = Number(l.split(' ')[0])));
  const { alerts, proc: listener } = await listenAlerts(broker, 'vigil/alerts/+');
  const pub = await connectNoDelay(broker, `sus-pub-${process.pid}-${sensors}-${repeat}`);
  const load = sensorLoad(pub, { prefix, sensors, channels, rows, window: W, spikePeriod: SPIKE_PERIOD, qos: QOS });
  const pace = load.pace;
  // Warm-up: every sensor's first window, at 5k/s, and the runtime caught up.
  await pace(5000, (sensors * W) / 5000);
  for (let t = 0; t < 200; t++) {
    if (((await scrape(vigil.opsUrl)).vigil_readings_decoded_total ?? 0) >= load.sent) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const steps: Step[] = [];
  for (const rate of RATES) {
    await pace(rate, SETTLE_S);
    const { sums: m0, series: h0 } = await scrapeSeries(vigil.opsUrl);
    const c0 = cpuSeconds(vigil.pid);
    const b0 = cpuSeconds(bare.pid!);
    const n0 = bareCount;
    const s0 = load.sent;
    const w0 = Date.now();
    const t0 = performance.now();
    await pace(rate, MEASURE_S);
    const el = (performance.now() - t0) / 1000;
    const w1 = Date.now();
    const sentStep = load.sent - s0;
    // What was sent in the step, given a moment to arrive (the next step's load not yet on).
    await new Promise((r) => setTimeout(r, 250));
    const { sums: m1, series: h1 } = await scrapeSeries(vigil.opsUrl);
    const c1 = cpuSeconds(vigil.pid);
    const b1 = cpuSeconds(bare.pid!);
    const n1 = bareCount;
    const decoded = delta(m0, m1, 'vigil_readings_decoded_total');
    const scored = delta(m0, m1, 'vigil_windows_scored_total');
    const lat = alertLatencies(alerts, w0, w1);
    const vigilUs = ((c1 - c0) / Math.max(1, decoded)) * 1e6;
    const bareUs = ((b1 - b0) / Math.max(1, n1 - n0)) * 1e6;
    const batches = delta(m0, m1, 'vigil_batch_size_count');
    const st: Step = {
      sensors,
      rate,
      repeat,
      sent: sentStep,
      publishedPerS: sentStep / el,
      decoded,
      scored,
      achieved: scored / sentStep,
      bareReceived: n1 - n0,
      vigilUsPerReading: vigilUs,
      bareUsPerReading: bareUs,
      cpuRatio: vigilUs / bareUs,
      vigilCores: (c1 - c0) / (el + 0.25),
      alerts: lat.length,
      p50: quantile(lat, 0.5) ?? NaN,
      p99: quantile(lat, 0.99) ?? NaN,
      max: lat.length ? Math.max(...lat) : NaN,
      verdictP99Ms: 1000 * histogramQuantile(h0, h1, 'vigil_verdict_latency_seconds', 0.99),
      rssMB: procStatus(vigil.pid).VmRSS,
      bareRssMB: procStatus(bare.pid!).VmRSS,
      dropped: delta(m0, m1, 'vigil_dropped_total'),
      meanBatch: delta(m0, m1, 'vigil_batch_size_sum') / Math.max(1, batches),
    };
    steps.push(st);
    process.stderr.write(`sustained: ${sensors} sensors @ ${rate}/s #${repeat}: published ${Math.round(st.publishedPerS)}/s, scored/sent ${st.achieved.toFixed(3)}, CPU/reading vigil ${vigilUs.toFixed(1)} us vs bare ${bareUs.toFixed(1)} us = ${st.cpuRatio.toFixed(2)}x (${st.vigilCores.toFixed(2)} cores), alerts ${lat.length} p50 ${st.p50?.toFixed(1)} p99 ${st.p99?.toFixed(1)} max ${st.max.toFixed(1)} ms (in vigil: arrival -> verdict p99 <= ${st.verdictP99Ms} ms), RSS ${st.rssMB.toFixed(1)} MB, batch ${st.meanBatch.toFixed(1)}, dropped ${st.dropped}\n`);
  }
  await pub.endAsync();
  bare.kill('SIGTERM');
  listener.kill('SIGTERM');
  await vigil.stop();
  return { steps, loader: vigil.loader };
}

async function main(): Promise<void> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-sustained-'));
  const broker = await benchBroker();
  const { given } = broker;
  const model = benchModel();
  const steps: Step[] = [];
  let loader = '';
  for (let r = 1; r <= REPEATS; r++) {
    for (const s of SENSORS) {
      const out = await run(s, r, broker.url, model, work);
      steps.push(...out.steps);
      loader = out.loader;
    }
  }
  await broker.stop();
  // The model's own cost at each step's batch size, measured here with the broker and vigil gone (a quiet process).
  const floor = await bareOrtUsPerWindow(model, [...new Set(steps.map((x) => Math.max(1, Math.round(x.meanBatch))))]);
  for (const x of steps) x.ortUsPerWindow = floor.get(Math.max(1, Math.round(x.meanBatch)));
  const stat = (xs: number[], d = 1) => (xs.length ? `${Math.min(...xs).toFixed(d)} / ${median(xs).toFixed(d)} / ${Math.max(...xs).toFixed(d)}` : '-');
  const groups = SENSORS.flatMap((s) => RATES.map((rate) => ({ s, rate, g: steps.filter((x) => x.sensors === s && x.rate === rate) })));
  const at10k = steps.filter((x) => x.rate === 10_000);
  const ratioMax = Math.max(...steps.map((x) => x.cpuRatio));
  // With nothing but the model and the MQTT read, vigil would cost (ORT + bare) / bare of the bare subscriber.
  const floorOf = (x: Step) => ((x.ortUsPerWindow ?? NaN) * x.achieved + x.bareUsPerReading) / x.bareUsPerReading;
  const p99at10k = at10k.map((x) => x.p99);
  const notes = [
    `Shipped defaults: ${LAUNCHER.join(' ')} run (${loader}) with only --model/--broker/--topic/--metrics-port 0/--state (ORT 1 intra-op thread, no spinning, batch ${BATCH_DEFAULTS.size} / ${BATCH_DEFAULTS.maxWaitMs} ms${BATCH_DEFAULTS.adaptiveWait ? ' (adaptive wait)' : ''}, inference.worker auto: cpu on the main thread); model ${model}: conv AE, window 64, 8 channels, trained by vigil train on simulated pump data. Broker: ${given || 'bench Mosquitto with set_tcp_nodelay true'}; publisher, bare subscriber and alert listener are mqtt.js with Nagle off; vigil sets it on its own client.${QOS ? ` VARIANT: QoS 1 end to end (publisher, vigil run --qos 1, bare subscriber).` : ''}${NODE_OPTIONS ? ` VARIANT: vigil run under NODE_OPTIONS='${NODE_OPTIONS}'.` : ''}`,
    `Figures are min / median / max over ${REPEATS} runs of ${MEASURE_S} s per step (after ${SETTLE_S} s unmeasured at the same rate); the rates of one run go up in one vigil process.`,
    `${ratioMax <= 3 ? 'MET' : 'NOT MET'}: CPU per reading vigil / bare mqtt.js subscriber <= 3x at every point (worst ${ratioMax.toFixed(2)}x).`,
    `${p99at10k.every((p) => p < 20) ? 'MET' : 'NOT MET'}: p99 publish -> alert < 20 ms at 10k readings/s (${at10k.map((x) => `${x.sensors} sensors: ${x.p99.toFixed(1)}`).join(', ')} ms).`,
    `The model alone: a bare onnxruntime-node session on the same model (1 intra-op thread, no spinning) at each step's mean batch costs ${stat(steps.map((x) => x.ortUsPerWindow ?? NaN))} us CPU per window, so a runtime that did nothing but read MQTT and run the model would sit at ${stat(steps.map(floorOf), 2)}x the bare subscriber (column "floor"): the 3x target leaves ${stat(steps.map((x) => 3 * x.bareUsPerReading - x.bareUsPerReading - (x.ortUsPerWindow ?? NaN) * x.achieved))} us per reading for decoding, windows, scoring, thresholds, alerts, logs and metrics, against ${stat(steps.map((x) => x.vigilUsPerReading - x.bareUsPerReading - (x.ortUsPerWindow ?? NaN) * x.achieved))} us spent.`,
    'Latency = alert receipt wall clock - the reading ts (its publish wall clock, floored to the ms, so up to 1 ms high); the publisher paces with a 1 ms timer and the publisher, the broker, vigil, the bare subscriber and the listener share the machine.',
    'achieved = windows scored / readings sent in the step (each reading after the first window closes one window); the publisher\'s own achieved rate is the published/s column.',
  ];
  writeBenchResult({
    name: OUT,
    title: `Sustained load through \`${LAUNCHER.join(' ')} run\` as shipped vs a bare mqtt.js subscriber`,
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    notes,
    tables: [
      {
        title: `per sensors x offered rate (min / median / max over ${REPEATS} runs)`,
        columns: ['sensors', 'offered /s', 'published /s', 'scored / sent', 'vigil us/reading', 'bare us/reading', 'CPU ratio', 'ORT us/window', 'floor', 'vigil cores', 'alerts', 'p50 ms', 'p99 ms', 'RSS MB', 'mean batch', 'dropped'],
        rows: groups.map(({ s, rate, g }) => [s, rate, stat(g.map((x) => x.publishedPerS), 0), stat(g.map((x) => x.achieved), 3), stat(g.map((x) => x.vigilUsPerReading)), stat(g.map((x) => x.bareUsPerReading)), stat(g.map((x) => x.cpuRatio), 2), stat(g.map((x) => x.ortUsPerWindow ?? NaN)), stat(g.map(floorOf), 2), stat(g.map((x) => x.vigilCores), 2), stat(g.map((x) => x.alerts), 0), stat(g.map((x) => x.p50)), stat(g.map((x) => x.p99)), stat(g.map((x) => x.rssMB)), stat(g.map((x) => x.meanBatch)), stat(g.map((x) => x.dropped), 0)]),
      },
    ],
    figures: [
      {
        id: 'sustained-cpu-ratio',
        title: 'CPU per reading, vigil run / bare mqtt.js subscriber (median)',
        kind: 'line',
        xLabel: 'offered readings/s',
        yLabel: 'x',
        series: SENSORS.map((s) => ({ name: `${s} sensors`, points: RATES.map((r) => [r, median(steps.filter((x) => x.sensors === s && x.rate === r).map((x) => x.cpuRatio))] as [number, number]) })),
        caption: 'target <= 3x',
      },
      {
        id: 'sustained-p99',
        title: 'p99 publish -> alert (ms, median of runs)',
        kind: 'line',
        xLabel: 'offered readings/s',
        yLabel: 'ms',
        series: SENSORS.map((s) => ({ name: `${s} sensors`, points: RATES.map((r) => [r, median(steps.filter((x) => x.sensors === s && x.rate === r).map((x) => x.p99))] as [number, number]) })),
        caption: 'target < 20 ms at 10k/s',
      },
    ],
    data: { launcher: LAUNCHER.join(' '), nodeOptions: NODE_OPTIONS || null, loader, broker: given || 'bench mosquitto (TCP_NODELAY)', window: W, spikePeriod: SPIKE_PERIOD, measureS: MEASURE_S, settleS: SETTLE_S, steps },
  }, OUT_DIR);
}

await main();
process.exit(0);
