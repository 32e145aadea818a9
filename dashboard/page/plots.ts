/**
 * The plots for one sensor, shared by the live page, the static report and in-browser scoring: one strip
 * per raw channel, then the reconstruction error against its threshold, all on one time axis with alert
 * spans shaded. Times are shown in UTC, like the CSV files they come from.
 */
import uPlot from 'uplot';
import { spansPlugin } from './spans-plugin.ts';
import { breakAtGaps } from './gaps.ts';

/** Raw row: epoch ms then one value per channel. */
export type RawRow = number[];
/** Verdict row: window end (epoch ms), score, threshold, anomaly (0/1). */
export type ScoreRow = [number, number, number, number];
/** A shaded span, epoch ms; `end` null while open. */
export interface Span {
  start: number;
  end: number | null;
}

/** Everything plotted for one sensor. */
export interface SensorPlotData {
  channels: string[];
  raw: RawRow[];
  scores: ScoreRow[];
  spans: Span[];
  /** Labelled anomaly windows (ground truth), shaded blue behind the alert spans. */
  labels?: Span[];
  /** The rows the model was trained on, where the scored data holds them: shaded grey behind everything. */
  trained?: Span;
}

/** Colour per channel (Okabe-Ito, readable for colour-blind eyes). */
export const CHANNEL_COLORS = ['#0072B2', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#D55E00', '#7a7a7a', '#332288'];
const SCORE = '#1d3557';
const THRESHOLD = '#d97706';
const ALERT = '#c62828';

const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

/** Tick labels in 24-hour UTC; the date is shown on the first tick and wherever it changes. */
function timeTicks(_u: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  const days = splits.map((s) => new Date(s * 1000).toISOString().slice(0, 10));
  return splits.map((s, i) => {
    const iso = new Date(s * 1000).toISOString();
    const time = incr < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
    if (incr >= 86400) return days[i].slice(5);
    // The first tick names its day unless a day change follows right after (the labels would collide).
    const first = i === 0 && days[1] === days[0] && (days[2] === undefined || days[2] === days[0]);
    return first || (i > 0 && days[i] !== days[i - 1]) ? `${time}\n${days[i]}` : time;
  });
}

/** Value tick labels: short, exponent for very small or large values (log axes span decades). */
function valueTicks(_u: uPlot, splits: (number | null)[]): (string | null)[] {
  return splits.map((v) => {
    if (v === null || v === undefined) return null;
    const a = Math.abs(v);
    if (a === 0) return '0';
    if (a < 1e-3 || a >= 1e5) return v.toExponential(0);
    return String(Number(v.toPrecision(3)));
  });
}

function legendTime(_u: uPlot, v: number | null): string {
  return v === null ? '–' : new Date(v * 1000).toISOString().replace('T', ' ').slice(0, 19);
}


/** Options for the plot group. */
export interface PlotOptions {
  /** Logarithmic score axis (default true: an incident can be 100x the threshold). */
  logScore?: boolean;
  /** Height of each raw-channel strip, px. */
  rawHeight?: number;
  /** Height of the score plot, px. */
  scoreHeight?: number;
  /** What the score is called (default `reconstruction error`; e.g. `anomaly score` for other detectors). */
  scoreLabel?: string;
}

/** A group of synced plots for one sensor. */
export class SensorPlots {
  private readonly plots: uPlot[] = [];
  private spans: Span[] = [];
  private labels: Span[] = [];
  private trained: Span | undefined;
  private readonly observer: ResizeObserver | undefined;
  private zoomed = false;
  private readonly syncKey = `vigil-${Math.random().toString(36).slice(2)}`;
  /** What the score plot calls the score (`PlotOptions.scoreLabel`). */
  get scoreLabel(): string {
    return this.opts.scoreLabel ?? 'reconstruction error';
  }

  constructor(
    private readonly root: HTMLElement,
    readonly channels: string[],
    private readonly opts: PlotOptions = {},
  ) {
    root.classList.add('plots');
    root.replaceChildren();
    const width = Math.max(320, root.clientWidth || 800);
    channels.forEach((name, i) => this.plots.push(this.rawPlot(name, CHANNEL_COLORS[i % CHANNEL_COLORS.length], width)));
    this.plots.push(this.scorePlot(width));
    if (typeof ResizeObserver !== 'undefined') {
      this.observer = new ResizeObserver(() => this.resize());
      this.observer.observe(root);
    }
  }

  private common(width: number, height: number, title: string, bottom: boolean): Partial<uPlot.Options> {
    const grid = { stroke: '#eceef1', width: 1 };
    const ticks = { stroke: '#d5d9df', width: 1 };
    const font = '11px system-ui, sans-serif';
    return {
      width,
      height,
      tzDate: utc,
      legend: { show: true, live: true },
      cursor: {
        sync: { key: this.syncKey, setSeries: false },
        drag: { x: true, y: false, setScale: true },
      },
      plugins: [spansPlugin(() => ({ spans: this.spans, labels: this.labels, trained: this.trained }))],
      hooks: {
        ready: [(u: uPlot) => u.over.addEventListener('dblclick', () => this.resetZoom())],
        setSelect: [() => (this.zoomed = true)],
        setScale: [
          (u: uPlot, key: string) => {
            if (key !== 'x' || !this.zoomed) return;
            // Zoom one plot, zoom them all.
            for (const p of this.plots) {
              if (p !== u && (p.scales.x.min !== u.scales.x.min || p.scales.x.max !== u.scales.x.max)) {
                p.setScale('x', { min: u.scales.x.min!, max: u.scales.x.max! });
              }
            }
          },
        ],
      },
      axes: [
        // Only the bottom plot labels time; the strips above share its grid and cursor.
        bottom
          ? { stroke: '#5b6472', grid, ticks, font, values: timeTicks, size: 40, space: 72 }
          : { stroke: '#5b6472', grid, ticks: { show: false }, font, values: (_u: uPlot, splits: number[]) => splits.map(() => ''), size: 4, space: 72 },
        {
          stroke: '#5b6472',
          grid,
          ticks,
          font,
          // Channel strips are named by their legend (long names do not fit a rotated label on a short strip),
          // but keep the same empty label gutter so every plot's time axis lines up with the one below.
          size: 64,
          values: valueTicks as unknown as uPlot.Axis['values'],
          label: title,
          labelSize: 16,
          labelFont: '600 11px system-ui, sans-serif',
        },
      ],
    };
  }

  private rawPlot(name: string, color: string, width: number): uPlot {
    const el = document.createElement('div');
    el.className = 'plot plot-raw';
    this.root.append(el);
    const opts: uPlot.Options = {
      ...(this.common(width, this.opts.rawHeight ?? 96, '', false) as uPlot.Options),
      scales: { x: { time: true } },
      series: [{ label: 'UTC', value: legendTime }, { label: name, stroke: color, width: 1.25, points: { show: false } }],
    };
    return new uPlot(opts, [[], []], el);
  }

  private scorePlot(width: number): uPlot {
    const el = document.createElement('div');
    el.className = 'plot plot-score';
    this.root.append(el);
    const log = this.opts.logScore ?? true;
    const opts: uPlot.Options = {
      ...(this.common(width, this.opts.scoreHeight ?? 200, log ? `${this.shortScoreLabel} (log)` : this.shortScoreLabel, true) as uPlot.Options),
      scales: { x: { time: true }, y: log ? { distr: 3 } : {} },
      series: [
        { label: 'UTC', value: legendTime },
        { label: this.scoreLabel, stroke: SCORE, width: 1.25, points: { show: false } },
        { label: 'threshold', stroke: THRESHOLD, width: 1.5, dash: [6, 4], points: { show: false } },
        { label: 'anomalous window', stroke: ALERT, fill: ALERT, width: 0, paths: () => null, points: { show: true, size: 4, fill: ALERT, stroke: ALERT } },
      ],
    };
    return new uPlot(opts, [[], [], [], []], el);
  }

  private get shortScoreLabel(): string {
    return this.opts.scoreLabel ? this.opts.scoreLabel.replace(/^anomaly /, '').replace(/^reconstruction error/, 'error') : 'error';
  }

  /** Replace the plotted data. */
  setData(d: SensorPlotData): void {
    this.spans = d.spans;
    this.labels = d.labels ?? [];
    this.trained = d.trained;
    const xs = d.raw.map((r) => r[0] / 1000);
    // A gap in the data (a restart, an outage) stays empty rather than bridged by a line (gaps.ts).
    const raw = breakAtGaps(xs, this.channels.map((_, i) => d.raw.map((r) => (Number.isFinite(r[i + 1]) ? r[i + 1] : null))));
    this.channels.forEach((_, i) => this.plots[i].setData([raw.xs, raw.series[i]] as uPlot.AlignedData, !this.zoomed));
    const log = this.opts.logScore ?? true;
    // Log axes cannot show zero; a perfect reconstruction sits at the floor instead of vanishing.
    const pos = (v: number) => (log ? Math.max(v, 1e-9) : v);
    const sx = d.scores.map((r) => r[0] / 1000);
    const score = d.scores.map((r) => pos(r[1]));
    const thr = d.scores.map((r) => (Number.isFinite(r[2]) ? pos(r[2]) : null));
    const anom = d.scores.map((r) => (r[3] ? pos(r[1]) : null));
    const scored = breakAtGaps(sx, [score, thr, anom]);
    this.plots[this.plots.length - 1].setData([scored.xs, ...scored.series] as uPlot.AlignedData, !this.zoomed);
    if (!this.zoomed) this.alignX(xs, sx);
  }

  /** Give every plot the same time range, the union of raw and score times. */
  private alignX(xs: number[], sx: number[]): void {
    const lo = Math.min(xs[0] ?? Infinity, sx[0] ?? Infinity);
    const hi = Math.max(xs[xs.length - 1] ?? -Infinity, sx[sx.length - 1] ?? -Infinity);
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return;
    for (const p of this.plots) p.setScale('x', { min: lo, max: hi });
  }

  /** Undo a zoom and follow the data again (double-click on a plot does this). */
  resetZoom(): void {
    this.zoomed = false;
    const xs = this.plots.flatMap((p) => {
      const x = p.data[0];
      return x.length ? [x[0], x[x.length - 1]] : [];
    });
    if (xs.length) for (const p of this.plots) p.setScale('x', { min: Math.min(...xs), max: Math.max(...xs) });
  }

  /** Whether the user has zoomed in (live updates then keep the view still). */
  get isZoomed(): boolean {
    return this.zoomed;
  }

  /**
   * Zoom every plot to [fromMs, toMs] (epoch ms), as a drag would: live updates then keep the view still. Within the
   * points held: an alert from before a restart (restored open) had the axis span the downtime, this run's data a
   * sliver at its right edge (a probe); one that ended before them (from the recording) leaves the view as it is.
   */
  zoomTo(fromMs: number, toMs: number): void {
    const held = this.plots.flatMap((p) => (p.data[0].length ? [p.data[0][0] * 1000, p.data[0][p.data[0].length - 1] * 1000] : []));
    const from = held.length ? Math.max(fromMs, Math.min(...held)) : fromMs;
    const to = held.length ? Math.min(toMs, Math.max(...held)) : toMs;
    if (!(to > from)) return;
    this.zoomed = true;
    for (const p of this.plots) p.setScale('x', { min: from / 1000, max: to / 1000 });
  }

  /** The time range shown (epoch ms), or undefined before any data. */
  get shownRange(): { from: number; to: number } | undefined {
    const x = this.plots[this.plots.length - 1]?.scales.x;
    return x && x.min !== undefined && x.max !== undefined ? { from: x.min * 1000, to: x.max * 1000 } : undefined;
  }

  private resize(): void {
    const width = Math.max(320, this.root.clientWidth);
    for (const p of this.plots) if (p.width !== width) p.setSize({ width, height: p.height });
  }

  /** Remove the plots. */
  destroy(): void {
    this.observer?.disconnect();
    for (const p of this.plots) p.destroy();
    this.plots.length = 0;
    this.root.replaceChildren();
  }
}
