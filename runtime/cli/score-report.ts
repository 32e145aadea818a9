/**
 * `vigil score --report`: the scored file as the dashboard's self-contained HTML report, its score named as the card
 * computes it and the model's training rows shaded where the file holds them.
 */
import type { ModelCard } from '../model/card.ts';
import { loadDashboard } from './dashboard.ts';
import type { ScoreResult } from './score.ts';

/** What the card's score is, as the report's plots name it (a probe read "reconstruction error" on a Mahalanobis distance). */
export function scoreLabelOf(card: ModelCard): string {
  switch (card.scoring.error) {
    case 'mahalanobis':
      return 'anomaly score (Mahalanobis)';
    case 'recon-prob':
      return 'anomaly score (VAE reconstruction probability)';
    default:
      return `reconstruction error (${card.scoring.error})`;
  }
}

/** The card's training rows (first and last time) where the scored rows reach them, for the report to shade. */
export function trainedSpanOf(card: ModelCard, timestamps: ArrayLike<number>): { start: number; end: number } | undefined {
  if (!card.data || timestamps.length === 0) return undefined;
  const start = Date.parse(card.data.from);
  const end = Date.parse(card.data.to);
  const overlaps = end >= timestamps[0] && start <= timestamps[timestamps.length - 1];
  return Number.isFinite(start) && Number.isFinite(end) && overlaps ? { start, end } : undefined;
}

/** Hand the results to the dashboard's static report writer. */
export async function writeHtmlReport(path: string, res: ScoreResult, file: string, sensor: string | undefined, card: ModelCard): Promise<void> {
  const { writeReport, spansFromEvents, labelSpans } = await loadDashboard('leave out --report');
  const idx = [...res.scored.keys()].filter((r) => res.scored[r]);
  const spans = spansFromEvents(res.events);
  const labels = labelSpans(res.series);
  const model = { name: card.name, version: card.version };
  const trained = trainedSpanOf(card, res.series.timestamps);
  await writeReport(path, {
    title: `vigil score: ${file}`,
    subtitle: `model ${model.name} ${model.version}, ${res.providerReport}`,
    model,
    provider: res.provider,
    scoreLabel: scoreLabelOf(card),
    sensors: [{
      name: sensor ?? file,
      channels: res.series.channels,
      timestamps: res.series.timestamps,
      values: res.series.data,
      windowTs: idx.map((r) => res.series.timestamps[r]),
      scores: idx.map((r) => res.scores[r]),
      thresholds: idx.map((r) => res.thresholds[r]),
      anomalies: idx.map((r) => res.anomalies[r]),
      spans,
      ...(labels.length ? { labels } : {}),
      ...(trained && { trained }),
    }],
  });
}
