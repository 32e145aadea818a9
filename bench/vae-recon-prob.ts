/**
 * VAE: reconstruction probability (An & Cho 2015) vs reconstruction error on the labelled synthetic pump benchmark
 * of bench/train-quality.ts (train on 400 normal rows, score 1,200 rows with spikes, level shifts, drifts, stuck
 * sensors, noise bursts and a broken correlation). One trained VAE per seed; every score comes from the same
 * ONNX Runtime run, so the only difference is the scoring. Also: the variance-normalised error of the mean path
 * (what the variances alone change) and the number of samples L.
 * Run: node bin/run-ts.mjs bench/vae-recon-prob.ts [--quick]
 */
import { writeFileSync } from 'node:fs';
import { loadModel, type ModelCard, type Series } from '@vigil/runtime';
import { applyScaler } from '../runtime/scaling/scaler.ts';
import { reconProbScores } from '../runtime/scoring/recon-prob.ts';
import { resolveSession } from '../runtime/inference/resolve.ts';
import { scoreOutputs } from '../runtime/scoring/score-outputs.ts';
import { slidingWindows } from '../runtime/window/sliding.ts';
import type { Scoring } from '../runtime/model/card.ts';
import { calibrateStatic } from '../train/calibrate.ts';
import { decoderVariance } from '../train/models/recon-prob.ts';
import { trainModel } from '../train/train.ts';
import { pumpSeries, type Injection } from '@vigil/fixtures/pump.ts';
import { machineInfo, RESULTS_DIR, type BenchResult } from './lib/result.ts';
import { bestF1, f1At, INJECTION_KINDS, injections } from './lib/injected.ts';

const quick = process.argv.includes('--quick');
const KINDS = INJECTION_KINDS;
const seeds = quick ? [1] : [1, 2, 3, 4, 5];
const sampleCounts = quick ? [16] : [2, 4, 16, 64];

/** Share of injected events with at least one row flagged inside it (or within `window` rows after its start). */
function eventRecall(scores: Float32Array, inj: Injection[], kind: Injection['kind'], thr: number): number {
  const evs = inj.filter((e) => e.kind === kind);
  return evs.filter((e) => scores.subarray(e.start, e.start + e.length).some((s) => s > thr)).length / evs.length;
}

/** Run a series through the model once; returns windows, reconstruction and samples. */
async function runModel(card: ModelCard, onnx: Uint8Array, s: Series) {
  const C = card.channels.length;
  const { session } = await resolveSession(['cpu'], { onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: C });
  const w = slidingWindows(applyScaler(card.scaler, s.data), C, card.window, 1);
  const out = await session.run(w.data, w.count);
  await session.close();
  return { w, out };
}

type Run = Awaited<ReturnType<typeof runModel>>;
const rowsOf = (r: Run, scores: Float32Array, n: number) => {
  const rows = new Float32Array(n);
  for (let i = 0; i < r.w.count; i++) rows[r.w.ends[i]] = scores[i];
  return rows;
};

const started = new Date();
const results: Record<string, string | number>[] = [];
for (const seed of seeds) {
  const trainRows = pumpSeries(500, 100 + seed);
  const normal: Series = { ...trainRows.series, data: trainRows.series.data.slice(0, 400 * 8), timestamps: trainRows.series.timestamps.slice(0, 400) };
  const calib: Series = { ...trainRows.series, data: trainRows.series.data.slice(300 * 8), timestamps: trainRows.series.timestamps.slice(300) };
  const inj = injections(1200, 100);
  const test = pumpSeries(1200, 200 + seed, inj);
  for (const L of sampleCounts) {
    const out = `/tmp/vigil-vae-rp/s${seed}-L${L}`;
    const res = await trainModel({ data: normal, out, arch: 'vae', score: 'recon-prob', samples: L, seed });
    res.model.dispose();
    const { card, onnx } = loadModel(out);
    const W = card.window;
    const C = card.channels.length;
    const t = await runModel(card, onnx, test.series);
    const v = await runModel(card, onnx, calib);
    const variants: [string, (r: Run) => Float32Array][] = [[`recon-prob L=${L}`, (r) => scoreOutputs(r.w.data, r.out, r.w.count, W, C, card.scoring).scores]];
    // Sampling does not change the weights, so the error-based variants are computed once per seed.
    if (L === sampleCounts[sampleCounts.length - 1]) {
      const mse: Scoring = { error: 'mse', span: card.scoring.span };
      const meanPath: Scoring = { ...card.scoring, reconProb: { ...card.scoring.reconProb!, samples: 1, rows: W } };
      variants.push(['error (mse)', (r) => scoreOutputs(r.w.data, r.out, r.w.count, W, C, mse).scores]);
      variants.push(['mean path / variance', (r) => reconProbScores(r.w.data, r.out.reconstruction, r.w.count, W, C, meanPath).scores]);
      // The card's variances come from the validation windows; the training windows' own residuals are smaller (fitted).
      const fitted = await runModel(card, onnx, { ...normal, data: normal.data.slice(0, 320 * C), timestamps: normal.timestamps.slice(0, 320) });
      const trainVar: Scoring = { ...card.scoring, reconProb: { ...card.scoring.reconProb!, variance: decoderVariance(fitted.w.data, fitted.out.extra.samples, fitted.w.count, W, C, L, card.scoring.reconProb!.rows, card.scoring.span) } };
      variants.push([`recon-prob L=${L}, train-window variance`, (r) => scoreOutputs(r.w.data, r.out, r.w.count, W, C, trainVar).scores]);
    }
    for (const [name, score] of variants) {
      const rows = rowsOf(t, score(t), test.labels.length);
      const thr = calibrateStatic(score(v)).value;
      const at = f1At(rows, test.labels, thr, W - 1);
      const row: Record<string, string | number> = { scoring: name, seed, f1: at.f1, bestF1: bestF1(rows, test.labels, W - 1), falseAlarmRate: at.falseAlarmRate, recall: at.recall };
      for (const k of KINDS) row[k] = eventRecall(rows, inj, k, thr);
      results.push(row);
    }
  }
}

const names = [...new Set(results.map((r) => String(r.scoring)))];
const fields = ['f1', 'bestF1', 'falseAlarmRate', 'recall', ...KINDS];
const summary = names.map((name) => {
  const rs = results.filter((r) => r.scoring === name);
  const row: Record<string, string | number> = { scoring: name };
  for (const f of fields) row[f] = +(rs.reduce((a, r) => a + Number(r[f]), 0) / rs.length).toFixed(3);
  return row;
});
console.table(summary);
const result: BenchResult = {
  name: `vae-recon-prob${quick ? '-quick' : ''}`,
  title: 'VAE: reconstruction probability vs reconstruction error (pump-like 8-channel data, injected anomalies)',
  machine: machineInfo(),
  startedAt: started.toISOString(),
  seconds: (Date.now() - started.getTime()) / 1000,
  figures: [{
    id: 'vae-recon-prob-f1',
    title: 'VAE scoring: F1 at the calibrated static threshold and best F1 over thresholds',
    kind: 'bar', xLabel: 'scoring', yLabel: 'F1', categories: names,
    series: [
      { name: 'F1 (calibrated)', points: summary.map((r, i) => [i, Number(r.f1)] as [number, number]) },
      { name: 'best F1', points: summary.map((r, i) => [i, Number(r.bestF1)] as [number, number]) },
    ],
    caption: `Same VAE per seed (${seeds.join(', ')}), same ONNX Runtime outputs; span 4, static threshold from the validation tail (risk 1e-3).`,
  }],
  tables: [{ title: 'mean over seeds (event columns: share of injected events with a flagged row)', columns: ['scoring', ...fields], rows: summary.map((r) => ['scoring', ...fields].map((f) => r[f])) }],
  notes: [
    'recon-prob: mean over L fixed (antithetic) draws of z ~ q(z|x) of -log N(x | decode(z), sigma_c^2) over the last 4 rows, from its floor; sigma_c^2 = mean squared residual of the sampled decodes on the validation windows (train-window variance: on the training windows instead).',
    'mean path / variance: the same per-channel variances applied to the deterministic reconstruction (L = 1, z = mean): separates what the variances do from what sampling does.',
  ],
  data: { results },
};
writeFileSync(`${RESULTS_DIR}/${result.name}.json`, `${JSON.stringify(result, null, 2)}\n`);
