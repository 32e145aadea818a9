/**
 * Soak through `npx vigil run` as shipped (no flags beyond model, broker, topic, a free metrics port and a temp
 * state file: bench/lib/vigil.ts) with the default conv model at window 64 (`vigil train --window 64`, 8 channels of
 * simulated pump data: the bench model of burst, sustained and memory), on a bench Mosquitto with TCP_NODELAY.
 * SENSORS sensors (1,000) round-robin at RATE readings/s (2,000: a rate this machine sustains), each reading's ts
 * its publish wall clock, one reading in 100 of each sensor a spike (alerts open and close), one message in 200
 * unreadable (must be rejected, counted). Every sensor's first window is filled first at 5,000/s (not counted),
 * then the soak runs for DURATION seconds (60 by default; `--duration 3600` for a long one), sampling every second
 * VmRSS, CPU (/proc) and /metrics. Reports RSS at start, max, end and its least-squares slope after the first
 * third, windows scored / formed, shed by reason, publish -> alert and arrival -> verdict p99, CPU, error counters.
 * Writes bench/results/soak.json. Options: USAGE below (`--help`).
 */
const USAGE = `node bin/run-ts.mjs bench/soak.ts [options]   (writes bench/results/soak.json; exit code 1 when anything was lost)
  --duration S       seconds of soak (60, --quick 20; 3600 for a leak check)
  --sensors N        sensors, round-robin (1000)
  --rate R           readings/s (2000)
  --model PATH       the model vigil runs (default: the bench's conv AE, vigil train --window 64, cached)
  --launcher CMD     how to start vigil ('npx vigil')
  --broker URL       use this broker instead of the bench's own Mosquitto
  --quick            a 20 s soak`;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
import { loadavg } from 'node:os';
import { cliArg } from './lib/child.ts';
import { alertLatencies, drain } from './lib/load.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { loadText, shedBetween, shedText, startShippedRig, type ShippedRig } from './lib/shipped.ts';
import { quantile } from './lib/stats.ts';
import { benchModel, cpuSeconds, histogramQuantile, procStatus, scrapeSeries } from './lib/vigil.ts';

const QUICK = process.argv.includes('--quick');
const DURATION_S = Number(cliArg('duration', QUICK ? '20' : '60'));
const SENSORS = Number(cliArg('sensors', '1000'));
const RATE = Number(cliArg('rate', '2000'));
const LAUNCHER = cliArg('launcher', 'npx vigil').split(' ');
const W = 64;
const SPIKE_PERIOD = 100;
const GARBAGE_EVERY = 200;
const ERROR_COUNTERS = ['vigil_inference_errors_total', 'vigil_alerts_dropped_total', 'vigil_state_persist_failures_total', 'vigil_dead_letters_dropped_total', 'vigil_webhook_failures_total'];

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

interface Sample {
  t: number;
  rssMB: number;
  heapMB: number;
  cpuS: number;
  scored: number;
  sent: number;
}

type Scrape = Awaited<ReturnType<typeof scrapeSeries>>;

/**
 * The soak itself, after every sensor's first window: RATE readings/s for DURATION_S, sampled every second, then a
 * drain. Returns the scrapes at both ends, the samples and the marks the latencies are cut by.
 */
async function soak(rig: ShippedRig) {
  const { url, load, vigil } = rig;
  const m0 = await scrapeSeries(url);
  const s0 = load.sent;
  const w0 = Date.now();
  const t0 = performance.now();
  const samples: Sample[] = [];
  const sample = async () => {
    const { sums } = await scrapeSeries(url);
    samples.push({ t: (performance.now() - t0) / 1000, rssMB: procStatus(vigil.pid).VmRSS, heapMB: (sums.vigil_nodejs_heap_size_used_bytes ?? NaN) / 2 ** 20, cpuS: cpuSeconds(vigil.pid), scored: sums.vigil_windows_scored_total ?? 0, sent: load.sent });
  };
  await sample();
  const timer = setInterval(() => {
    void sample();
    const last = samples.at(-1)!;
    if (samples.length % 10 === 0) process.stderr.write(`soak ${last.t.toFixed(0)} s: RSS ${last.rssMB.toFixed(1)} MB, scored ${last.scored - samples[0].scored}, sent ${last.sent - s0}\n`);
  }, 1000);
  await load.pace(RATE, DURATION_S);
  clearInterval(timer);
  const el = (performance.now() - t0) / 1000;
  const w1 = Date.now();
  await drain(url, load, 60_000).catch((e: Error) => process.stderr.write(`soak: ${e.message}\n`));
  await new Promise((r) => setTimeout(r, 1000));
  await sample();
  const m1 = await scrapeSeries(url);
  return { m0, m1, s0, w0, w1, el, samples };
}

/** The figures of the soak from its scrapes, samples and alerts. */
function summarise(rig: ShippedRig, run: Awaited<ReturnType<typeof soak>>, rssIdle: number, loadAverage: { start: number[]; end: number[] }) {
  const { m0, m1, samples, el, load } = { ...run, load: rig.load };
  const d = (k: string) => (m1.sums[k] ?? 0) - (m0.sums[k] ?? 0);
  const steady = samples.filter((s) => s.t >= DURATION_S / 3);
  const rssSlopePerH = slope(steady.map((s) => s.t / 3600), steady.map((s) => s.rssMB));
  const rss = samples.map((s) => s.rssMB);
  const sent = load.sent - run.s0;
  const lat = alertLatencies(rig.alerts, run.w0, run.w1);
  const cpu = samples.at(-1)!.cpuS - samples[0].cpuS;
  const o = {
    sent,
    publishedPerS: sent / el,
    formed: d('vigil_windows_total'),
    scored: d('vigil_windows_scored_total'),
    shed: shedBetween(m0.series, m1.series),
    notDelivered: load.sent + load.garbage - (m1.sums.vigil_messages_total ?? 0),
    garbage: load.garbage,
    rejected: m1.sums.vigil_rejected_total ?? 0,
    rssIdleMB: rssIdle,
    rssStartMB: rss[0],
    rssMaxMB: Math.max(...rss),
    rssEndMB: rss.at(-1)!,
    rssSlopeMBPerHour: rssSlopePerH,
    alerts: lat.length,
    alertP50: lat.length ? quantile(lat, 0.5) : NaN,
    alertP99: lat.length ? quantile(lat, 0.99) : NaN,
    verdictP99: histogramQuantile(m0.series, m1.series, 'vigil_verdict_latency_seconds', 0.99) * 1000,
    vigilCores: cpu / el,
    usPerReading: (cpu / Math.max(1, sent)) * 1e6,
    errors: Object.fromEntries(ERROR_COUNTERS.map((k) => [k, d(k)])),
    loadAverage,
  };
  // Everything that should be zero: errors, windows shed, messages lost, unreadable messages not rejected.
  const errorTotal = Object.values(o.errors).reduce((a, b) => a + b, 0) + Object.values(o.shed).reduce((a: number, b) => a + (b as number), 0) + Math.abs(o.notDelivered) + Math.abs(o.rejected - load.garbage);
  return { o, errorTotal, steadySamples: steady.length };
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg();
  const model = benchModel();
  const rig = await startShippedRig({ name: 'soak', launcher: LAUNCHER, model, load: { sensors: SENSORS, window: W, spikePeriod: SPIKE_PERIOD, qos: 0, garbageEvery: GARBAGE_EVERY } });
  const rssIdle = procStatus(rig.vigil.pid).VmRSS;
  // Fill every sensor's first window.
  await rig.load.pace(5000, (SENSORS * W) / 5000);
  await drain(rig.url, rig.load);
  const run = await soak(rig);
  await rig.stop();
  const { o, errorTotal, steadySamples } = summarise(rig, run, rssIdle, { start: load0, end: loadavg() });
  process.stderr.write(`soak: ${JSON.stringify(o)}\n`);
  report({ started, model, rig, samples: run.samples, o, errorTotal, steadySamples });
  process.exit(errorTotal === 0 ? 0 : 1);
}

/** bench/results/soak.json: the figures, and RSS through the soak. */
function report(r: { started: Date; model: string; rig: ShippedRig; samples: Sample[]; o: ReturnType<typeof summarise>['o']; errorTotal: number; steadySamples: number }): void {
  const { started, model, samples, o, errorTotal } = r;
  const { vigil, givenBroker: given, load } = r.rig;
  const { sent, shed, errors, rejected, rssIdleMB: rssIdle, rssSlopeMBPerHour: rssSlopePerH } = o;
  const f1 = (x: number) => x.toFixed(1);
  writeBenchResult({
    name: 'soak',
    title: `Soak: ${SENSORS} sensors at ${RATE} readings/s for ${DURATION_S} s through \`${LAUNCHER.join(' ')} run\` as shipped, default conv model (window ${W})`,
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    notes: [
      `Shipped defaults: ${LAUNCHER.join(' ')} run (${vigil.loader}) with only --model/--broker/--topic/--metrics-port 0/--state. Model ${model}: default conv AE of vigil train (hidden 32, code 4, kernel 5) at --window 64, 8 channels. Broker: ${given || 'bench Mosquitto with set_tcp_nodelay true'}; publisher and alert listener mqtt.js with Nagle off.`,
      errorTotal === 0 ? 'Nothing lost: no window shed, every message delivered, every unreadable message rejected, every error counter zero.' : `LOSSES OR ERRORS: shed ${JSON.stringify(shed)}, not delivered ${o.notDelivered}, rejected ${rejected} of ${load.garbage} unreadable, errors ${JSON.stringify(errors)}`,
      `RSS slope over the last two thirds (${r.steadySamples} samples): ${rssSlopePerH.toFixed(1)} MB/hour; a 60 s soak shows the working set and gross leaks only, run --duration 3600 for a leak check.`,
      `Measured under contention: a 2-core machine shared with other sessions; load average ${loadText(o.loadAverage.start)} at start, ${loadText(o.loadAverage.end)} at end (1/5/15 min).`,
    ],
    tables: [
      {
        title: 'Soak',
        columns: ['figure', 'value'],
        rows: [
          ['readings sent (published/s)', `${sent} (${o.publishedPerS.toFixed(0)})`],
          ['windows scored / formed', `${o.scored} / ${o.formed} (${(o.scored / Math.max(1, o.formed)).toFixed(4)})`],
          ['shed by reason', shedText(shed)],
          ['messages the broker never delivered to vigil', o.notDelivered],
          ['unreadable messages sent / rejected', `${load.garbage} / ${rejected}`],
          ['RSS MB idle / start / max / end', `${f1(rssIdle)} / ${f1(o.rssStartMB)} / ${f1(o.rssMaxMB)} / ${f1(o.rssEndMB)}`],
          ['RSS slope after the first third, MB/hour', f1(rssSlopePerH)],
          ['publish -> alert p50 / p99, ms', `${f1(o.alertP50)} / ${f1(o.alertP99)} (${o.alerts} alerts)`],
          ['arrival -> verdict p99, ms (histogram bucket)', String(o.verdictP99)],
          ['vigil cores / us per reading', `${o.vigilCores.toFixed(2)} / ${o.usPerReading.toFixed(0)}`],
          ['error counters', Object.entries(errors).map(([k, v]) => `${k.replace(/^vigil_|_total$/g, '')} ${v}`).join(', ')],
        ],
      },
    ],
    figures: [
      {
        id: 'soak-memory',
        title: 'vigil run RSS during the soak',
        kind: 'line',
        xLabel: 'seconds',
        yLabel: 'MB',
        markers: false,
        series: [
          { name: 'RSS', points: samples.map((s) => [s.t, s.rssMB]) },
          { name: 'V8 heap used', points: samples.map((s) => [s.t, s.heapMB]) },
        ],
        caption: `start ${f1(o.rssStartMB)}, max ${f1(o.rssMaxMB)}, end ${f1(o.rssEndMB)} MB; slope ${f1(rssSlopePerH)} MB/hour after the first third`,
      },
    ],
    data: { ...o, sensors: SENSORS, rate: RATE, durationS: DURATION_S, model, launcher: LAUNCHER.join(' '), loader: vigil.loader, samples },
  });
}

await main();
