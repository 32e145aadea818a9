/**
 * Evidence for training defaults: train on normal pump-like data (a few hundred rows at 1 Hz), score a longer
 * run with injected anomalies (spike, level shift, drift, stuck sensor, noise burst, broken correlation)
 * through ONNX Runtime and the runtime's scorer, and report point-wise F1 / false-alarm rate per architecture
 * and scoring span. Run: node bin/run-ts.mjs bench/train-quality.ts [--quick]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadModel, type Series } from '@vigil/runtime';
import { applyScaler } from '../runtime/scaling/scaler.ts';
import { reconstructionScores } from '../runtime/scoring/reconstruction.ts';
import { resolveSession } from '../runtime/inference/resolve.ts';
import { slidingWindows } from '../runtime/window/sliding.ts';
import { calibrateStatic } from '../train/calibrate.ts';
import { trainModel, type TrainOptions } from '../train/train.ts';
import { pumpSeries } from '@vigil/fixtures/pump.ts';
import { machineInfo, type BenchResult } from './lib/result.ts';
import { bestF1, f1At, INJECTION_KINDS, injections } from './lib/injected.ts';

const quick = process.argv.includes('--quick');
const KINDS = INJECTION_KINDS;

/** Scores of every row of `s` (0 before the first full window) for several spans, plus calibration. */
async function rowScores(model: string, test: Series, calib: Series, spans: number[]) {
  const { card, onnx } = loadModel(model);
  const { session } = await resolveSession(['cpu'], { onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: card.channels.length });
  const C = card.channels.length;
  const run = async (s: Series) => {
    const w = slidingWindows(applyScaler(card.scaler, s.data), C, card.window, 1);
    const r = await session.run(w.data, w.count);
    return { w, recon: r.reconstruction };
  };
  const t = await run(test);
  const v = await run(calib);
  await session.close();
  return spans.map((span) => {
    const scoring = { error: card.scoring.error, span };
    const ts = reconstructionScores(t.w.data, t.recon, t.w.count, card.window, C, scoring).scores;
    const vs = reconstructionScores(v.w.data, v.recon, v.w.count, card.window, C, scoring).scores;
    const rows = new Float32Array(test.timestamps.length);
    for (let i = 0; i < t.w.count; i++) rows[t.w.ends[i]] = ts[i];
    return { span, rows, threshold: calibrateStatic(vs).value };
  });
}

const configs: Partial<TrainOptions>[] = quick
  ? [{ arch: 'conv' }, { arch: 'dense' }]
  : [{ arch: 'conv' }, { arch: 'conv', hidden: [16] }, { arch: 'conv', code: 8 }, { arch: 'dense' }, { arch: 'dense', code: 16 }, { arch: 'denoising' }, { arch: 'sparse' }, { arch: 'vae' }, { arch: 'dense', loss: 'bce' }, { arch: 'conv', window: 60 }, { arch: 'dense', window: 60 }];
const seeds = quick ? [1] : [1, 2, 3];
const started = new Date();
const results: Record<string, unknown>[] = [];
mkdirSync('bench/results', { recursive: true });
for (const cfg of configs) {
  for (const seed of seeds) {
    const trainRows = pumpSeries(500, 100 + seed);
    const normal = { series: { ...trainRows.series, data: trainRows.series.data.slice(0, 400 * 8), timestamps: trainRows.series.timestamps.slice(0, 400) } };
    const calib = { ...trainRows.series, data: trainRows.series.data.slice(300 * 8), timestamps: trainRows.series.timestamps.slice(300) };
    const test = pumpSeries(1200, 200 + seed, injections(1200, 100));
    const t0 = performance.now();
    const res = await trainModel({ data: normal.series, out: `/tmp/vigil-quality/m${seed}`, seed, ...cfg });
    const secs = (performance.now() - t0) / 1000;
    res.model.dispose();
    const W = res.card.window;
    const spans = [1, 2, 4, 8, 16, W].filter((s, i, a) => s <= W && a.indexOf(s) === i);
    for (const r of await rowScores(`/tmp/vigil-quality/m${seed}`, test.series, calib, spans)) {
      const at = f1At(r.rows, test.labels, r.threshold, W - 1);
      results.push({ config: JSON.stringify(cfg), seed, window: W, span: r.span, trainSeconds: +secs.toFixed(2), f1: +at.f1.toFixed(3), precision: +at.precision.toFixed(3), recall: +at.recall.toFixed(3), falseAlarmRate: +at.falseAlarmRate.toFixed(4), bestF1: +bestF1(r.rows, test.labels, W - 1).toFixed(3) });
    }
  }
}
// Average over seeds per (config, span).
const groups = new Map<string, Record<string, number>[]>();
for (const r of results) {
  const k = `${r.config} span=${r.span}`;
  groups.set(k, [...(groups.get(k) ?? []), r as Record<string, number>]);
}
const summary = [...groups.entries()].map(([k, rs]) => {
  const avg = (f: string) => +(rs.reduce((a, r) => a + r[f], 0) / rs.length).toFixed(3);
  return { run: k, config: String(rs[0].config), span: Number(rs[0].span), f1: avg('f1'), bestF1: avg('bestF1'), falseAlarmRate: avg('falseAlarmRate'), recall: avg('recall'), trainSeconds: avg('trainSeconds') };
});
console.table(summary.map(({ config: _c, span: _s, ...r }) => r));
const configsSeen = [...new Set(summary.map((r) => r.config))];
const result: BenchResult = {
  name: `train-quality${quick ? '-quick' : ''}`,
  title: 'Detection quality per architecture and scoring span (pump-like 8-channel data, injected anomalies)',
  machine: machineInfo(),
  startedAt: started.toISOString(),
  seconds: (Date.now() - started.getTime()) / 1000,
  figures: [{
    id: 'train-quality-f1-vs-span',
    title: 'Point-wise F1 at the calibrated static threshold vs scoring span',
    kind: 'line', xLabel: 'span (trailing rows averaged into the score)', yLabel: 'F1', logX: true,
    series: configsSeen.map((c) => ({ name: c, points: summary.filter((r) => r.config === c).map((r) => [r.span, r.f1] as [number, number]) })),
    caption: `Trained on 400 normal rows, scored on 1,200 rows with ${KINDS.join(', ')}; mean over seeds ${seeds.join(', ')}.`,
  }],
  tables: [{ title: 'mean over seeds', columns: ['run', 'f1', 'bestF1', 'falseAlarmRate', 'recall', 'trainSeconds'], rows: summary.map((r) => [r.run, r.f1, r.bestF1, r.falseAlarmRate, r.recall, r.trainSeconds]) }],
  notes: ['bestF1 is the best F1 over all thresholds (threshold-free quality); f1 uses the card calibration (POT exponential tail, risk 1e-3).'],
  data: { results },
};
writeFileSync(`bench/results/train-quality${quick ? '-quick' : ''}.json`, `${JSON.stringify(result, null, 2)}\n`);
