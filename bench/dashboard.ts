/**
 * Dashboard bench: what watching costs the runtime. Per sensor count: how fast the dashboard's store records
 * readings and verdicts (it subscribes on the pipeline's thread), its memory once the rings are full, and the
 * time to build and serialise one page update. Writes bench/results/dashboard.json.
 *
 *   node --expose-gc bin/run-ts.mjs bench/dashboard.ts [--quick]
 */
import { Command } from 'commander';
import { DashboardStore } from '../dashboard/store.ts';
import type { Reading, Verdict } from '../runtime/stream/types.ts';
import { machineInfo, writeBenchResult, type Figure } from './lib/result.ts';

const CHANNELS = ['flow', 'current', 'temperature', 'pressure'];

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function measure(sensors: number, rows: number) {
  gc();
  const before = process.memoryUsage();
  const store = new DashboardStore({ channels: CHANNELS });
  const names = Array.from({ length: sensors }, (_, i) => `pump-${String(i).padStart(5, '0')}`);
  const data = new Float32Array(32 * CHANNELS.length);
  const perChannel = new Float32Array(CHANNELS.length);
  const reading: Reading = { sensor: '', ts: 0, values: { flow: 1, current: 2, temperature: 3, pressure: 4 }, receivedAt: 0 };
  const verdict: Verdict = { sensor: '', tsFirst: 0, tsLast: 0, data, seq: 0, receivedAt: 0, score: 0.1, perChannel, provider: 'bench', threshold: 1, anomaly: false };
  const total = sensors * rows;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    reading.sensor = verdict.sensor = names[i % sensors];
    reading.ts = verdict.tsLast = i;
    reading.receivedAt = verdict.receivedAt = Date.now();
    store.addReading(reading);
    store.addVerdict(verdict);
  }
  const seconds = (performance.now() - t0) / 1000;
  gc();
  const after = process.memoryUsage();
  const memMiB = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
  // One page update: the list (capped at 300 like the server), the selected sensor's full history, JSON.
  const t1 = performance.now();
  const reps = 20;
  let bytes = 0;
  for (let r = 0; r < reps; r++) {
    const msg = { sensors: store.summaries().slice(0, 300), selected: store.pointsSince(names[0]), alerts: store.recentAlerts(20) };
    bytes = JSON.stringify(msg).length;
  }
  const tickMs = (performance.now() - t1) / reps;
  return { sensors, rowsPerSensor: rows, perSensorCapacity: store.perSensorCapacity, recordsPerS: (2 * total) / seconds, memMiB, tickMs, tickKiB: bytes / 1024 };
}

async function main(): Promise<void> {
  const o = new Command('bench/dashboard').option('--quick', 'fewer sensor counts').parse(process.argv.slice(2), { from: 'user' }).opts<{ quick?: boolean }>();
  const started = new Date();
  const counts = o.quick ? [10, 1000] : [10, 100, 1000, 10_000];
  const rows = 2000; // past the 1,800-row ring, so every ring is full
  const results = counts.map((n) => {
    const r = measure(n, n >= 10_000 ? 200 : rows);
    process.stderr.write(`${n} sensors: ${(r.recordsPerS / 1e6).toFixed(2)} M records/s, ${r.memMiB.toFixed(1)} MiB, update ${r.tickMs.toFixed(2)} ms (${r.tickKiB.toFixed(0)} KiB), ${r.perSensorCapacity} rows/sensor\n`);
    return r;
  });
  const line = (id: string, title: string, yLabel: string, pick: (r: (typeof results)[number]) => number, caption: string): Figure => ({
    id,
    title,
    kind: 'line',
    xLabel: 'sensors',
    yLabel,
    logX: true,
    series: [{ name: 'dashboard store', points: results.map((r) => [r.sensors, pick(r)]) }],
    caption,
  });
  writeBenchResult({
    name: 'dashboard',
    title: 'Live dashboard: recording cost, memory and page update time',
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    figures: [
      line('dashboard-rate', 'Readings + verdicts recorded per second', 'records/s', (r) => r.recordsPerS, 'The store runs on the pipeline thread; this is its ceiling, far above what one gateway ingests.'),
      line('dashboard-memory', 'Memory with every ring full', 'MiB', (r) => r.memMiB, 'Rings shrink as sensors multiply (500k-row budget per kind), so memory levels off.'),
      line('dashboard-update', 'Time to build and serialise one page update', 'ms', (r) => r.tickMs, 'Sensor list capped at 300 rows plus the selected sensor\'s history; sent twice a second per open page.'),
    ],
    tables: [
      {
        title: 'Per sensor count',
        columns: ['sensors', 'rows kept per sensor', 'records/s', 'memory MiB', 'update ms', 'update KiB'],
        rows: results.map((r) => [r.sensors, r.perSensorCapacity, Math.round(r.recordsPerS), Number(r.memMiB.toFixed(1)), Number(r.tickMs.toFixed(2)), Number(r.tickKiB.toFixed(0))]),
      },
    ],
    data: results,
  });
}

await main();
