/**
 * The latent map as an SVG: one dot per window at its 2-D position, coloured by time (a colour bar with the
 * first and last timestamps) or by a label column (a legend with counts), windows the threshold flagged ringed
 * in red on top, and a faint line in time order so a drift reads as a path away from the normal cloud.
 */

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

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 6): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
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
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const t0 = o.times[0], t1 = o.times[n - 1];
  const cats = o.labels ? [...new Set(o.labels)].sort((a, b) => (a === '0' ? -1 : b === '0' ? 1 : a.localeCompare(b))) : [];
  const colourOf = (i: number): string => {
    if (o.labels) return CATEGORY[cats.indexOf(o.labels[i]) % CATEGORY.length];
    return viridis(t1 > t0 ? (o.times[i] - t0) / (t1 - t0) : 0);
  };

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="28" font-size="18" font-weight="bold" fill="#222">${esc(o.title)}</text>`);
  out.push(`<text x="${M.left}" y="48" font-size="12" fill="#555">${esc(o.subtitle)}</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#bbb"/>`);
  for (const v of ticks(x0, x1)) {
    const x = sx(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#e6e6e6"/><text x="${x}" y="${M.top + ph + 16}" font-size="11" fill="#555" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of ticks(y0, y1)) {
    const y = sy(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e6e6e6"/><text x="${M.left - 6}" y="${Number(y) + 4}" font-size="11" fill="#555" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 14}" font-size="13" fill="#333" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" font-size="13" fill="#333" text-anchor="middle">${esc(o.yLabel)}</text>`);
  // Trajectory in time order, faint: a path wandering out of the cloud is a drift.
  const path = keep.filter((i) => Number.isFinite(o.xy[2 * i])).map((i, k) => `${k ? 'L' : 'M'}${sx(o.xy[2 * i]).toFixed(1)} ${sy(o.xy[2 * i + 1]).toFixed(1)}`).join('');
  out.push(`<path d="${path}" fill="none" stroke="#888" stroke-width="0.5" stroke-opacity="0.25"/>`);
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
  let ly = M.top + 8;
  if (o.labels) {
    out.push(`<text x="${lx}" y="${ly}" font-size="13" font-weight="bold" fill="#333">label</text>`);
    for (const [k, c] of cats.slice(0, 14).entries()) {
      ly += 20;
      const count = o.labels.filter((l) => l === c).length;
      out.push(`<circle cx="${lx + 6}" cy="${ly - 4}" r="5" fill="${CATEGORY[k % CATEGORY.length]}"/><text x="${lx + 18}" y="${ly}" font-size="12" fill="#333">${esc(c.length > 16 ? `${c.slice(0, 15)}…` : c)} (${count})</text>`);
    }
    if (cats.length > 14) { ly += 18; out.push(`<text x="${lx}" y="${ly}" font-size="11" fill="#777">+${cats.length - 14} more</text>`); }
  } else {
    out.push(`<text x="${lx}" y="${ly}" font-size="13" font-weight="bold" fill="#333">time</text>`);
    const bh = 220;
    out.push(`<defs><linearGradient id="vt" x1="0" y1="0" x2="0" y2="1">${VIRIDIS.map((c, k) => `<stop offset="${k / (VIRIDIS.length - 1)}" stop-color="${c}"/>`).join('')}</linearGradient></defs>`);
    out.push(`<rect x="${lx}" y="${ly + 10}" width="16" height="${bh}" fill="url(#vt)"/>`);
    out.push(`<text x="${lx + 22}" y="${ly + 20}" font-size="11" fill="#333">${isoMinute(t0)}</text>`);
    out.push(`<text x="${lx + 22}" y="${ly + 10 + bh}" font-size="11" fill="#333">${isoMinute(t1)}</text>`);
    out.push(`<text x="${lx + 22}" y="${ly + 10 + bh / 2}" font-size="11" fill="#777">earlier → later</text>`);
    ly += bh + 20;
  }
  ly += 30;
  out.push(`<circle cx="${lx + 6}" cy="${ly - 4}" r="5" fill="none" stroke="${FLAG}" stroke-width="1.6"/><text x="${lx + 18}" y="${ly}" font-size="12" fill="#333">flagged (${flaggedCount})</text>`);
  ly += 18;
  out.push(`<text x="${lx}" y="${ly}" font-size="11" fill="#777">by the card's default</text>`);
  out.push(`<text x="${lx}" y="${ly + 14}" font-size="11" fill="#777">threshold, as vigil score</text>`);
  if (every > 1) out.push(`<text x="${lx}" y="${ly + 36}" font-size="11" fill="#777">every ${every}th window drawn</text>`);
  out.push(`<text x="${lx}" y="${ly + 58}" font-size="11" fill="#777">${n} windows</text>`);
  out.push('</svg>');
  return out.join('\n');
}
