/**
 * Soak: `startRuntime` (what `vigil run` runs) in its own process for N minutes (default 10) on Mosquitto,
 * 1,000 sensors at 1 Hz (QoS 1), window 64, an adaptive (EWMA) threshold persisted every 10 s, a few anomalies a
 * minute (alerts open and close), 0.5% garbage (dead letters, rotated file), /metrics scraped every 30 s.
 * Reports RSS and heap over time, the RSS slope after warm-up (least squares, MB/hour), and every error
 * counter, which must all be zero. Not part of `npm test`:
 *
 *   node bin/run-ts.mjs bench/soak.ts [--minutes 10] [--sensors 1000] [--broker mqtt://127.0.0.1:1883]
 *
 * Writes bench/results/soak.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { machineInfo, writeBenchResult, type BenchResult } from './lib/result.ts';
import { cliArg, forkReporting } from './lib/child.ts';
import { writeTinyModel } from '../test/inference/fixtures/tiny-model.ts';

const arg = cliArg;
const MINUTES = Number(arg('minutes', '10'));
const SENSORS = Number(arg('sensors', '1000'));
const BROKER = arg('broker', 'mqtt://127.0.0.1:1883');
const ROLE = arg('role', 'main');
const PREFIX = `vigil-soak/${ROLE === 'main' ? process.pid : arg('prefix-pid', '0')}`;
const W = 64;
const CHANNELS = ['current', 'temp'];
const WARMUP_MIN = Math.min(2, MINUTES / 3);

/** What the runtime child reports each second. */
interface Report {
  t: number;
  rss: number;
  heapUsed: number;
  external: number;
  messages: number;
  decoded: number;
  rejected: number;
  scored: number;
  windows: number;
  pending: number;
  alertsRaised: number;
  alertsPublished: number;
  alertsDropped: number;
  errors: Record<string, number>;
  opsUrl?: string;
  status: string;
  p99: number;
}

async function runtimeChild(): Promise<void> {
  const { startRuntime } = await import('../runtime/ops/runtime.ts');
  const { defineConfig } = await import('../runtime/config/load.ts');
  const { createLogger } = await import('../runtime/ops/logger.ts');
  const dir = arg('dir', '');
  const cfg = defineConfig({
    model: join(dir, 'model', 'tiny'),
    broker: { url: BROKER, clientId: `vigil-soak-${process.pid}` },
    source: { topics: [`${PREFIX}/sensors/{sensor}/data`], qos: 1 },
    threshold: { kind: 'ewma', k: 4.5, warmup: 50 },
    alerts: { topic: `${PREFIX}/alerts/{sensor}`, closeM: 3 },
    deadLetter: { topic: `${PREFIX}/dead/{reason}`, file: join(dir, 'dead.jsonl'), maxFileBytes: 256 * 1024 },
    metrics: { port: 0 },
    state: { file: join(dir, 'state.json'), intervalMs: 10_000 },
    reload: { watch: true },
    inference: { providers: ['cpu'], threads: 1 },
    batch: { size: 256, maxWaitMs: 2 },
  });
  const h = await startRuntime(cfg, { logger: createLogger('warn') });
  const report = () => {
    const m = process.memoryUsage();
    const c = h.counters;
    const e = h.edge;
    const hl = h.health();
    const r: Report = {
      t: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      messages: e.messages,
      decoded: e.decoded,
      rejected: [...e.rejected.values()].reduce((a, b) => a + b, 0),
      scored: c.scored,
      windows: c.windows,
      pending: c.pending,
      alertsRaised: c.alertsOpened + c.alertsClosed,
      alertsPublished: e.alertsPublished,
      alertsDropped: e.alertsDropped,
      errors: {
        inferenceErrors: c.inferenceErrors,
        droppedQueueFull: c.droppedQueueFull,
        droppedInferenceError: c.droppedInferenceError,
        duplicates: c.duplicates,
        outOfOrder: c.outOfOrder,
        sensorLimit: c.sensorLimit,
        pipelineRestarts: Number(hl.pipelineRestarts ?? 0),
        statePersistFailures: e.statePersistFailures,
        deadLetterDropped: e.deadLetterDropped,
        alertsDropped: e.alertsDropped,
        reloadFailures: e.reloadFailures,
      },
      opsUrl: h.opsUrl,
      status: hl.status,
      p99: h.latency().p99,
    };
    process.send!(r);
  };
  report();
  setInterval(report, 1000).unref();
  process.on('disconnect', () => void h.stop().then(() => {
    report();
    process.exit(0);
  }));
}

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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-soak-'));
  writeTinyModel(join(dir, 'model'), { window: W, channels: CHANNELS, threshold: 5 });
  let last: Report | undefined;
  const samples: Report[] = [];
  const runtime = forkReporting<Report>(fileURLToPath(import.meta.url), ['--role', 'runtime', '--dir', dir, '--broker', BROKER, '--prefix-pid', String(process.pid)], (r) => {
    last = r;
  });
  const until = runtime.until;
  await until(() => last !== undefined, 'the runtime to start', 60_000);

  const pub = await mqtt.connectAsync(BROKER, { clientId: `soak-pub-${process.pid}` });
  const watch = await mqtt.connectAsync(BROKER, { clientId: `soak-watch-${process.pid}` });
  let alertsReceived = 0;
  let deadReceived = 0;
  watch.on('message', (t) => (t.includes('/alerts/') ? alertsReceived++ : deadReceived++));
  await watch.subscribeAsync([`${PREFIX}/alerts/#`, `${PREFIX}/dead/#`], { qos: 1 });

  const t0 = Date.now();
  const endAt = t0 + MINUTES * 60_000;
  const perSensor = new Array<number>(SENSORS).fill(0);
  let published = 0;
  let bad = 0;
  let tick = 0;
  let scrapes = 0;
  let scrapeFailures = 0;
  const startTs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  // 1 Hz per sensor: every 100 ms one tenth of the sensors publish their next reading.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() >= endAt) {
        clearInterval(timer);
        return resolve();
      }
      // Catch up by the wall clock: a late timer (busy machine) publishes every slice that is due, so the
      // offered rate stays 1 Hz per sensor.
      const due = Math.floor((Date.now() - t0) / 100);
      while (tick < due) step();
    }, 100);
  });
  function step(): void {
    {
      const slice = tick % 10;
      const second = Math.floor(tick / 10);
      for (let s = slice; s < SENSORS; s += 10) {
        const i = perSensor[s]++;
        // A spike on 5 sensors for 3 seconds every minute opens and then closes an alert for each.
        const spike = second % 60 >= 30 && second % 60 < 33 && s % 200 === 7 ? 25 : 0;
        const v = Math.sin((i + s) / 300) + spike;
        pub.publish(`${PREFIX}/sensors/pump-${s}/data`, `{"ts":${startTs + i * 1000},"current":${v.toFixed(4)},"temp":${Math.cos((i + s) / 450).toFixed(4)}}`, { qos: 1 });
        published++;
        if ((i * 7919 + s) % 200 === 0) {
          pub.publish(`${PREFIX}/sensors/pump-${s}/data`, '{"ts": garbage', { qos: 1 });
          bad++;
          published++;
        }
      }
      tick++;
      if (tick % 50 === 0 && last && last.t !== samples.at(-1)?.t) samples.push(last);
      if (tick % 300 === 0 && last?.opsUrl) {
        scrapes++;
        fetch(`${last.opsUrl}/metrics`).then((r) => r.text()).then((t) => { if (!t.includes('vigil_windows_scored_total')) scrapeFailures++; }, () => scrapeFailures++);
      }
      if (tick % 600 === 0 && last) {
        const m = ((Date.now() - t0) / 60_000).toFixed(1);
        process.stderr.write(`soak ${m} min: rss ${(last.rss / 2 ** 20).toFixed(1)} MB, heap ${(last.heapUsed / 2 ** 20).toFixed(1)} MB, scored ${last.scored}, alerts ${last.alertsRaised}, p99 ${Number(last.p99).toFixed(1)} ms\n`);
      }
    }
  }
  await until(() => last!.messages >= published, 'every message to arrive', 60_000).catch((e) => process.stderr.write(`${(e as Error).message}\n`));
  await until(() => last!.pending === 0 && last!.alertsPublished >= last!.alertsRaised, 'the runtime to drain', 30_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1500));
  const end = last!;
  await runtime.stop();
  await pub.endAsync();
  await watch.endAsync();
  rmSync(dir, { recursive: true, force: true });

  const mins = samples.map((s) => (s.t - t0) / 60_000);
  const steady = samples.filter((s) => (s.t - t0) / 60_000 >= WARMUP_MIN);
  const xsH = steady.map((s) => (s.t - t0) / 3_600_000);
  const rssSlope = slope(xsH, steady.map((s) => s.rss / 2 ** 20));
  const heapSlope = slope(xsH, steady.map((s) => s.heapUsed / 2 ** 20));
  const errors = { ...end.errors, rejectedMinusInjected: end.rejected - bad, lostMessages: published - end.messages, alertsLost: end.alertsRaised - alertsReceived, scrapeFailures };
  const errorTotal = Object.values(errors).reduce((a, b) => a + Math.abs(b), 0);
  const peakRss = Math.max(...samples.map((s) => s.rss));
  const result: BenchResult = {
    name: 'soak',
    title: `Soak: ${SENSORS} sensors at 1 Hz for ${MINUTES} min, window ${W}`,
    machine: machineInfo(),
    startedAt: new Date(t0).toISOString(),
    seconds: (Date.now() - t0) / 1000,
    figures: [
      {
        id: 'soak-memory',
        title: 'Runtime memory during the soak',
        kind: 'line',
        xLabel: 'minutes',
        yLabel: 'MB',
        series: [
          { name: 'RSS', points: samples.map((s, i) => [mins[i], s.rss / 2 ** 20]) },
          { name: 'heap used', points: samples.map((s, i) => [mins[i], s.heapUsed / 2 ** 20]) },
        ],
        caption: `RSS slope after ${WARMUP_MIN} min warm-up: ${rssSlope.toFixed(2)} MB/hour (heap ${heapSlope.toFixed(2)} MB/hour); peak RSS ${(peakRss / 2 ** 20).toFixed(1)} MB`,
      },
    ],
    tables: [
      {
        title: 'Soak totals',
        columns: ['figure', 'value'],
        rows: [
          ['messages published', published],
          ['messages received', end.messages],
          ['garbage injected / rejected', `${bad} / ${end.rejected}`],
          ['windows scored', end.scored],
          ['alerts raised / received on the topic', `${end.alertsRaised} / ${alertsReceived}`],
          ['dead letters on the topic', deadReceived],
          ['/metrics scrapes (failed)', `${scrapes} (${scrapeFailures})`],
          ['RSS slope after warm-up (MB/hour)', rssSlope.toFixed(2)],
          ['heap slope after warm-up (MB/hour)', heapSlope.toFixed(2)],
          ['peak RSS (MB)', (peakRss / 2 ** 20).toFixed(1)],
          ['p99 arrival -> verdict at the end (ms)', Number(end.p99).toFixed(2)],
          ['errors (sum of every error counter)', errorTotal],
        ],
      },
    ],
    notes: [
      errorTotal === 0 ? 'zero errors: no drops, no inference or persist failures, every alert delivered, every garbage message rejected' : `ERRORS: ${JSON.stringify(errors)}`,
      `RSS slope ${rssSlope.toFixed(2)} MB/hour over ${steady.length} samples after warm-up`,
    ],
    data: { errors, samples: samples.map((s) => ({ min: (s.t - t0) / 60_000, rssMB: s.rss / 2 ** 20, heapMB: s.heapUsed / 2 ** 20, scored: s.scored, p99: s.p99 })) },
  };
  const file = writeBenchResult(result);
  process.stdout.write(`${result.tables![0].rows.map((r) => `${r[0]}: ${r[1]}`).join('\n')}\n${result.notes!.join('\n')}\nwrote ${file}\n`);
  process.exitCode = errorTotal === 0 ? 0 : 1;
}

if (ROLE === 'runtime') await runtimeChild();
else await main();
