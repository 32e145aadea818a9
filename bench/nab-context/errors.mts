// Scratch (issue 13, nab2): per-file model errors for a variant at a seed, cached to /tmp/nab2/<variant>-<seed>.bin
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadModel, type Series } from '@vigil/runtime';
import { openModel } from '@vigil/runtime/inference/open-model.ts';
import { scoreSeries } from '@vigil/runtime/stream/score-series.ts';
import { trainModel } from '@vigil/train/train.ts';
import { loadNabCorpus, type NabFile } from '../../evaluate/nab/corpus.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { modelErrors, samplingInterval } from '../../evaluate/detector/nab-detector.ts';
import { parseNabDetectorConfig, type NabDetectorConfig } from '../../evaluate/detector/nab-config.ts';

async function seriesErrors(name: string, all: Series, W: number, probation: number, cfg: NabDetectorConfig, workDir: string, from = 0): Promise<Float64Array> {
  const C = all.channels.length;
  const series: Series = { timestamps: all.timestamps.slice(from, probation), channels: all.channels, data: all.data.slice(from * C, probation * C) };
  const m = cfg.model;
  const trained = await trainModel({ data: series, out: join(workDir, name), arch: m.arch, window: W, hidden: m.hidden, code: m.code, epochs: m.epochs, patience: m.patience, batchSize: m.batchSize, learningRate: m.learningRate, span: 1, seed: m.seed, backend: m.backend, memory: m.memory, validationSplit: 0.2 });
  trained.model.dispose();
  const model = loadModel(trained.cardPath);
  const opened = await openModel(model, { providers: ['cpu', 'wasm'] });
  try {
    return (await scoreSeries(all, opened.ref, { sensor: name, threshold: model.card.threshold.default, batch: 4096 })).scores;
  } finally { await opened.ref.close(); }
}

/** Coarse view: at row i, the means (and stds) of the B trailing blocks of k rows ending at i, oldest first. Rows before the first full view repeat it. */
function coarseSeries(f: NabFile, k: number, B: number, withStd: boolean, week = false): Series {
  const n = f.values.length; const v = f.values;
  const cs = new Float64Array(n + 1), cs2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) { cs[i + 1] = cs[i] + v[i]; cs2[i + 1] = cs2[i] + v[i] * v[i]; }
  const first = k * B - 1;
  const names: string[] = [];
  for (let b = B - 1; b >= 0; b--) names.push(`m${b}`);
  if (withStd) for (let b = B - 1; b >= 0; b--) names.push(`s${b}`);
  const W0 = names.length;
  if (week) names.push('dow_sin', 'dow_cos');
  const C = names.length; const data = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const j = Math.max(i, first);
    for (let b = B - 1, c = 0; b >= 0; b--, c++) {
      const hi = j - b * k + 1, lo = hi - k;
      const mean = (cs[hi] - cs[lo]) / k;
      data[i * C + c] = mean;
      if (withStd) data[i * C + B + c] = Math.sqrt(Math.max(0, (cs2[hi] - cs2[lo]) / k - mean * mean));
    }
    if (week) { const WK = 7 * 86_400_000; const b = (2 * Math.PI * (((f.timestamps[i] % WK) + WK) % WK)) / WK; data[i * C + W0] = Math.sin(b); data[i * C + W0 + 1] = Math.cos(b); }
  }
  return { timestamps: f.timestamps, channels: names, data };
}

const [variant, seedsArg, spanHoursArg] = process.argv.slice(2);
const seeds = (seedsArg ?? '42').split(',').map(Number);
const spanHours = Number(spanHoursArg ?? 24);
const corpus = loadNabCorpus(undefined, {});
for (const seed of seeds) {
  const out = `/tmp/nab2/${variant}-${seed}.bin`;
  if (existsSync(out)) { process.stderr.write(`${out} exists\n`); continue; }
  const overrides: Record<string, unknown> = { model: { seed } };
  if (variant === 'day') overrides.timeFeatures = 'day';
  if (variant === 'dayweek') overrides.timeFeatures = 'day+week';
  if (variant.startsWith('long')) overrides.window = { hours: Number(variant.slice(4)) || spanHours, min: 8, max: 1000 };
  const cfg = parseNabDetectorConfig(overrides);
  const work = mkdtempSync(join(tmpdir(), 'nab2-'));
  const parts: Float64Array[] = []; const index: Array<[string, number]> = [];
  const t0 = performance.now();
  try {
    for (const [i, f] of corpus.files.entries()) {
      const dir = join(work, String(i)); mkdirSync(dir);
      const P = probationaryLength(f.values.length);
      let e: Float64Array;
      if (variant.startsWith('coarse')) {
        // B blocks of k rows cover spanHours; span at most half the probation so the AE has training views.
        const B = 12;
        const rowsSpan = Math.min(Math.round(spanHours * 3_600_000 / samplingInterval(f.timestamps)), Math.floor(P / 2));
        const k = Math.max(1, Math.floor(rowsSpan / B));
        const s = coarseSeries(f, k, B, variant.startsWith('coarsesd'), variant.includes('w'));
        if (variant.endsWith('R')) {
          // Causal refits: a model trained on the rows so far (the last 8 probations at most) each time the file seen doubles;
          // each model's errors divided by their median over the rows it trained on, so refits are comparable.
          e = new Float64Array(f.values.length);
          const first = k * B - 1;
          for (let t = P, r = 0; t < f.values.length; t *= 2, r++) {
            const from = Math.max(first, t - 8 * P);
            mkdirSync(join(dir, String(r)));
            const er = await seriesErrors(basename(f.path, ".csv"), s, 2, t, cfg, join(dir, String(r)), from);
            const med = Float64Array.from(er.subarray(from, t)).sort()[(t - from) >> 1] || 1;
            for (let i = r === 0 ? 0 : t; i < Math.min(2 * t, f.values.length); i++) e[i] = er[i] / med;
          }
        } else e = await seriesErrors(basename(f.path, ".csv"), s, 2, P, cfg, dir);
        e.fill(0, 0, Math.min(e.length, k * B - 1));
      } else e = (await modelErrors(f, cfg, dir)).errors;
      parts.push(e); index.push([f.path, e.length]);
    }
  } finally { rmSync(work, { recursive: true, force: true }); }
  const buf = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  writeFileSync(out, buf); writeFileSync(out + '.json', JSON.stringify(index));
  process.stderr.write(`${variant} seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
