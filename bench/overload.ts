/**
 * Overload: `startRuntime` (what `vigil run` runs) in its own process on a private Mosquitto, with a model
 * heavy enough that inference is the bottleneck (dense 128 -> 1024 -> 1024 -> 128, one thread). Phases:
 *   capacity  flood for a few seconds and measure windows scored per second (C);
 *   normal    0.5 C: no drops expected;
 *   overload  5 C for a minute: memory must stay bounded (peak RSS), every dropped window is counted;
 *   recovery  0.5 C again: the backlog clears, drops stop, latency returns.
 * On a shared machine the capacity phase can read low; the report also gives the throughput reached during
 * the overload and the offered/throughput ratio actually achieved.
 * Drop accounting is checked exactly: windows cut = scored + dropped (per reason) + still pending, and
 * messages published = received = decoded. Not part of `npm test`:
 *
 *   node bin/run-ts.mjs bench/overload.ts [--quick] [--overload-s 60]
 *
 * Writes bench/results/overload.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, writeBenchResult, type BenchResult } from './lib/result.ts';
import { cliArg, forkReporting } from './lib/child.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { quantile } from './lib/stats.ts';
import { MAX_PENDING_BYTES, runtimeChild, type Report } from './overload/runtime-child.ts';
import { randomDenseLayers, writeTinyModel } from '../test/inference/fixtures/tiny-model.ts';
import { startMosquitto } from '../test/reliability/support/mosquitto.ts';

const arg = cliArg;
const QUICK = process.argv.includes('--quick');
const ROLE = arg('role', 'main');
const W = 32;
const CHANNELS = ['a', 'b', 'c', 'd'];
const SENSORS = 200;
const OVERLOAD_S = Number(arg('overload-s', QUICK ? '15' : '60'));

async function main(): Promise<void> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-overload-'));
  writeTinyModel(join(dir, 'model'), { name: 'heavy', window: W, channels: CHANNELS, layers: randomDenseLayers(W, CHANNELS.length, [1024, 1024], 7), threshold: 1e9 });
  const mosq = await startMosquitto({ persistence: false });
  let published = 0;
  const samples: (Report & { phase: string; published: number })[] = [];
  let last: Report | undefined;
  let phase = 'start';
  const runtime = forkReporting<Report>(fileURLToPath(import.meta.url), ['--role', 'runtime', '--dir', dir, '--broker', mosq.url], (r) => {
    last = r;
    samples.push({ ...r, phase, published });
  });
  const until = runtime.until;
  await until(() => last !== undefined, 'the runtime', 60_000);
  const pub = await connectNoDelay(mosq.url, 'overload-pub');
  const perSensor = new Array<number>(SENSORS).fill(0);
  const send = (n: number) => {
    for (let k = 0; k < n; k++) {
      const s = published % SENSORS;
      const i = perSensor[s]++;
      pub.publish(`load/s${s}/data`, `{"ts":${1_700_000_000_000 + i * 100},"a":${Math.sin(i / 10).toFixed(3)},"b":${Math.cos(i / 10).toFixed(3)},"c":0.5,"d":${((i % 7) / 7).toFixed(3)}}`, { qos: 0 });
      published++;
    }
  };
  /** Offer `rate(now)` readings/s for `seconds`, paced by the wall clock in 10 ms steps. */
  const offer = async (rate: number | (() => number), seconds: number) => {
    const rateOf = typeof rate === 'number' ? () => rate : rate;
    const start = performance.now();
    let prev = start;
    let due = 0;
    while (performance.now() - start < seconds * 1000) {
      const now = performance.now();
      due += ((now - prev) / 1000) * rateOf();
      prev = now;
      const n = Math.floor(due);
      send(n);
      due -= n;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const dropped = (r: Report) => r.droppedQueueFull + r.droppedInferenceError;
  // Caught up: every message arrived, and every window cut is scored or counted as dropped (a batch being
  // inferred has left the queue but is not scored yet, so pending == 0 alone is not enough).
  const accounted = (r: Report) => r.windows === r.scored + dropped(r) + r.pending;
  const settled = () => until(() => last!.messages === published && last!.pending === 0 && accounted(last!), 'the runtime to catch up', 120_000);

  // Warm-up: fill every sensor's window.
  phase = 'warm-up';
  send(SENSORS * W);
  await settled();

  // Capacity: offer far more than it can take; scored per second at saturation.
  phase = 'capacity';
  // Measured over the second half of a sustained flood, once the queue is full and batches are at their size.
  const capSeconds = QUICK ? 6 : 12;
  let c0: Report | undefined;
  const half = setTimeout(() => (c0 = last), (capSeconds / 2) * 1000);
  await offer(20_000, capSeconds);
  clearTimeout(half);
  const c1 = last!;
  await settled();
  const capacity = ((c1.scored - c0!.scored) / (c1.t - c0!.t)) * 1000;
  process.stderr.write(`capacity ~ ${capacity.toFixed(0)} windows/s\n`);

  const run = async (name: string, rate: number | (() => number), seconds: number) => {
    phase = name;
    const a = last!;
    const tA = Date.now();
    const p0 = published;
    await offer(rate, seconds);
    const b = last!;
    return { name, rate: (published - p0) / ((Date.now() - tA) / 1000), seconds, from: a, to: b, tA };
  };
  /** Windows scored per second over the trailing 3 s of reports. */
  const trailingThroughput = () => {
    const now = last!;
    const old = samples.find((x) => x.t >= now.t - 3000) ?? now;
    return now.t > old.t ? ((now.scored - old.scored) / (now.t - old.t)) * 1000 : capacity;
  };
  const normal = await run('normal', 0.5 * capacity, QUICK ? 5 : 10);
  await settled();
  // 5x capacity, where capacity is what the runtime achieves right now: the offered rate follows 5x the
  // trailing throughput (at least 5x the capacity measured above), so a busy machine does not dilute it.
  const over = await run('overload', () => 5 * Math.max(capacity, trailingThroughput()), OVERLOAD_S);
  const overEnd = Date.now();
  // Recovery: back to normal load at once; how long until the backlog is gone and nothing more is dropped.
  phase = 'recovery';
  const rec0 = last!;
  let recoveredAfterS = NaN;
  const recStart = performance.now();
  const recSeconds = QUICK ? 10 : 20;
  const recRate = 0.5 * capacity;
  const recBase = published;
  while (performance.now() - recStart < recSeconds * 1000) {
    const due = Math.floor(((performance.now() - recStart) / 1000) * recRate);
    send(Math.max(0, recBase + due - published));
    if (Number.isNaN(recoveredAfterS) && last!.pending < 256 && last!.messages >= published - recRate * 0.05) recoveredAfterS = (Date.now() - overEnd) / 1000;
    await new Promise((r) => setTimeout(r, 10));
  }
  const recMid = samples.filter((s) => s.phase === 'recovery' && s.t > rec0.t + recSeconds * 500);
  const dropsLateRecovery = recMid.length ? recMid.at(-1)!.droppedQueueFull - recMid[0].droppedQueueFull : NaN;
  await settled();
  const end = last!;
  await runtime.stop();
  await pub.endAsync();
  await mosq.close();
  rmSync(dir, { recursive: true, force: true });

  const exact = end.windows === end.scored + dropped(end) + end.pending;
  const delivered = end.messages === published && end.decoded === published;
  /** p99 of the sampled latencies of a phase (optionally only its last `lastS` seconds). */
  const phaseP99 = (p: string, lastS = Infinity) => {
    const ss = samples.filter((x) => x.phase === p);
    const tEnd = ss.at(-1)?.t ?? 0;
    const xs = ss.filter((x) => x.t >= tEnd - lastS * 1000).flatMap((x) => x.lat);
    return xs.length ? quantile(xs, 0.99) : NaN;
  };
  const peak = (p: string) => Math.max(0, ...samples.filter((s) => s.phase === p).map((s) => s.rss)) / 2 ** 20;
  const phaseRow = (x: Awaited<ReturnType<typeof run>>) => [
    x.name,
    Math.round(x.rate),
    x.seconds,
    x.to.scored - x.from.scored,
    x.to.droppedQueueFull - x.from.droppedQueueFull,
    peak(x.name).toFixed(1),
    phaseP99(x.name).toFixed(1),
  ];
  const overSamples = samples.filter((s) => s.phase !== 'warm-up' && s.phase !== 'start');
  // Per-second rates from the reports.
  const rates: { t: number; offered: number; scored: number; dropped: number }[] = [];
  for (let i = 0, j = 0; i < overSamples.length; i++) {
    while (overSamples[i].t - overSamples[j].t > 1000) j++;
    const a = overSamples[j];
    const b = overSamples[i];
    const dt = (b.t - a.t) / 1000;
    if (dt >= 0.5 && i % 5 === 0) rates.push({ t: (b.t - t0) / 1000, offered: (b.published - a.published) / dt, scored: (b.scored - a.scored) / dt, dropped: (dropped(b) - dropped(a)) / dt });
  }
  const result: BenchResult = {
    name: 'overload',
    title: `Overload at 5x capacity for ${OVERLOAD_S} s (inference-bound model, ${SENSORS} sensors, window ${W})`,
    machine: machineInfo(),
    startedAt: new Date(t0).toISOString(),
    seconds: (Date.now() - t0) / 1000,
    figures: [
      {
        id: 'overload-rates',
        title: 'Offered, scored and dropped windows per second (capacity, normal, overload, recovery)',
        kind: 'line',
        xLabel: 'seconds',
        yLabel: 'per second',
        series: [
          { name: 'offered readings/s', points: rates.map((r) => [r.t, r.offered]) },
          { name: 'scored windows/s', points: rates.map((r) => [r.t, r.scored]) },
          { name: 'dropped windows/s', points: rates.map((r) => [r.t, r.dropped]) },
        ],
        caption: `overload from ${((over.tA - t0) / 1000).toFixed(0)} s to ${((overEnd - t0) / 1000).toFixed(0)} s at ${Math.round(over.rate)} readings/s on average (5x the trailing throughput); every window not scored is counted as dropped`,
      },
      {
        id: 'overload-memory',
        title: 'Runtime RSS through the same run',
        kind: 'line',
        xLabel: 'seconds',
        yLabel: 'MB',
        series: [{ name: 'RSS', points: overSamples.map((s) => [(s.t - t0) / 1000, s.rss / 2 ** 20]) }],
        caption: `peak RSS ${peak('overload').toFixed(1)} MB in overload vs ${peak('normal').toFixed(1)} MB at normal load; waiting windows bounded by ${MAX_PENDING_BYTES} bytes`,
      },
    ],
    tables: [
      {
        title: 'Phases',
        columns: ['phase', 'offered/s', 'seconds', 'scored', 'shed (memory bound)', 'peak RSS MB', 'p99 latency ms'],
        rows: [phaseRow(normal), phaseRow(over)],
      },
      {
        title: 'Accounting (whole run)',
        columns: ['figure', 'value'],
        rows: [
          ['capacity (windows scored/s at saturation, capacity phase)', Math.round(capacity)],
          ['throughput during overload (windows scored/s)', Math.round((over.to.scored - over.from.scored) / ((over.to.t - over.from.t) / 1000))],
          ['offered / throughput during overload', (over.rate / ((over.to.scored - over.from.scored) / ((over.to.t - over.from.t) / 1000))).toFixed(2)],
          ['messages published / received / decoded', `${published} / ${end.messages} / ${end.decoded}`],
          ['windows cut', end.windows],
          ['scored + dropped + pending', `${end.scored} + ${dropped(end)} + ${end.pending} = ${end.scored + dropped(end) + end.pending}`],
          ['drop counters exact', exact ? 'yes' : 'NO'],
          ['every message delivered and decoded', delivered ? 'yes' : 'NO'],
          ['recovered (backlog < 256, intake caught up) after overload ends (s)', Number.isNaN(recoveredAfterS) ? 'not within the recovery phase' : recoveredAfterS.toFixed(2)],
          ['drops in the second half of recovery', dropsLateRecovery],
          ['p99 latency in the last 3 s of recovery (ms) / normal phase', `${phaseP99('recovery', 3).toFixed(1)} / ${phaseP99('normal').toFixed(1)}`],
          ['peak RSS in the whole run (MB)', (Math.max(...samples.map((s) => s.rss)) / 2 ** 20).toFixed(1)],
        ],
      },
    ],
    notes: [
      `backlog policy: waiting windows are scored round-robin over sensors, bounded by ${MAX_PENDING_BYTES} bytes (batch.maxPendingBytes); beyond, the oldest windows of the longest backlog are shed and counted`,
      exact && delivered ? 'drop counters are exact: every window cut was scored, counted as dropped, or is pending' : 'ACCOUNTING MISMATCH',
    ],
    data: { capacity, published, end, samples: samples.filter((_, i) => i % 5 === 0).map((s) => ({ t: (s.t - t0) / 1000, phase: s.phase, rssMB: s.rss / 2 ** 20, pending: s.pending, scored: s.scored, dropped: dropped(s) })) },
  };
  const file = writeBenchResult(result);
  for (const t of result.tables!) process.stdout.write(`${t.title}\n${[t.columns, ...t.rows].map((r) => r.join(' | ')).join('\n')}\n`);
  process.stdout.write(`${result.notes!.join('\n')}\nwrote ${file}\n`);
  process.exitCode = exact && delivered ? 0 : 1;
}

if (ROLE === 'runtime') await runtimeChild();
else await main();
