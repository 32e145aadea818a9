/**
 * `vigil score --report`: the scored file as the dashboard's self-contained HTML report, its score named as the card
 * computes it and the model's training rows shaded where the file holds them.
 */
import type { ModelCard } from '../model/card.ts';
import { scoreLabelOf } from '../model/score-label.ts';
import { rowsSha256 } from '../model/training-data.ts';
import { sliceRows, type Series } from '../data/series.ts';
import { loadDashboard } from './dashboard.ts';
import { groupAlerts, openedOn, openedOutside } from '../alerts/alert-lines.ts';
import { causeText } from '../scoring/cause.ts';
import { isCritical } from '../alerts/escalation.ts';
import type { AlertEvent } from '../stream/types.ts';
import type { ScoreResult } from './score.ts';

/**
 * The card's training rows (first and last time) where the scored file holds exactly them (the same rows, by the
 * card's hash of them), for the report to shade; another sensor's file of the same days is not shaded (a review).
 */
export function trainedSpanOf(card: ModelCard, series: Series): { start: number; end: number } | undefined {
  const data = card.data;
  if (!data || series.timestamps.length === 0) return undefined;
  const start = Date.parse(data.from);
  const end = Date.parse(data.to);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  const t = series.timestamps;
  let a = 0;
  while (a < t.length && t[a] < start) a++;
  let b = a;
  while (b < t.length && t[b] <= end) b++;
  if (b - a !== data.rows) return undefined;
  return rowsSha256(sliceRows(series, a, b)) === data.sha256 ? { start, end } : undefined;
}

/** The alerts of a scored file as the report lists them (as `vigil score`'s summary does, every one). */
export function reportAlerts(events: readonly AlertEvent[]) {
  return groupAlerts(events).map((a) => {
    const e = a.e;
    const closed = e.type === 'close';
    const first = openedOn(a);
    const outside = openedOutside(a);
    return {
      start: closed && e.openedAt !== undefined ? e.openedAt : e.tsLast,
      end: closed ? e.tsLast : null,
      peakScore: closed && e.peakScore !== undefined ? e.peakScore : e.score,
      peakThreshold: closed && e.peakThreshold !== undefined ? e.peakThreshold : e.threshold,
      critical: closed ? e.critical === true : isCritical(e.score, e.threshold) || a.escalations.length > 0,
      channels: e.contributors.map((c) => ({ ...c })),
      ...(first && { openedOn: first.map((c) => ({ ...c })) }),
      ...(e.cause && { found: causeText(e.cause) }),
      ...(outside && { outside }),
      escalations: a.escalations.length,
      ...(e.unresolved && { unresolved: true }),
    };
  });
}

/** Hand the results to the dashboard's static report writer. */
export async function writeHtmlReport(path: string, res: ScoreResult, file: string, sensor: string | undefined, card: ModelCard): Promise<void> {
  const { writeReport, spansFromEvents, labelSpans } = await loadDashboard('leave out --report');
  const idx = [...res.scored.keys()].filter((r) => res.scored[r]);
  const spans = spansFromEvents(res.events);
  const labels = labelSpans(res.series);
  const model = { name: card.name, version: card.version };
  const trained = trainedSpanOf(card, res.series);
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
      alerts: reportAlerts(res.events),
    }],
  });
}
