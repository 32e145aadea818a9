/** The quality bench's one table (methods side by side per set) and the Markdown page around it. */
import { falseAlertsPerDay } from '../../evaluate/labels/metrics.ts';
import type { MethodSummary } from './summary.ts';

/** Table header. */
export const COLUMNS = ['set', 'method', 'F1', 'precision', 'recall', 'false alarms', 'false alerts / day', 'missed', 'events', 'median delay', 'names the fault', 'protocol'];

/** False alerts per day of normal data, to two significant figures. */
export const perDay = (m: Parameters<typeof falseAlertsPerDay>[0]) => {
  const x = falseAlertsPerDay(m);
  return x >= 10 ? x.toFixed(0) : x.toPrecision(2);
};

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One table row per method and set. */
export function tableRows(summaries: MethodSummary[]): string[][] {
  return summaries.map((s) => {
    const m = s.pooled;
    const p = s.protocol;
    const protocol = 'avgDetectionRate' in p ? `DR ${f3(p.avgDetectionRate)} (${p.faults} faults) at FAR ${pct(p.normalRowsFAR)}` : '';
    return [
      s.set, s.method, f3(m.f1), f3(m.precision), f3(m.recall), pct(m.falseAlarmRate), perDay(m), pct(m.missRate),
      `${m.eventsDetected}/${m.events.length}`, m.medianDelayRows === null ? '-' : `${m.medianDelayRows} rows`,
      s.attribution ? `${pct(s.attribution.right / s.attribution.rows)} of ${s.attribution.rows}` : '', protocol,
    ];
  });
}

/** A Markdown table. */
export function markdownTable(columns: string[], rows: string[][]): string {
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A fixed-width text table for the terminal. */
export function textTable(columns: string[], rows: string[][]): string {
  const w = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd();
  return [line(columns), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}
