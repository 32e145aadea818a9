/** The loss curve as a small self-contained SVG (train and validation loss per epoch, log scale). */
import type { EpochInfo } from './fit.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

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
  const vals = history.flatMap((h) => [h.loss, h.valLoss]).filter((v) => Number.isFinite(v) && v > 0);
  const lo0 = Math.log10(Math.min(...vals)), hi0 = Math.log10(Math.max(...vals));
  // A little headroom so the lowest and highest curves are not glued to the frame and get a tick near them.
  const pad = Math.max((hi0 - lo0) * 0.06, 0.05);
  const lo = lo0 - pad, hi = hi0 + pad;
  const span = hi - lo;
  const n = Math.max(history.length, 2);
  const x = (e: number) => L + ((e - 1) / (n - 1)) * (W - L - R);
  const y = (v: number) => T + (1 - (Math.log10(v) - lo) / span) * (H - T - B);
  const path = (get: (h: EpochInfo) => number) =>
    history.filter((h) => Number.isFinite(get(h)) && get(h) > 0).map((h, i) => `${i ? 'L' : 'M'}${x(h.epoch).toFixed(1)},${y(get(h)).toFixed(1)}`).join(' ');
  const ticks: string[] = [];
  for (let p = Math.floor(lo); p <= Math.ceil(hi); p++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      if (Math.log10(v) < lo - 1e-9 || Math.log10(v) > hi + 1e-9) continue;
      ticks.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toPrecision(2)}</text>`);
    }
  }
  const step = Math.max(1, Math.ceil(history.length / 10));
  const xt = history.filter((h) => h.epoch % step === 0 || h.epoch === 1).map((h) => `<text x="${x(h.epoch).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${h.epoch}</text>`);
  const best = history.find((h) => h.epoch === bestEpoch);
  const bestV = best && (Number.isFinite(best.valLoss) ? best.valLoss : best.loss);
  const hasVal = history.some((h) => Number.isFinite(h.valLoss));
  const trimmed = history.filter((h) => h.setAside && h.setAside.train > 0);
  const trimNote = trimmed.length ? `<text x="${L + 4}" y="${T + 12}" fill="#d62728">windows set aside from the gradient: ${Math.min(...trimmed.map((h) => h.setAside!.train))}-${Math.max(...trimmed.map((h) => h.setAside!.train))} per epoch from epoch ${trimmed[0].epoch}</text>` : '';
  const H2 = windows ? 260 : 0;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + H2}" viewBox="0 0 ${W} ${H + H2}" font-family="sans-serif" font-size="11" fill="#333">
<rect width="${W}" height="${H + H2}" fill="#fff"/>
${trimNote}
${windows ? `<g transform="translate(0 ${H})">${windowErrorsPanel(windows, W, H2)}</g>` : ''}
<text x="${L}" y="20" font-size="14" font-weight="bold">${esc(title)}: loss per epoch</text>
${ticks.join('\n')}
${xt.join('\n')}
<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">epoch</text>
<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">loss (log scale)</text>
<path d="${path((h) => h.loss)}" fill="none" stroke="#1f77b4" stroke-width="2"/>
${hasVal ? `<path d="${path((h) => h.valLoss)}" fill="none" stroke="#ff7f0e" stroke-width="2"/>` : ''}
${best && bestV ? `<circle cx="${x(best.epoch).toFixed(1)}" cy="${y(bestV).toFixed(1)}" r="4" fill="none" stroke="#d62728" stroke-width="2"/><text x="${(x(best.epoch) + (x(best.epoch) > W - 140 ? -6 : 6)).toFixed(1)}" y="${(y(bestV) - 8).toFixed(1)}" text-anchor="${x(best.epoch) > W - 140 ? 'end' : 'start'}" fill="#d62728">best epoch ${best.epoch}</text>` : ''}
<g transform="translate(${W - R - 150} ${T + 4})"><rect width="150" height="${hasVal ? 38 : 22}" fill="#fff" stroke="#ccc"/>
<line x1="8" x2="28" y1="12" y2="12" stroke="#1f77b4" stroke-width="2"/><text x="34" y="16">training loss</text>
${hasVal ? '<line x1="8" x2="28" y1="28" y2="28" stroke="#ff7f0e" stroke-width="2"/><text x="34" y="32">validation loss</text>' : ''}</g>
</svg>
`;
}

/** Window error (log scale) against time: kept windows grey, set-aside ones red, the validation stretch shaded. */
function windowErrorsPanel(v: WindowErrorsView, W: number, H: number): string {
  const L = 64, R = 16, T = 30, B = 40;
  const n = v.errors.length;
  const pos = Array.from(v.errors).filter((e) => e > 0);
  if (n === 0 || pos.length === 0) return '';
  const lo = Math.log10(Math.min(...pos)) - 0.05, hi = Math.log10(Math.max(...pos)) + 0.05;
  const t0 = v.timestamps[v.ends[0]], t1 = v.timestamps[v.ends[n - 1]];
  const x = (i: number) => L + (t1 > t0 ? (v.timestamps[v.ends[i]] - t0) / (t1 - t0) : i / Math.max(1, n - 1)) * (W - L - R);
  const y = (e: number) => T + (1 - (Math.log10(Math.max(e, 10 ** lo)) - lo) / (hi - lo)) * (H - T - B);
  // One polyline per class keeps the file small for thousands of windows.
  const dots = (set: 0 | 1) => {
    const d: string[] = [];
    for (let i = 0; i < n; i++) if ((v.setAside[i] ? 1 : 0) === set) d.push(`M${x(i).toFixed(1)},${y(v.errors[i]).toFixed(1)}h0.01`);
    return d.join('');
  };
  const count = v.setAside.reduce((a, b) => a + b, 0);
  const ticks: string[] = [];
  for (let p = Math.ceil(lo); p <= Math.floor(hi); p++) ticks.push(`<line x1="${L}" x2="${W - R}" y1="${y(10 ** p).toFixed(1)}" y2="${y(10 ** p).toFixed(1)}" stroke="#e5e5e5"/><text x="${L - 6}" y="${(y(10 ** p) + 4).toFixed(1)}" text-anchor="end">1e${p}</text>`);
  const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
  const vx = v.validationFrom < n ? x(v.validationFrom) : undefined;
  return `<text x="${L}" y="18" font-size="13" font-weight="bold">window error; ${count} of ${n} windows set aside (red, listed in NAME.setaside.csv)</text>
${vx !== undefined ? `<rect x="${vx.toFixed(1)}" y="${T}" width="${(W - R - vx).toFixed(1)}" height="${H - T - B}" fill="#f3f3f3"/><text x="${(vx + 4).toFixed(1)}" y="${T + 12}">validation</text>` : ''}
${ticks.join('\n')}
<path d="${dots(0)}" stroke="#888" stroke-width="2.5" stroke-linecap="round"/>
<path d="${dots(1)}" stroke="#d62728" stroke-width="2.5" stroke-linecap="round"/>
<text x="${L}" y="${H - B + 16}">${esc(iso(t0))}</text><text x="${W - R}" y="${H - B + 16}" text-anchor="end">${esc(iso(t1))}</text>
<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">time of the window's last row</text>
<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">error (log)</text>`;
}
