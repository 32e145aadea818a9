/**
 * A picture of one synthetic sensor: one strip per channel (min/max envelope per pixel column so long series
 * stay faithful), injected fault intervals shaded and named. Plain SVG, no dependencies.
 */
import type { Series } from '@vigil/runtime/data/series.ts';

const COLORS: Record<string, string> = {
  spike: '#d62728', level_shift: '#ff7f0e', drift: '#9467bd', variance_burst: '#e377c2',
  stuck: '#8c564b', dropout: '#7f7f7f', broken_correlation: '#bcbd22',
  // Plant-set faults (plant-faults.ts).
  bearing_wear: '#e377c2', sensor_bias: '#ff7f0e', stuck_sensor: '#8c564b', leak: '#17becf',
  cavitation: '#9467bd', valve_stiction: '#bcbd22', overheating: '#d62728',
};

/** What the plot needs of a labelled interval (rows index into the plotted series). */
export interface PlotLabel {
  type: string;
  channels: string[];
  startRow: number;
  endRow: number;
}

/** A labelled series to draw. */
export interface PlotInput {
  id: string;
  series: Series;
  labels: readonly PlotLabel[];
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Render `s` as an SVG document `width` px wide; `title` replaces the default heading, `marks` draw dashed row markers. */
export function renderSensorSvg(
  s: PlotInput,
  opts: { width?: number; stripHeight?: number; title?: string; marks?: { row: number; text: string }[] } = {},
): string {
  const width = opts.width ?? 1200;
  const strip = opts.stripHeight ?? 70;
  const left = 110, right = 10, top = opts.marks?.length ? 44 : 30, gap = 8;
  const plotW = width - left - right;
  const { series } = s;
  const C = series.channels.length;
  const rows = series.timestamps.length;
  const height = top + C * (strip + gap) + 50;
  const x = (r: number) => left + (r / Math.max(1, rows - 1)) * plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(opts.title ?? `${s.id}: ${rows} readings, ${s.labels.length} injected fault(s)`)}</text>`,
  ];
  for (const m of opts.marks ?? []) {
    const xm = x(m.row).toFixed(1);
    parts.push(`<line x1="${xm}" y1="${top - 6}" x2="${xm}" y2="${top + C * (strip + gap)}" stroke="#333" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${xm}" y="${top - 8}" font-size="10" fill="#333">${esc(m.text)}</text>`);
  }
  for (const [i, l] of s.labels.entries()) {
    const x0 = x(l.startRow), x1 = Math.max(x(l.endRow), x0 + 2);
    const color = COLORS[l.type] ?? '#d62728';
    parts.push(`<rect x="${x0.toFixed(1)}" y="${top - 4}" width="${(x1 - x0).toFixed(1)}" height="${C * (strip + gap)}" fill="${color}" opacity="0.15"/>`);
    parts.push(`<text x="${x0.toFixed(1)}" y="${top + C * (strip + gap) + 12 + (i % 3) * 12}" fill="${color}" font-size="10">${esc(l.type)} (${esc(l.channels.join(','))})</text>`);
  }
  for (let j = 0; j < C; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < rows; r++) { const v = series.data[r * C + j]; if (v < lo) lo = v; if (v > hi) hi = v; }
    if (hi === lo) { hi += 1; lo -= 1; }
    const y0 = top + j * (strip + gap);
    const y = (v: number) => y0 + strip - ((v - lo) / (hi - lo)) * strip;
    parts.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${strip}" fill="none" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y0 + strip / 2}" text-anchor="end">${esc(series.channels[j])}</text>`);
    parts.push(`<text x="${left - 6}" y="${y0 + 10}" text-anchor="end" fill="#999" font-size="9">${hi.toPrecision(4)}</text>`);
    parts.push(`<text x="${left - 6}" y="${y0 + strip}" text-anchor="end" fill="#999" font-size="9">${lo.toPrecision(4)}</text>`);
    // Min/max per pixel column: spikes survive downsampling.
    const cols = Math.min(plotW, rows);
    const pts: string[] = [];
    for (let k = 0; k < cols; k++) {
      const a = Math.floor((k * rows) / cols), b = Math.max(a + 1, Math.floor(((k + 1) * rows) / cols));
      let mn = Infinity, mx = -Infinity;
      for (let r = a; r < b; r++) { const v = series.data[r * C + j]; if (v < mn) mn = v; if (v > mx) mx = v; }
      const px = (left + (k / Math.max(1, cols - 1)) * plotW).toFixed(1);
      pts.push(`${px},${y(mn).toFixed(1)} ${px},${y(mx).toFixed(1)}`);
    }
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="0.8"/>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}
