/**
 * Bench figures as SVG: line charts (linear or log axes) and grouped bar charts, with axes, ticks, gridlines and a
 * legend, drawn with @vigil/plot. Output is a standalone SVG string.
 */
import { axisTitles, band, el, esc, extent, legend, linearScale, linePath, logScale, px, svgDoc, text, xAxis, yAxis, type Scale } from '@vigil/plot';
import type { Figure } from './result.ts';

const W = 720;
const H = 400;
const BASE_MARGIN = { top: 40, right: 170, bottom: 64, left: 74 };
/** Extra room under the plot for rotated category labels. */
const ROTATED_BOTTOM = 96;
type Margin = typeof BASE_MARGIN;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Compact number for tick labels: 1.2k, 3.4M, 0.05. */
export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return `${+v.toPrecision(4)}`;
  return `${+v.toPrecision(2)}`;
}

/** A value axis from `from` to `to` px: decades when log, else round steps from zero (when `zero`) or the data. */
function axis(values: number[], log: boolean, from: number, to: number, zero: boolean): Scale {
  const [lo, hi] = extent(values, log) ?? (log ? [1, 10] : [0, 1]);
  if (log) return logScale(lo, hi, from, to, { nice: true });
  const low = zero ? Math.min(0, lo) : lo;
  return linearScale(low, hi === low ? low + 1 : hi, from, to, { nice: true });
}

function frame(M: Margin, f: Figure, body: string[], xTicks: string[], yAxisScale: Scale, legendItems: string[]): string {
  const box = { left: M.left, right: W - M.right, top: M.top, bottom: H - M.bottom };
  return svgDoc(W, H, [
    text(W / 2, 22, f.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }),
    ...yAxis(yAxisScale, box, fmt),
    ...xTicks,
    el('line', { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom, stroke: '#333' }),
    el('line', { x1: box.left, x2: box.left, y1: box.bottom, y2: box.top, stroke: '#333' }),
    ...axisTitles(box, `${f.xLabel}${f.logX ? ' (log)' : ''}`, H - 8, `${f.yLabel}${f.logY ? ' (log)' : ''}`),
    ...body,
    ...legendItems,
  ], { font: 'Helvetica,Arial,sans-serif', fontSize: 12 });
}

function legendOf(M: Margin, names: string[]): string[] {
  return legend(W - M.right + 14, M.top + 9, names.map((n, i) => ({ label: n.length > 22 ? `${n.slice(0, 21)}…` : n, color: COLORS[i % COLORS.length] })));
}

/** Render a line figure. */
function lineChart(f: Figure): string {
  const M = BASE_MARGIN;
  const xs = f.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = f.series.flatMap((s) => s.points.map((p) => p[1]));
  const xa = axis(xs, !!f.logX, M.left, W - M.right, false);
  const ya = axis(ys, !!f.logY, H - M.bottom, M.top, !f.logY);
  const xTicks = xAxis(xa, { left: M.left, right: W - M.right, top: M.top, bottom: H - M.bottom }, fmt);
  const body = f.series.flatMap((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const d = linePath(pts.map(([x, y]) => [xa.map(x), ya.map(y)]));
    const dots = f.markers === false ? [] : pts.map(([x, y]) => el('circle', { cx: xa.map(x), cy: ya.map(y), r: 3, fill: c }));
    return [el('path', { d, fill: 'none', stroke: c, 'stroke-width': f.markers === false ? 1 : 2 }), ...dots];
  });
  const bands = (f.bands ?? []).map(([a, b]) => band(xa.map(a), xa.map(b), { top: M.top, bottom: H - M.bottom }, '#d62728', 0.12));
  return frame(M, f, [...bands, ...body], xTicks, ya, legendOf(M, f.series.map((s) => s.name)));
}

/** Render a grouped bar figure; values are printed above the bars. */
function barChart(f: Figure): string {
  const cats = f.categories ?? [];
  const span = (W - BASE_MARGIN.right - BASE_MARGIN.left) / Math.max(1, cats.length);
  // Rotate the category labels when they would not fit side by side.
  const rotate = cats.some((c) => Math.min(c.length, 18) * 6.5 > span - 4);
  const M = rotate ? { ...BASE_MARGIN, bottom: ROTATED_BOTTOM } : BASE_MARGIN;
  const ys = f.series.flatMap((s) => s.points.map((p) => p[1]));
  const ya = axis(ys, !!f.logY, H - M.bottom, M.top, !f.logY);
  const bw = (span * 0.8) / Math.max(1, f.series.length);
  const base = f.logY ? H - M.bottom : ya.map(0);
  const hl = new Set(f.highlight ?? []);
  const xTicks = cats.map((c, k) => {
    const x = M.left + span * (k + 0.5);
    const label = c.length > 18 ? `${c.slice(0, 17)}…` : c;
    const weight = hl.has(c) ? 'bold' : undefined;
    return rotate
      ? el('text', { transform: `translate(${px(x - 4)} ${H - M.bottom + 12}) rotate(20)`, 'text-anchor': 'start', 'font-size': 11, 'font-weight': weight }, esc(label))
      : text(x, H - M.bottom + 16, label, { 'text-anchor': 'middle', 'font-weight': weight });
  });
  // Value labels only where a bar is wide enough to carry one.
  const labelled = bw >= 18;
  const body = f.series.flatMap((s, i) =>
    s.points.flatMap(([x, y]) => {
      if (!Number.isFinite(y)) return [];
      const left = M.left + span * x + span * 0.1 + bw * i;
      const top = ya.map(y);
      const [yTop, h] = top < base ? [top, base - top] : [base, top - base];
      const bar = el('rect', { x: left, y: yTop, width: bw, height: Math.max(0.5, h), fill: COLORS[i % COLORS.length] });
      if (!labelled) return [bar];
      return [bar, text(left + bw / 2, top < base ? top - 3 : top + 12, String(+y.toPrecision(3)), { 'text-anchor': 'middle', 'font-size': 10 })];
    }),
  );
  return frame(M, f, body, xTicks, ya, f.series.length > 1 ? legendOf(M, f.series.map((s) => s.name)) : []);
}

/** Render any figure to SVG. */
export function renderFigure(f: Figure): string {
  return f.kind === 'bar' ? barChart(f) : lineChart(f);
}
