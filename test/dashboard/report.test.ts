import { describe, expect, it } from 'vitest';
import { renderReport, reportData, type ReportSensor } from '../../dashboard/report.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import { reportAlerts, trainedSpanOf } from '../../runtime/cli/score-report.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { scoreLabelOf } from '../../runtime/model/score-label.ts';
import { rowsSha256 } from '../../runtime/model/training-data.ts';

function sensor(name: string, rows = 50): ReportSensor {
  const timestamps = Array.from({ length: rows }, (_, i) => 1_700_000_000_000 + i * 60_000);
  const windowTs = timestamps.slice(9);
  const scores = windowTs.map((_, i) => (i >= 20 && i < 25 ? 3 : 0.1 + i * 1e-9));
  return { name, channels: ['a', 'b'], timestamps, values: timestamps.flatMap((_, i) => [i, -i / 3]), windowTs, scores, thresholds: scores.map(() => 1), anomalies: scores.map((s) => s > 1) };
}

describe('HTML report', () => {
  it('is one self-contained file: styles, script and data inlined, nothing fetched', async () => {
    const html = await renderReport({ title: 'score <pump.csv>', model: { name: 'm', version: '1' }, provider: 'ort-node/cpu', sensors: [sensor('pump-1')] });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>score &lt;pump.csv&gt;</title>');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    expect(html).toContain('.u-legend'); // uPlot's stylesheet
    // Exactly the two script tags of the template close: nothing inlined ends a tag early.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('survives data that looks like markup', async () => {
    const s = sensor('</script><script>alert(1)</script>');
    const html = await renderReport({ title: 't', sensors: [s], notes: ['</script> <!-- x'] });
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const json = /<script type="application\/json" id="vigil-report-data">(.*?)<\/script>/s.exec(html)![1];
    expect(JSON.parse(json).sensors[0].name).toBe(s.name);
  });

  it('derives alert spans from runs of anomalous windows and keeps 6 significant digits', () => {
    const d = reportData({ title: 't', sensors: [sensor('p')] });
    const s = d.sensors[0];
    expect(s.spans).toEqual([{ start: s.scores[20][0], end: s.scores[24][0] }]);
    expect(s.raw[3]).toEqual([1_700_000_180_000, 3, -1]);
    expect(s.scores[7][1]).toBe(0.1);
  });

  it('thins long series but keeps the spike, every anomalous window and the true counts', () => {
    const rows = 100_000;
    const timestamps = Array.from({ length: rows }, (_, i) => i * 1000);
    const values = timestamps.map((_, i) => (i === 54_321 ? 500 : Math.sin(i / 100)));
    const windowTs = timestamps.slice(9);
    const scores = windowTs.map((_, i) => (i === 70_000 ? 9 : 0.1));
    const anomalies = scores.map((x) => x > 1);
    const d = reportData({ title: 't', maxPoints: 2000, sensors: [{ name: 'long', channels: ['v'], timestamps, values, windowTs, scores, thresholds: scores.map(() => 1), anomalies }] });
    const s = d.sensors[0];
    expect(s.raw.length).toBeLessThanOrEqual(2000);
    expect(Math.max(...s.raw.map((r) => r[1]))).toBe(500);
    expect(s.raw.map((r) => r[0])).toEqual([...s.raw.map((r) => r[0])].sort((a, b) => a - b));
    expect(s.scores.length).toBeLessThanOrEqual(2000);
    expect(s.scores.filter((r) => r[3] === 1)).toEqual([[windowTs[70_000], 9, 1, 1]]);
    expect(s.stats).toEqual({ windows: rows - 9, anomalous: 1, maxScore: 9 });
    expect(s.spans).toEqual([{ start: windowTs[70_000], end: windowTs[70_000] }]);
  });

  it('vigil score --report names the score the card computes and shades the training rows the file holds', () => {
    // A probe read "reconstruction error" on a Mahalanobis distance, with nothing marking where training ended.
    const s = sensor('p');
    const series = { timestamps: Float64Array.from(s.timestamps), channels: s.channels, data: Float32Array.from(s.values) };
    const train = { timestamps: series.timestamps.slice(0, 8), channels: s.channels, data: series.data.slice(0, 16) };
    const card = (error: string, sha256 = rowsSha256(train)) =>
      ({ scoring: { error, span: 4 }, data: { from: new Date(s.timestamps[0]).toISOString(), to: new Date(s.timestamps[7]).toISOString(), rows: 8, sha256, hash: 'h', intervalMs: 60_000 } }) as unknown as ModelCard;
    expect(scoreLabelOf(card('mahalanobis'))).toBe('anomaly score (Mahalanobis)');
    expect(scoreLabelOf(card('mse'))).toBe('reconstruction error (mse)');
    const trained = trainedSpanOf(card('mahalanobis'), series);
    expect(trained).toEqual({ start: 1_700_000_000_000, end: 1_700_000_420_000 });
    // The same days in another file (other rows): nothing to shade (a review: another sensor's file was shaded).
    expect(trainedSpanOf(card('mse', '0'.repeat(64)), series)).toBeUndefined();
    const d = reportData({ title: 't', scoreLabel: scoreLabelOf(card('mahalanobis')), sensors: [{ ...s, trained }] });
    expect(d.scoreLabel).toMatch(/Mahalanobis/);
    expect(d.sensors[0].trained).toEqual(trained);
    expect(reportData({ title: 't', sensors: [s] }).sensors[0].trained).toBeUndefined();
  });

  it('lists each alert: when, how long, how bad, the channels of its worst window and, when others opened it, those', () => {
    const ev = (type: AlertEvent['type'], at: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
      type, sensor: 's', tsFirst: at - 1000, tsLast: at, score: 15, threshold: 10, contributors: [{ channel: 'temp', share: 0.8 }], model: { name: 'm', version: '1' }, provider: 'p', ...extra,
    });
    const alerts = reportAlerts([
      ev('open', 1000),
      ev('escalate', 5000, { score: 90, contributors: [{ channel: 'flow', share: 1 }], openedAt: 1000 }),
      ev('close', 9000, { openedAt: 1000, durationMs: 8000, peakScore: 90, peakThreshold: 10, critical: true, contributors: [{ channel: 'flow', share: 1 }], cause: 'spread' }),
      ev('open', 20_000, { score: 25 }),
    ]);
    expect(alerts).toEqual([
      { start: 1000, end: 9000, peakScore: 90, peakThreshold: 10, critical: true, channels: [{ channel: 'flow', share: 1 }], openedOn: [{ channel: 'temp', share: 0.8 }], found: 'a roughened signal (row-to-row spread)', escalations: 1 },
      { start: 20_000, end: null, peakScore: 25, peakThreshold: 10, critical: true, channels: [{ channel: 'temp', share: 0.8 }], escalations: 0 },
    ]);
    expect(reportData({ title: 't', sensors: [{ ...sensor('p'), alerts }] }).sensors[0].alerts).toEqual(alerts);
  });

  it('rejects inconsistent input with what was expected', () => {
    const bad = { ...sensor('p'), scores: [1, 2, 3] };
    expect(() => reportData({ title: 't', sensors: [bad] })).toThrow(/3 scores; expected one per window \(41\)/);
    const short = { ...sensor('p'), values: [1, 2] };
    expect(() => reportData({ title: 't', sensors: [short] })).toThrow(/expected 50 rows x 2 channels = 100/);
  });
});
