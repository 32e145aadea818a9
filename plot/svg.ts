/**
 * SVG pieces every vigil figure is built from: the document, escaped text, axes with gridlines, shaded bands,
 * dashed markers, legends, line paths and min/max envelopes. Each returns SVG markup as a string.
 */
import { esc } from './escape.ts';
import type { Scale } from './scale.ts';

/** Attribute values; `undefined` leaves the attribute out, numbers are written with at most two decimals. */
export type Attrs = Record<string, string | number | undefined>;

/** The plot area in pixels. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A pixel coordinate, rounded to 0.1 (smaller files, nothing visible lost). */
export const px = (v: number): number => Math.round(v * 10) / 10;

function attrs(a: Attrs): string {
  let s = '';
  for (const [k, v] of Object.entries(a)) if (v !== undefined) s += ` ${k}="${typeof v === 'number' ? Math.round(v * 100) / 100 : esc(v)}"`;
  return s;
}

/** One element; `content` is markup (escape text with `esc` or use `text`). */
export function el(name: string, a: Attrs, content?: string): string {
  return content === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${content}</${name}>`;
}

/** A text element; `content` is plain text, escaped here. */
export function text(x: number, y: number, content: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, esc(content));
}

/** A standalone SVG document on a white background. */
export function svgDoc(width: number, height: number, body: string[], o: { font?: string; fontSize?: number; fill?: string } = {}): string {
  const head = `<svg${attrs({ xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': o.font ?? 'sans-serif', 'font-size': o.fontSize ?? 11, fill: o.fill })}>`;
  return [head, el('rect', { width, height, fill: '#fff' }), ...body, '</svg>'].join('\n');
}

/** Tick labels left of the box with horizontal gridlines across it (`grid: false` leaves the lines out). */
export function yAxis(s: Scale, box: Box, label: (v: number) => string, o: { grid?: boolean; fill?: string } = {}): string[] {
  return s.ticks.flatMap((t) => {
    const y = s.map(t);
    const tick = text(box.left - 6, y + 4, label(t), { 'text-anchor': 'end', fill: o.fill });
    return o.grid === false ? [tick] : [el('line', { x1: box.left, x2: box.right, y1: y, y2: y, stroke: '#e5e5e5' }), tick];
  });
}

/** Tick labels under the box, with vertical gridlines when `grid` is set. */
export function xAxis(s: Scale, box: Box, label: (v: number) => string, o: { grid?: boolean; fill?: string } = {}): string[] {
  return s.ticks.flatMap((t) => {
    const x = s.map(t);
    const tick = text(x, box.bottom + 16, label(t), { 'text-anchor': 'middle', fill: o.fill });
    return o.grid ? [el('line', { x1: x, x2: x, y1: box.top, y2: box.bottom, stroke: '#e5e5e5' }), tick] : [tick];
  });
}

/** Axis titles: `x` centred under the box at `y`, `yTitle` turned upright at the left edge. */
export function axisTitles(box: Box, xTitle: string, xAt: number, yTitle: string, a: Attrs = {}): string[] {
  return [
    text((box.left + box.right) / 2, xAt, xTitle, { 'text-anchor': 'middle', ...a }),
    el('text', { transform: `translate(16 ${px((box.top + box.bottom) / 2)}) rotate(-90)`, 'text-anchor': 'middle', ...a }, esc(yTitle)),
  ];
}

/** A shaded stretch [x0, x1] (pixels) over the box's height, at least `minWidth` wide so an instant still shows. */
export function band(x0: number, x1: number, box: Pick<Box, 'top' | 'bottom'>, fill: string, opacity: number, minWidth = 1): string {
  return el('rect', { x: x0, y: box.top, width: Math.max(minWidth, x1 - x0), height: box.bottom - box.top, fill, opacity });
}

/** A dashed vertical line at `x` over the box's height, with `label` above it when given. */
export function marker(x: number, box: Pick<Box, 'top' | 'bottom'>, o: { label?: string; stroke?: string; dash?: string } = {}): string[] {
  const stroke = o.stroke ?? '#555';
  const line = el('line', { x1: x, x2: x, y1: box.top, y2: box.bottom, stroke, 'stroke-dasharray': o.dash ?? '4 3' });
  return o.label ? [line, text(x, box.top - 2, o.label, { 'font-size': 10, fill: stroke })] : [line];
}

/** How a legend entry shows its series: a filled square, a line, a dot, or a ring. */
export interface LegendItem {
  label: string;
  color: string;
  shape?: 'swatch' | 'line' | 'dot' | 'ring';
}

/** A column of legend entries from (x, y), `step` px apart, each symbol then its label. */
export function legend(x: number, y: number, items: LegendItem[], o: { step?: number; font?: Attrs } = {}): string[] {
  const step = o.step ?? 18;
  return items.flatMap((it, i) => {
    const cy = y + i * step;
    const sym =
      it.shape === 'line' ? el('line', { x1: x, x2: x + 14, y1: cy - 4, y2: cy - 4, stroke: it.color, 'stroke-width': 2 })
      : it.shape === 'dot' ? el('circle', { cx: x + 6, cy: cy - 4, r: 5, fill: it.color })
      : it.shape === 'ring' ? el('circle', { cx: x + 6, cy: cy - 4, r: 5, fill: 'none', stroke: it.color, 'stroke-width': 1.6 })
      : el('rect', { x, y: cy - 10, width: 12, height: 12, fill: it.color });
    return [sym, text(x + 18, cy, it.label, o.font)];
  });
}

/** Path data through the points in order (`M x,y L x,y ...`). */
export function linePath(points: Iterable<readonly [number, number]>): string {
  const d: string[] = [];
  for (const [x, y] of points) d.push(`${d.length ? 'L' : 'M'}${px(x)},${px(y)}`);
  return d.join(' ');
}

/**
 * Polyline points of a long series drawn `cols` pixels wide from x = `left`: each pixel column spans its rows'
 * minimum to maximum, so spikes survive the downsampling. `value(r)` gives row r, `y` maps a value to pixels.
 */
export function envelopePoints(rows: number, value: (r: number) => number, cols: number, left: number, width: number, y: (v: number) => number): string {
  cols = Math.max(1, Math.min(Math.floor(cols), rows));
  const pts: string[] = [];
  for (let k = 0; k < cols; k++) {
    const a = Math.floor((k * rows) / cols), b = Math.max(a + 1, Math.floor(((k + 1) * rows) / cols));
    let mn = Infinity, mx = -Infinity;
    for (let r = a; r < b; r++) { const v = value(r); if (v < mn) mn = v; if (v > mx) mx = v; }
    if (!(mn <= mx)) continue;
    const x = px(left + (k / Math.max(1, cols - 1)) * width);
    pts.push(`${x},${px(y(mn))} ${x},${px(y(mx))}`);
  }
  return pts.join(' ');
}
