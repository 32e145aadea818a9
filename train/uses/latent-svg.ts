/**
 * The latent map as an SVG: one dot per window at its 2-D position, coloured by time (a colour bar with the
 * first and last timestamps) or by a label column (a legend with counts), windows the threshold flagged ringed
 * in red on top, and a faint line in time order so a drift reads as a path away from the normal cloud. Drawn with
 * @vigil/plot.
 */
import { axisTitles, el, legend, linePath, linearScale, svgDoc, text, xAxis, yAxis } from '@vigil/plot';

/** What to draw. */
export interface LatentMapInput {
  /** `n x 2` positions, row-major. */
  xy: Float64Array;
  /** Epoch ms of each window's last row. */
  times: Float64Array;
  /** Per window: 1 when the threshold flagged it. */
  flagged: Uint8Array;
  /** Colour by time, or by these per-window labels. */
  labels?: string[];
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  /** Most dots drawn (evenly thinned past it; flagged windows always kept). Default 12,000. */
  maxPoints?: number;
}

const W = 1000;
const H = 720;
const M = { left: 70, right: 210, top: 64, bottom: 56 };
const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
const CATEGORY = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const FLAG = '#d62728';

function hex(c: string): number[] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}

/** Viridis at t in [0, 1]. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const a = hex(VIRIDIS[i]);
  const b = hex(VIRIDIS[i + 1]);
  const f = x - i;
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(',')})`;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
const isoMinute = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '?');

/** Render the map. */
export function latentMapSvg(o: LatentMapInput): string {
  const n = o.times.length;
  const maxPoints = o.maxPoints ?? 12_000;
  const every = Math.max(1, Math.ceil(n / maxPoints));
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (i % every === 0 || o.flagged[i]) keep.push(i);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = o.xy[2 * i], y = o.xy[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (!Number.isFinite(x0)) { x0 = -1; x1 = 1; y0 = -1; y1 = 1; }
  const padX = (x1 - x0 || 1) * 0.04, padY = (y1 - y0 || 1) * 0.04;
  x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
  const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
  const box = { left: M.left, right: M.left + pw, top: M.top, bottom: M.top + ph };
  const xs = linearScale(x0, x1, box.left, box.right), ys = linearScale(y0, y1, box.bottom, box.top);
  const sx = xs.map, sy = ys.map;
  const t0 = o.times[0], t1 = o.times[n - 1];
  const cats = o.labels ? [...new Set(o.labels)].sort((a, b) => (a === '0' ? -1 : b === '0' ? 1 : a.localeCompare(b))) : [];
  const colourOf = (i: number): string => {
    if (o.labels) return CATEGORY[cats.indexOf(o.labels[i]) % CATEGORY.length];
    return viridis(t1 > t0 ? (o.times[i] - t0) / (t1 - t0) : 0);
  };

  const out: string[] = [];
  out.push(text(M.left, 28, o.title, { 'font-size': 18, 'font-weight': 'bold', fill: '#222' }));
  out.push(text(M.left, 48, o.subtitle, { 'font-size': 12, fill: '#555' }));
  out.push(el('rect', { x: M.left, y: M.top, width: pw, height: ph, fill: '#fafafa', stroke: '#bbb' }));
  out.push(...xAxis(xs, box, fmt, { grid: true, fill: '#555' }), ...yAxis(ys, box, fmt, { fill: '#555' }));
  out.push(...axisTitles(box, o.xLabel, H - 14, o.yLabel, { 'font-size': 13, fill: '#333' }));
  // Trajectory in time order, faint: a path wandering out of the cloud is a drift.
  const path = linePath(keep.filter((i) => Number.isFinite(o.xy[2 * i])).map((i) => [sx(o.xy[2 * i]), sy(o.xy[2 * i + 1])]));
  out.push(el('path', { d: path, fill: 'none', stroke: '#888', 'stroke-width': 0.5, 'stroke-opacity': 0.25 }));
  for (const i of keep) {
    if (!Number.isFinite(o.xy[2 * i])) continue;
    out.push(`<circle cx="${sx(o.xy[2 * i]).toFixed(1)}" cy="${sy(o.xy[2 * i + 1]).toFixed(1)}" r="2.4" fill="${colourOf(i)}" fill-opacity="0.75"/>`);
  }
  let flaggedCount = 0;
  for (const i of keep) {
    if (!o.flagged[i]) continue;
    flaggedCount++;
    if (!Number.isFinite(o.xy[2 * i])) continue;
    out.push(`<circle cx="${sx(o.xy[2 * i]).toFixed(1)}" cy="${sy(o.xy[2 * i + 1]).toFixed(1)}" r="4.2" fill="none" stroke="${FLAG}" stroke-width="1.3"/>`);
  }

  // Legend.
  const lx = W - M.right + 18;
  const font = { 'font-size': 12, fill: '#333' };
  let ly = M.top + 8;
  if (o.labels) {
    out.push(text(lx, ly, 'label', { 'font-size': 13, 'font-weight': 'bold', fill: '#333' }));
    const shown = cats.slice(0, 14).map((c, k) => ({ label: `${c.length > 16 ? `${c.slice(0, 15)}…` : c} (${o.labels!.filter((l) => l === c).length})`, color: CATEGORY[k % CATEGORY.length], shape: 'dot' as const }));
    out.push(...legend(lx, ly + 20, shown, { step: 20, font }));
    ly += 20 * shown.length;
    if (cats.length > 14) { ly += 18; out.push(text(lx, ly, `+${cats.length - 14} more`, { fill: '#777' })); }
  } else {
    out.push(text(lx, ly, 'time', { 'font-size': 13, 'font-weight': 'bold', fill: '#333' }));
    const bh = 220;
    out.push(`<defs><linearGradient id="vt" x1="0" y1="0" x2="0" y2="1">${VIRIDIS.map((c, k) => el('stop', { offset: k / (VIRIDIS.length - 1), 'stop-color': c })).join('')}</linearGradient></defs>`);
    out.push(el('rect', { x: lx, y: ly + 10, width: 16, height: bh, fill: 'url(#vt)' }));
    out.push(text(lx + 22, ly + 20, isoMinute(t0), { fill: '#333' }));
    out.push(text(lx + 22, ly + 10 + bh, isoMinute(t1), { fill: '#333' }));
    out.push(text(lx + 22, ly + 10 + bh / 2, 'earlier → later', { fill: '#777' }));
    ly += bh + 20;
  }
  ly += 30;
  out.push(...legend(lx, ly, [{ label: `flagged (${flaggedCount})`, color: FLAG, shape: 'ring' }], { font }));
  const notes = ["by the card's default", 'threshold, as vigil score', every > 1 ? `1 window in ${every} drawn` : '', `${n} windows`];
  for (const [k, t] of notes.entries()) if (t) out.push(text(lx, ly + 18 + [0, 14, 36, 58][k], t, { fill: '#777' }));
  return svgDoc(W, H, out, { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif' });
}
