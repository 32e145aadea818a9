/**
 * A picture of one synthetic sensor: one strip per channel (min/max envelope per pixel column so long series
 * stay faithful), injected fault intervals shaded and named. Drawn with @vigil/plot.
 */
import { band, el, envelopePoints, marker, svgDoc, text } from '@vigil/plot';
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
  const bottom = top + C * (strip + gap);
  const height = bottom + 50;
  const x = (r: number) => left + (r / Math.max(1, rows - 1)) * plotW;
  const parts: string[] = [text(left, 18, opts.title ?? `${s.id}: ${rows} readings, ${s.labels.length} injected fault(s)`, { 'font-size': 13, 'font-weight': 'bold' })];
  for (const m of opts.marks ?? []) parts.push(...marker(x(m.row), { top: top - 6, bottom }, { label: m.text, stroke: '#333' }));
  for (const [i, l] of s.labels.entries()) {
    const color = COLORS[l.type] ?? '#d62728';
    parts.push(band(x(l.startRow), x(l.endRow), { top: top - 4, bottom: bottom - 4 }, color, 0.15, 2));
    parts.push(text(x(l.startRow), bottom + 12 + (i % 3) * 12, `${l.type} (${l.channels.join(',')})`, { fill: color, 'font-size': 10 }));
  }
  for (let j = 0; j < C; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < rows; r++) { const v = series.data[r * C + j]; if (v < lo) lo = v; if (v > hi) hi = v; }
    if (hi === lo) { hi += 1; lo -= 1; }
    const y0 = top + j * (strip + gap);
    const y = (v: number) => y0 + strip - ((v - lo) / (hi - lo)) * strip;
    parts.push(el('rect', { x: left, y: y0, width: plotW, height: strip, fill: 'none', stroke: '#ddd' }));
    parts.push(text(left - 6, y0 + strip / 2, series.channels[j], { 'text-anchor': 'end' }));
    parts.push(text(left - 6, y0 + 10, hi.toPrecision(4), { 'text-anchor': 'end', fill: '#999', 'font-size': 9 }));
    parts.push(text(left - 6, y0 + strip, lo.toPrecision(4), { 'text-anchor': 'end', fill: '#999', 'font-size': 9 }));
    const pts = envelopePoints(rows, (r) => series.data[r * C + j], plotW, left, plotW, y);
    parts.push(el('polyline', { points: pts, fill: 'none', stroke: '#1f77b4', 'stroke-width': 0.8 }));
  }
  return svgDoc(width, height, parts);
}
