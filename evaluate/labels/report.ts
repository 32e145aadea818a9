/** Human-readable text for labelled-data metrics: a summary table, then one line per labelled event. */
import { formatTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { falseAlertsPerDay, type LabelMetrics } from './metrics.ts';

/** Format a duration in ms as the largest sensible unit. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** A false-alarm rate from which the events-detected line gets a note: a fifth of normal rows flagged. */
export const BUSY_FALSE_ALARMS = 0.2;

/** Format metrics; `rule` says how alerts were decided. */
export function formatLabelMetrics(m: LabelMetrics, rule: string, maxEvents = 50): string {
  const l: string[] = [];
  l.push(`Labelled evaluation over ${m.rows} rows (alert = ${rule})`);
  l.push('');
  const rows: Array<[string, string]> = [
    ['precision', m.precision.toFixed(4)],
    ['recall', m.recall.toFixed(4)],
    ['F1', m.f1.toFixed(4)],
    ['false-alarm rate', pct(m.falseAlarmRate)],
    ['false alerts', `${m.falseAlerts}${m.normalMs > 0 ? ` (${falseAlertsPerDay(m).toPrecision(3)} per day at this rate, over ${formatDuration(m.normalMs)} of normal data)` : ''}: alerts that open on a normal row, not in an event or its tolerance`],
    // Point-wise, like recall: an event whose rows were all under an alert opened before it has no missed row, yet
    // counts as missed below (its alert notified nobody of it); a probe read "miss rate 0.00%" beside "MISSED".
    ['missed event rows', pct(m.missRate)],
    ['TP / FP / TN / FN rows', `${m.tp} / ${m.fp} / ${m.tn} / ${m.fn}`],
    ['events detected', `${m.eventsDetected}/${m.events.length} (${pct(m.eventRecall)})`],
    ['detection delay', m.meanDelayMs === null ? 'n/a' : `mean ${formatDuration(m.meanDelayMs)}, median ${formatDuration(m.medianDelayMs!)}`],
  ];
  for (const [k, v] of rows) l.push(`  ${k.padEnd(24)} ${v}`);
  // With most normal rows flagged, alerts are open through most events anyway: they begin under an alert already open.
  if (m.events.length && m.falseAlarmRate >= BUSY_FALSE_ALARMS) {
    l.push('', `  note: ${pct(m.falseAlarmRate)} of normal rows are flagged, so alerts are open through most of any stretch: events often begin under an alert already open, which notifies nobody of them, and count as missed. Judge this run by its precision and false-alarm rate.`);
  }
  const outside = m.events.filter((e) => e.outside).length;
  if (outside) {
    const span = m.scored ? ` (the scored rows run from ${formatTimestamp(m.scored.from)} to ${formatTimestamp(m.scored.to)} UTC)` : '';
    l.push('', `  note: ${outside} of ${m.events.length} labelled event(s) hold no scored row${span}, so they count as missed: labels are read as UTC unless they carry an offset (2024-03-31T04:20:00+02:00); check their time zone and that they belong to this file.`);
  }
  if (m.events.length) {
    l.push('');
    l.push(`  ${'event start'.padEnd(20)} ${'end'.padEnd(20)} ${'type'.padEnd(20)} delay`);
    for (const e of m.events.slice(0, maxEvents)) {
      const delay = e.delayMs === null ? (e.outside ? 'MISSED (no scored row in it)' : 'MISSED') : `${formatDuration(e.delayMs)} (${e.delayRows} rows)`;
      l.push(`  ${formatTimestamp(e.start).padEnd(20)} ${formatTimestamp(e.end).padEnd(20)} ${(e.type ?? '').padEnd(20)} ${delay}`);
    }
    if (m.events.length > maxEvents) l.push(`  ... ${m.events.length - maxEvents} more events in the JSON output`);
  }
  return `${l.join('\n')}\n`;
}

/** One line per method (vigil and baselines judged on the same rows): the figures that compare them. */
export function formatComparison(methods: Array<{ name: string; metrics: LabelMetrics; description?: string }>): string {
  const head = ['method', 'F1', 'precision', 'recall', 'false alarms', 'false alerts', 'missed', 'events', 'median delay'];
  const rows = methods.map(({ name, metrics: m }) => [
    name, m.f1.toFixed(4), m.precision.toFixed(4), m.recall.toFixed(4), pct(m.falseAlarmRate), String(m.falseAlerts), pct(m.missRate),
    // The same delay as the table above (time), with its rows.
    `${m.eventsDetected}/${m.events.length}`, m.medianDelayRows === null || m.medianDelayMs === null ? 'n/a' : `${formatDuration(m.medianDelayMs)} (${m.medianDelayRows} rows)`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd()}`;
  const notes = methods.filter((m) => m.description).map((m) => `  ${m.name}: ${m.description}`);
  return `${[line(head), ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n')}\n`;
}
