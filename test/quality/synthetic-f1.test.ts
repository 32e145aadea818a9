/**
 * Evidence of quality (issue 3, section 6): the default conv autoencoder, trained with `trainModel` on the
 * clean first 1,500 rows of each of three simulated pumps (8 channels, 1 Hz), scores all 6,000 rows through
 * `scoreSeries` (the `vigil score` / `vigil run` pipeline, the card's default threshold), and the pooled
 * point-wise F1 over the rows after training must reach 0.8 with under 7 % of normal rows flagged.
 *
 * Labels (fixtures/synthetic-set.ts `pointTruth`): scoring is causal and the score of row t weighs the
 * last `span` rows of the window ending at t, so a row is anomalous on [fault start, fault end + span - 1].
 * The next window - span rows, where the window still holds faulty rows as context, count neither way. There
 * is no allowance before a fault starts, and detection delay is measured from the first faulty row.
 */
import { describe, expect, it } from 'vitest';
import { loadModel, openModel, scoreSeries } from '@vigil/runtime';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '../../train/index.ts';
import { emptyCounts, metricsOf, pointTruth, SYNTHETIC_SET, syntheticSet, tally } from '@vigil/fixtures/synthetic-set.ts';

describe('quality on labelled synthetic pumps', () => {
  it('conv autoencoder, defaults: pooled point-wise F1 >= 0.8 with under 7 % false alarms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-quality-'));
    const pooled = emptyCounts();
    const lines: string[] = [];
    for (const pump of syntheticSet()) {
      const trained = await trainModel({ data: pump.train, out: join(dir, pump.id), arch: 'conv', seed: 1 });
      trained.model.dispose();
      const model = loadModel(join(dir, pump.id));
      const { card } = model;
      const opened = await openModel(model);
      const res = await scoreSeries(pump.series, opened.ref, { sensor: pump.id, threshold: card.threshold.default }).finally(() => opened.ref.close());
      const truth = pointTruth(pump.labels, pump.series.timestamps.length, card.scoring.span, card.window);
      const one = emptyCounts();
      tally(one, res.anomalies, truth, pump.labels, card.window, SYNTHETIC_SET.trainRows);
      tally(pooled, res.anomalies, truth, pump.labels, card.window, SYNTHETIC_SET.trainRows);
      const m = metricsOf(one);
      lines.push(`${pump.id}: F1 ${m.f1.toFixed(3)}, false alarms ${(100 * m.falseAlarmRate).toFixed(2)}%, faults ${one.detected}/${one.events} (${pump.labels.map((l) => l.type).join(', ')})`);
    }
    const m = metricsOf(pooled);
    lines.push(`pooled: F1 ${m.f1.toFixed(3)} (precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)}), false-alarm rate ${(100 * m.falseAlarmRate).toFixed(2)}%, ` +
      `faults detected ${pooled.detected}/${pooled.events}, median delay ${m.medianDelayRows} rows`);
    console.log(lines.join('\n'));
    expect(pooled.events).toBeGreaterThanOrEqual(12);
    // Residual Mahalanobis with drift tracking (the default since issue 13): F1 0.843 at 4.7 % false alarms
    // (0.826 / 5.4 % with --contamination auto);
    // the squared error it replaced gave 0.802 at 9.5 % and fails the false-alarm bound.
    expect(m.f1).toBeGreaterThanOrEqual(0.8);
    expect(m.falseAlarmRate).toBeLessThan(0.07);
  }, 600_000);
});
