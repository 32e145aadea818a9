/**
 * Static HTML reports: one self-contained file (styles, uPlot and the page script inlined, data embedded as
 * JSON) with the same plots as the live dashboard. Written by `vigil score --report` and `vigil evaluate`;
 * opens from disk with no server and no network.
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundle, stylesheet, template } from './assets.ts';
import { spansFromFlags } from './spans.ts';
import { decimateRaw, decimateScores } from './decimate.ts';
import { esc } from './page/format.ts';
import { makeDirs } from '@vigil/runtime/util/make-dirs.ts';

/** One alert of a sensor in a report (runtime/alerts/alert-lines.ts `groupAlerts`). */
export interface ReportAlert {
  /** When it opened and closed (data time, epoch ms); end null: still open at the end. */
  start: number;
  end: number | null;
  /** Its worst window's score and that window's bar (an open one still open: its opening window's). */
  peakScore: number;
  peakThreshold: number;
  critical: boolean;
  /** The channels of its worst window, most first. */
  channels: { channel: string; share: number }[];
  /** The channels that opened it, when others lead its worst window. */
  openedOn?: { channel: string; share: number }[];
  /** What a check found in its worst window, in words (a stuck sensor, a roughened signal, ...). */
  found?: string;
  /**
   * The channels outside the range training saw where it opened (else in its worst window, when its open is not in
   * the file): `outside training: speed_hz 47.3 (trained 42.1 to 44.0)`.
   */
  outside?: string;
  /** Times it escalated while open. */
  escalations: number;
  /** Closed without a quiet window (its sensor silent for good). */
  unresolved?: boolean;
}

/** One sensor (or one scored file) in a report. */
export interface ReportSensor {
  name: string;
  channels: string[];
  /** Epoch ms per row. */
  timestamps: ArrayLike<number>;
  /** Row-major raw values, rows x channels, in original units. */
  values: ArrayLike<number>;
  /** Per scored window: end time (epoch ms), score, threshold and decision. */
  windowTs: ArrayLike<number>;
  scores: ArrayLike<number>;
  thresholds: ArrayLike<number>;
  anomalies: ArrayLike<number | boolean>;
  /** Alert spans (epoch ms); runs of anomalous windows when omitted. */
  spans?: { start: number; end: number | null }[];
  /** Labelled anomaly windows (ground truth), shaded blue. */
  labels?: { start: number; end: number }[];
  /** The rows the model was trained on (first and last time), where the scored data holds them: shaded grey. */
  trained?: { start: number; end: number };
  /** Figures shown beside the name, e.g. `{ recall: 0.8, 'NAB standard': 61.2 }`. */
  metrics?: Record<string, number | string>;
  /** Its alerts, listed under its plots. */
  alerts?: ReportAlert[];
}

/** Everything a report shows. */
export interface ReportInput {
  title: string;
  /** One line under the title, e.g. the command that produced it. */
  subtitle?: string;
  model?: { name: string; version: string };
  provider?: string;
  generatedAt?: Date;
  sensors: ReportSensor[];
  /** Figures for the whole report (shown at the top), e.g. overall NAB scores. */
  metrics?: Record<string, number | string>;
  /** Free-text notes shown at the bottom. */
  notes?: string[];
  /**
   * Most points plotted per series (default 8,000): longer series are thinned keeping each stretch's extremes
   * and worst window, so a report of many long files stays small. Spans and counts use every window.
   */
  maxPoints?: number;
  /** Log axis for scores (default true: reconstruction errors span decades; false for scores in [0, 1]). */
  logScore?: boolean;
  /** What the score is called in plots (default `reconstruction error`). */
  scoreLabel?: string;
}

/** The JSON embedded in the page (compact: times in ms, values to 6 significant digits). */
export interface ReportData {
  title: string;
  subtitle?: string;
  model?: { name: string; version: string };
  provider?: string;
  generatedAt: string;
  metrics?: Record<string, number | string>;
  notes?: string[];
  logScore: boolean;
  scoreLabel?: string;
  sensors: {
    name: string;
    channels: string[];
    raw: number[][];
    scores: [number, number, number, number][];
    spans: { start: number; end: number | null }[];
    labels: { start: number; end: number }[];
    trained?: { start: number; end: number };
    metrics?: Record<string, number | string>;
    alerts?: ReportAlert[];
    /** Counts over every window (the plotted points may be thinned). */
    stats: { windows: number; anomalous: number; maxScore: number | null };
  }[];
}

const sig = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

function check(s: ReportSensor): void {
  const rows = s.timestamps.length;
  const C = s.channels.length;
  if (s.values.length !== rows * C) throw new Error(`report: sensor ${s.name}: ${s.values.length} values; expected ${rows} rows x ${C} channels = ${rows * C}`);
  const n = s.windowTs.length;
  for (const [k, a] of [['scores', s.scores], ['thresholds', s.thresholds], ['anomalies', s.anomalies]] as const) {
    if (a.length !== n) throw new Error(`report: sensor ${s.name}: ${a.length} ${k}; expected one per window (${n})`);
  }
}

/** Turn report input into the embedded JSON. */
export function reportData(input: ReportInput): ReportData {
  return {
    title: input.title,
    subtitle: input.subtitle,
    model: input.model,
    provider: input.provider,
    generatedAt: (input.generatedAt ?? new Date()).toISOString(),
    metrics: input.metrics,
    notes: input.notes,
    logScore: input.logScore ?? true,
    scoreLabel: input.scoreLabel,
    sensors: input.sensors.map((s) => {
      check(s);
      const C = s.channels.length;
      const raw = Array.from({ length: s.timestamps.length }, (_, r) => {
        const row: number[] = [s.timestamps[r]];
        for (let c = 0; c < C; c++) row.push(sig(s.values[r * C + c]) as number);
        return row;
      });
      const flags: number[] = Array.from(s.anomalies, (a) => (a ? 1 : 0));
      const scores = Array.from({ length: s.windowTs.length }, (_, i) => [s.windowTs[i], sig(s.scores[i]), sig(s.thresholds[i]), flags[i]] as [number, number, number, number]);
      const spans = s.spans ?? spansFromFlags(s.windowTs, flags).map(({ start, end }) => ({ start, end }));
      const max = input.maxPoints ?? 8000;
      let maxScore = -Infinity;
      for (let i = 0; i < s.scores.length; i++) if (s.scores[i] > maxScore) maxScore = s.scores[i];
      const stats = { windows: scores.length, anomalous: flags.reduce((a, b) => a + b, 0), maxScore: Number.isFinite(maxScore) ? (sig(maxScore) as number) : null };
      return { name: s.name, channels: s.channels, raw: decimateRaw(raw, max), scores: decimateScores(scores, max), spans, labels: s.labels ?? [], ...(s.trained && { trained: s.trained }), metrics: s.metrics, ...(s.alerts?.length ? { alerts: s.alerts } : {}), stats };
    }),
  };
}

/** `</script` inside inlined code would end the tag early (`<\/` means the same inside JS strings and regexes). */
function inlineSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** Render a self-contained HTML report. */
export async function renderReport(input: ReportInput): Promise<string> {
  const data = reportData(input);
  const js = await bundle('report');
  const html = template('report.html');
  // Function replacers: `$` sequences in the inlined code must not be read as replacement patterns.
  return html
    .replace('{{title}}', () => esc(input.title))
    .replace('{{css}}', () => stylesheet().replace(/<\/style/gi, '<\\/style'))
    .replace('{{data}}', () => JSON.stringify(data).replace(/</g, '\\u003c')) // still valid JSON; no tag can end early
    .replace('{{js}}', () => inlineSafe(js));
}

/** Write a self-contained HTML report to `path` (parent folders are created). */
export async function writeReport(path: string, input: ReportInput): Promise<void> {
  const html = await renderReport(input);
  makeDirs(dirname(path));
  writeFileSync(path, html);
}
