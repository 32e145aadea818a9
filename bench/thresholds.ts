/**
 * Threshold bench: update cost per kind (updates/s, state size) and detection quality against false alarms
 * as each kind's sensitivity is swept, on the synthetic streams of the contract suite and on real
 * autoencoder reconstruction errors (fixtures/data/thresholds). Writes bench/results/thresholds.json.
 *
 *   node --expose-gc bin/run-ts.mjs bench/thresholds.ts [--quick]   (without --expose-gc heap figures are rougher)
 */
import { Command } from 'commander';
import { createThreshold } from '../runtime/thresholds/factory.ts';
import { decide } from '../runtime/thresholds/threshold.ts';
import { createSmoother } from '../runtime/scoring/smoothing.ts';
import { aeScenarios, noiseSource, quality, scenarios, type Scenario } from '@vigil/fixtures/thresholds.ts';
import { machineInfo, writeBenchResult, type Figure, type Table } from './lib/result.ts';

const KINDS = ['static', 'quantile', 'ewma', 'mad', 'spot', 'dspot', 'telemanom'] as const;

/** Sensitivity sweep per kind: the parameter that trades recall for false alarms. */
const SWEEP: Record<(typeof KINDS)[number], { param: string; values: number[] }> = {
  static: { param: 'value x', values: [0.8, 1, 1.25, 1.5, 2] },
  quantile: { param: 'factor', values: [1.1, 1.2, 1.3, 1.5, 1.8, 2.2] },
  ewma: { param: 'k', values: [3, 3.5, 4, 4.5, 5, 6, 8] },
  mad: { param: 'k', values: [4, 5, 6, 8, 10, 12] },
  spot: { param: 'q', values: [3e-3, 1e-3, 3e-4, 1e-4, 3e-5] },
  dspot: { param: 'q', values: [3e-3, 1e-3, 3e-4, 1e-4, 3e-5] },
  telemanom: { param: 'p', values: [0.05, 0.1, 0.13, 0.2, 0.3] },
};

/** Mean quality of one config over a scenario set. */
function evaluate(config: Record<string, unknown>, set: Scenario[], staticScale = 1, smoothing: unknown = { kind: 'none' }): { f1: number; eventRecall: number; falseAlarm: number } {
  let f1 = 0;
  let er = 0;
  let fa = 0;
  for (const s of set) {
    const cfg = config.kind === 'static' ? { kind: 'static', value: s.card.threshold.static.value * staticScale } : config;
    const t = createThreshold(cfg, s.card);
    const m = createSmoother(smoothing);
    const q = quality(s.stream, s.stream.scores.map((x) => decide(t, m.smooth(x)).anomaly));
    f1 += q.f1;
    er += q.eventRecall;
    fa += q.falseAlarmRate;
  }
  return { f1: f1 / set.length, eventRecall: er / set.length, falseAlarm: fa / set.length };
}

/** Updates per second of `decide` with default config over a lognormal stream. */
function speed(kind: string, n: number): { perSecond: number; stateBytes: number } {
  const nz = noiseSource(9, 'lognormal', 0.6, 0.25);
  const xs = Float64Array.from({ length: n }, () => 0.02 * nz());
  const card = scenarios([1])[0].card;
  const t = createThreshold({ kind }, card);
  for (let i = 0; i < Math.min(n, 5000); i++) decide(t, xs[i]); // warm-up and JIT
  const t0 = performance.now();
  for (let i = 0; i < n; i++) decide(t, xs[i]);
  const s = (performance.now() - t0) / 1000;
  return { perSecond: n / s, stateBytes: JSON.stringify(t.toJSON()).length };
}

/** Heap bytes per instance: 500 warm instances of the default config, measured after GC when exposed. */
function memoryPerInstance(kind: string): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const card = scenarios([1])[0].card;
  const nz = noiseSource(3, 'lognormal', 0.6, 0.25);
  const xs = Array.from({ length: 2500 }, () => 0.02 * nz());
  gc?.();
  gc?.();
  const before = process.memoryUsage();
  const keep = [];
  for (let i = 0; i < 500; i++) {
    const t = createThreshold({ kind }, card);
    for (const x of xs) decide(t, x);
    keep.push(t);
  }
  gc?.();
  gc?.();
  const after = process.memoryUsage();
  const bytes = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / keep.length;
  return Math.max(0, bytes);
}

async function main(): Promise<void> {
  const o = new Command('bench/thresholds.ts').option('--quick', 'fewer updates and one seed').parse(process.argv.slice(2), { from: 'user' }).opts<{ quick?: boolean }>();
  const started = Date.now();
  const n = o.quick ? 50_000 : 300_000;
  const sets: Record<string, Scenario[]> = { synthetic: scenarios(o.quick ? [1] : [1, 2, 3]), 'autoencoder errors': aeScenarios() };

  const speedRows: Table['rows'] = [];
  const speedData: Record<string, { perSecond: number; stateBytes: number; heapBytes: number }> = {};
  for (const kind of KINDS) {
    const r = { ...speed(kind, n), heapBytes: memoryPerInstance(kind) };
    speedData[kind] = r;
    speedRows.push([kind, Math.round(r.perSecond).toLocaleString('en'), (1e9 / r.perSecond).toFixed(0), r.stateBytes.toLocaleString('en'), Math.round(r.heapBytes / 1024).toLocaleString('en')]);
    process.stderr.write(`speed ${kind}: ${Math.round(r.perSecond)} updates/s\n`);
  }

  const figures: Figure[] = [];
  const tables: Table[] = [];
  const sweepData: Record<string, unknown> = {};
  for (const [setName, set] of Object.entries(sets)) {
    const series = [];
    const rows: Table['rows'] = [];
    for (const kind of KINDS) {
      const pts: Array<[number, number]> = [];
      for (const v of SWEEP[kind].values) {
        const cfg = kind === 'static' ? { kind } : { kind, [SWEEP[kind].param]: v };
        const q = evaluate(cfg, set, kind === 'static' ? v : 1);
        pts.push([q.falseAlarm * 100, q.f1]);
        (sweepData[`${setName}/${kind}/${SWEEP[kind].param}=${v}`] = q);
      }
      series.push({ name: kind, points: pts.sort((a, b) => a[0] - b[0]) });
      const d = evaluate({ kind }, set);
      rows.push([kind, d.f1.toFixed(3), d.eventRecall.toFixed(3), `${(d.falseAlarm * 100).toFixed(2)}%`]);
      process.stderr.write(`quality ${setName} ${kind}: F1 ${d.f1.toFixed(3)}\n`);
    }
    const sm = evaluate({ kind: 'telemanom' }, set, 1, { kind: 'mean', window: 3 });
    rows.push(['telemanom after mean(3) smoothing', sm.f1.toFixed(3), sm.eventRecall.toFixed(3), `${(sm.falseAlarm * 100).toFixed(2)}%`]);
    figures.push({
      id: `thresholds-f1-vs-fa-${setName.replace(/\W+/g, '-')}`,
      title: `Threshold kinds on ${setName}: F1 against false-alarm rate as sensitivity is swept`,
      kind: 'line',
      xLabel: 'false alarms (% of normal windows)',
      yLabel: 'point-wise F1',
      logX: true,
      series,
      caption: 'Up and to the left is better; each point is one sensitivity setting (static: card level x 0.8..2).',
    });
    tables.push({ title: `Defaults on ${setName} (mean over streams)`, columns: ['kind', 'F1', 'event recall', 'false alarms'], rows });
  }
  figures.push({
    id: 'thresholds-updates-per-second',
    title: 'Threshold update cost (decide + learn, default config)',
    kind: 'bar',
    xLabel: 'kind',
    yLabel: 'updates/s',
    logY: true,
    categories: [...KINDS],
    series: [{ name: 'updates/s', points: KINDS.map((k, i) => [i, speedData[k].perSecond] as [number, number]) }],
  });
  tables.push({ title: 'Update cost', columns: ['kind', 'updates/s', 'ns/update', 'state JSON bytes', 'heap KiB/instance'], rows: speedRows });
  const file = writeBenchResult({
    name: 'thresholds',
    title: 'Thresholds: update cost and detection quality',
    machine: machineInfo(),
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    figures,
    tables,
    notes: ['Quality: synthetic = lognormal/gamma noise with slow wander, drift, spikes and level shifts; autoencoder errors = 3 conv AEs on simulated pumps with 26 faults (fixtures/data/thresholds/README.md).'],
    data: { speed: speedData, sweep: sweepData },
  });
  for (const t of tables) {
    console.log(`\n${t.title}\n${t.columns.join(' | ')}`);
    for (const r of t.rows) console.log(r.join(' | '));
  }
  console.log(`\nwrote ${file}`);
}

await main();
