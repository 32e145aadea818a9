/**
 * A small dependency-free SVG plotter for bench figures: line charts (linear or log axes) and grouped bar
 * charts, with axes, ticks, gridlines and a legend. Output is a standalone SVG string.
 */
import type { Figure } from './result.ts';

const W = 720;
const H = 400;
const BASE_MARGIN = { top: 40, right: 170, bottom: 64, left: 74 };
/** Extra room under the plot for rotated category labels. */
const ROTATED_BOTTOM = 96;
type Margin = typeof BASE_MARGIN;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

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

interface Axis {
  map: (v: number) => number;
  ticks: number[];
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

function axis(values: number[], log: boolean, from: number, to: number, zero: boolean): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (log) {
    const a = Math.floor(Math.log10(lo));
    const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
    const ticks: number[] = [];
    for (let e = a; e <= b; e++) ticks.push(10 ** e);
    return { map: (v) => from + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * (to - from), ticks };
  }
  if (zero) lo = Math.min(0, lo);
  if (hi === lo) hi = lo + 1;
  const step = niceStep(hi - lo, 6);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(+v.toPrecision(12));
  return { map: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks };
}

function frame(M: Margin, f: Figure, body: string[], xTicks: string[], yAxis: Axis, legend: string[]): string {
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica,Arial,sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(f.title)}</text>`);
  for (const t of yAxis.ticks) {
    const y = yAxis.map(t);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(...xTicks);
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${H - 8}" text-anchor="middle">${esc(f.xLabel)}${f.logX ? ' (log)' : ''}</text>`);
  out.push(`<text transform="translate(16 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(f.yLabel)}${f.logY ? ' (log)' : ''}</text>`);
  out.push(...body, ...legend, '</svg>');
  return out.join('\n');
}

function legendOf(M: Margin, names: string[]): string[] {
  return names.flatMap((n, i) => {
    const y = M.top + 8 + i * 18;
    const x = W - M.right + 14;
    return [`<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`, `<text x="${x + 18}" y="${y + 1}">${esc(n.length > 22 ? `${n.slice(0, 21)}…` : n)}</text>`];
  });
}

/** Render a line figure. */
function lineChart(f: Figure): string {
  const M = BASE_MARGIN;
  const xs = f.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = f.series.flatMap((s) => s.points.map((p) => p[1]));
  const xa = axis(xs, !!f.logX, M.left, W - M.right, false);
  const ya = axis(ys, !!f.logY, H - M.bottom, M.top, !f.logY);
  const xTicks = xa.ticks.flatMap((t) => [`<text x="${xa.map(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`]);
  const body = f.series.flatMap((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${xa.map(x).toFixed(1)},${ya.map(y).toFixed(1)}`).join(' ');
    const dots = f.markers === false ? [] : pts.map(([x, y]) => `<circle cx="${xa.map(x).toFixed(1)}" cy="${ya.map(y).toFixed(1)}" r="3" fill="${c}"/>`);
    return [`<path d="${d}" fill="none" stroke="${c}" stroke-width="${f.markers === false ? 1 : 2}"/>`, ...dots];
  });
  const bands = (f.bands ?? []).map(([a, b]) => {
    const x0 = xa.map(a);
    return `<rect x="${x0.toFixed(1)}" y="${M.top}" width="${Math.max(1, xa.map(b) - x0).toFixed(1)}" height="${H - M.bottom - M.top}" fill="#d62728" opacity="0.12"/>`;
  });
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
    const weight = hl.has(c) ? ' font-weight="bold"' : '';
    return rotate
      ? `<text transform="translate(${x - 4} ${H - M.bottom + 12}) rotate(20)" text-anchor="start" font-size="11"${weight}>${esc(label)}</text>`
      : `<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle"${weight}>${esc(label)}</text>`;
  });
  // Value labels only where a bar is wide enough to carry one.
  const labelled = bw >= 18;
  const body = f.series.flatMap((s, i) =>
    s.points.flatMap(([x, y]) => {
      if (!Number.isFinite(y)) return [];
      const left = M.left + span * x + span * 0.1 + bw * i;
      const top = ya.map(y);
      const [yTop, h] = top < base ? [top, base - top] : [base, top - base];
      const bar = `<rect x="${left.toFixed(1)}" y="${yTop.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`;
      if (!labelled) return [bar];
      return [bar, `<text x="${(left + bw / 2).toFixed(1)}" y="${(top < base ? top - 3 : top + 12).toFixed(1)}" text-anchor="middle" font-size="10">${+y.toPrecision(3)}</text>`];
    }),
  );
  return frame(M, f, body, xTicks, ya, f.series.length > 1 ? legendOf(M, f.series.map((s) => s.name)) : []);
}

/** Render any figure to SVG. */
export function renderFigure(f: Figure): string {
  return f.kind === 'bar' ? barChart(f) : lineChart(f);
}
