/**
 * Which threshold suits the default conv model on the labelled synthetic pumps of the quality test
 * (fixtures/synthetic-set.ts)? Trains the three models exactly as test/quality/synthetic-f1.test.ts does
 * (cached under bench/results/tmp/synthetic-models/), then scores every pump through `scoreSeries` with each
 * threshold kind, and the card's static level scaled, and prints pooled F1 / false alarms / recall / faults.
 *
 *   node bin/run-ts.mjs bench/synthetic-thresholds.ts
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, openModel, scoreSeries } from '@vigil/runtime';
import { trainModel } from '../train/index.ts';
import { emptyCounts, metricsOf, pointTruth, SYNTHETIC_SET, syntheticSet, tally } from '@vigil/fixtures/synthetic-set.ts';
import { RESULTS_DIR } from './lib/result.ts';

const dir = join(RESULTS_DIR, 'tmp', 'synthetic-models');
const pumps = syntheticSet();
for (const p of pumps) {
  if (existsSync(join(dir, `${p.id}.json`))) continue;
  process.stderr.write(`training ${p.id}...\n`);
  (await trainModel({ data: p.train, out: join(dir, p.id), arch: 'conv', seed: 1 })).model.dispose();
}
type Make = (staticLevel: number) => unknown;
const CONFIGS: Array<[string, Make, number | undefined]> = [
  ['static (card default)', (v) => ({ kind: 'static', value: v }), undefined],
  ['static x 1.25', (v) => ({ kind: 'static', value: 1.25 * v }), undefined],
  ['static x 1.5', (v) => ({ kind: 'static', value: 1.5 * v }), undefined],
  ['static x 2', (v) => ({ kind: 'static', value: 2 * v }), undefined],
  ['quantile', () => ({ kind: 'quantile' }), undefined],
  ['mad', () => ({ kind: 'mad' }), undefined],
  ['ewma', () => ({ kind: 'ewma' }), undefined],
  ['spot', () => ({ kind: 'spot' }), undefined],
  ['dspot', () => ({ kind: 'dspot' }), undefined],
  ['telemanom', () => ({ kind: 'telemanom' }), undefined],
  ['telemanom, EWMA 0.5 smoothing', () => ({ kind: 'telemanom' }), 0.5],
];
const lines = ['| threshold | F1 | false alarms | recall | faults found | median delay (rows) |', '|---|---|---|---|---|---|'];
for (const [name, make, smoothing] of CONFIGS) {
  const c = emptyCounts();
  for (const p of pumps) {
    const model = loadModel(join(dir, p.id));
    const opened = await openModel(model);
    const res = await scoreSeries(p.series, opened.ref, { sensor: p.id, threshold: make(model.card.threshold.static.value), smoothing }).finally(() => opened.ref.close());
    tally(c, res.anomalies, pointTruth(p.labels, p.series.timestamps.length, model.card.scoring.span, model.card.window), p.labels, model.card.window, SYNTHETIC_SET.trainRows);
  }
  const m = metricsOf(c);
  lines.push(`| ${name} | ${m.f1.toFixed(3)} | ${(100 * m.falseAlarmRate).toFixed(2)}% | ${m.recall.toFixed(3)} | ${c.detected}/${c.events} | ${m.medianDelayRows} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
