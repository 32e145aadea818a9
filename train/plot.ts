/** The loss curve as a small self-contained SVG (train and validation loss per epoch, log scale), drawn with @vigil/plot. */
import { axisTitles, band, el, legend, linePath, logScale, svgDoc, text, yAxis } from '@vigil/plot';
import type { EpochInfo } from './fit.ts';

/** Every window's error over time and which ones a robust fit set aside (train/robust.ts). */
export interface WindowErrorsView {
  /** Row index of each window's last row. */
  ends: Int32Array;
  /** Epoch ms per row. */
  timestamps: Float64Array;
  errors: Float32Array;
  /** 1 = set aside. */
  setAside: Uint8Array;
  /** First validation window (= number of training windows). */
  validationFrom: number;
}

/** Render the training history; `title` names the model. With `windows`, a second panel shows what was set aside. */
export function lossCurveSvg(history: EpochInfo[], bestEpoch: number, title: string, windows?: WindowErrorsView): string {
  const W = 640, H = 360, L = 64, R = 16, T = 36, B = 44;
  const box = { left: L, right: W - R, top: T, bottom: H - B };
  const vals = history.flatMap((h) => [h.loss, h.valLoss]).filter((v) => Number.isFinite(v) && v > 0);
  const lo0 = Math.log10(Math.min(...vals)), hi0 = Math.log10(Math.max(...vals));
  // A little headroom so the lowest and highest curves are not glued to the frame and get a tick near them.
  const pad = Math.max((hi0 - lo0) * 0.06, 0.05);
  const ys = logScale(10 ** (lo0 - pad), 10 ** (hi0 + pad), box.bottom, box.top, { minor: true });
  const n = Math.max(history.length, 2);
  const x = (e: number) => L + ((e - 1) / (n - 1)) * (W - L - R);
  const path = (get: (h: EpochInfo) => number) => linePath(history.filter((h) => Number.isFinite(get(h)) && get(h) > 0).map((h) => [x(h.epoch), ys.map(get(h))]));
  const step = Math.max(1, Math.ceil(history.length / 10));
  const best = history.find((h) => h.epoch === bestEpoch);
  const bestV = best && (Number.isFinite(best.valLoss) ? best.valLoss : best.loss);
  const hasVal = history.some((h) => Number.isFinite(h.valLoss));
  const trimmed = history.filter((h) => h.setAside && h.setAside.train > 0);
  const H2 = windows ? 260 : 0;
  const out: string[] = [];
  if (trimmed.length) out.push(text(L + 4, T + 12, `windows set aside from the gradient: ${Math.min(...trimmed.map((h) => h.setAside!.train))}-${Math.max(...trimmed.map((h) => h.setAside!.train))} per epoch from epoch ${trimmed[0].epoch}`, { fill: '#d62728' }));
  if (windows) out.push(el('g', { transform: `translate(0 ${H})` }, windowErrorsPanel(windows, W, H2).join('\n')));
  out.push(text(L, 20, `${title}: loss per epoch`, { 'font-size': 14, 'font-weight': 'bold' }));
  out.push(...yAxis(ys, box, (v) => v.toPrecision(2)));
  for (const h of history) if (h.epoch % step === 0 || h.epoch === 1) out.push(text(x(h.epoch), box.bottom + 16, String(h.epoch), { 'text-anchor': 'middle' }));
  out.push(...axisTitles(box, 'epoch', H - 8, 'loss (log scale)'));
  out.push(el('path', { d: path((h) => h.loss), fill: 'none', stroke: '#1f77b4', 'stroke-width': 2 }));
  if (hasVal) out.push(el('path', { d: path((h) => h.valLoss), fill: 'none', stroke: '#ff7f0e', 'stroke-width': 2 }));
  if (best && bestV) {
    const bx = x(best.epoch), by = ys.map(bestV), flip = bx > W - 140;
    out.push(el('circle', { cx: bx, cy: by, r: 4, fill: 'none', stroke: '#d62728', 'stroke-width': 2 }));
    out.push(text(bx + (flip ? -6 : 6), by - 8, `best epoch ${best.epoch}`, { 'text-anchor': flip ? 'end' : 'start', fill: '#d62728' }));
  }
  const items = [{ label: 'training loss', color: '#1f77b4', shape: 'line' as const }, ...(hasVal ? [{ label: 'validation loss', color: '#ff7f0e', shape: 'line' as const }] : [])];
  out.push(el('g', { transform: `translate(${W - R - 150} ${T + 4})` }, [el('rect', { width: 150, height: hasVal ? 38 : 22, fill: '#fff', stroke: '#ccc' }), ...legend(8, 16, items, { step: 16 })].join('\n')));
  return `${svgDoc(W, H + H2, out, { fill: '#333' })}\n`;
}

/** Window error (log scale) against time: kept windows grey, set-aside ones red, the validation stretch shaded. */
function windowErrorsPanel(v: WindowErrorsView, W: number, H: number): string[] {
  const L = 64, R = 16, T = 30, B = 40;
  const box = { left: L, right: W - R, top: T, bottom: H - B };
  const n = v.errors.length;
  const pos = Array.from(v.errors).filter((e) => e > 0);
  if (n === 0 || pos.length === 0) return [];
  const ys = logScale(10 ** (Math.log10(Math.min(...pos)) - 0.05), 10 ** (Math.log10(Math.max(...pos)) + 0.05), box.bottom, box.top);
  const t0 = v.timestamps[v.ends[0]], t1 = v.timestamps[v.ends[n - 1]];
  const x = (i: number) => L + (t1 > t0 ? (v.timestamps[v.ends[i]] - t0) / (t1 - t0) : i / Math.max(1, n - 1)) * (W - L - R);
  // One path per class, a dot per window, keeps the file small for thousands of windows.
  const dots = (set: 0 | 1) => {
    const d: string[] = [];
    for (let i = 0; i < n; i++) if ((v.setAside[i] ? 1 : 0) === set) d.push(`M${x(i).toFixed(1)},${ys.map(v.errors[i]).toFixed(1)}h0.01`);
    return d.join('');
  };
  const count = v.setAside.reduce((a, b) => a + b, 0);
  const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
  const vx = v.validationFrom < n ? x(v.validationFrom) : undefined;
  return [
    text(L, 18, `window error; ${count} of ${n} windows set aside (red, listed in NAME.setaside.csv)`, { 'font-size': 13, 'font-weight': 'bold' }),
    ...(vx !== undefined ? [band(vx, W - R, box, '#f3f3f3', 1), text(vx + 4, T + 12, 'validation')] : []),
    ...yAxis(ys, box, (e) => `1e${Math.round(Math.log10(e))}`),
    el('path', { d: dots(0), stroke: '#888', 'stroke-width': 2.5, 'stroke-linecap': 'round' }),
    el('path', { d: dots(1), stroke: '#d62728', 'stroke-width': 2.5, 'stroke-linecap': 'round' }),
    text(L, box.bottom + 16, iso(t0)),
    text(W - R, box.bottom + 16, iso(t1), { 'text-anchor': 'end' }),
    ...axisTitles(box, "time of the window's last row", H - 8, 'error (log)'),
  ];
}
