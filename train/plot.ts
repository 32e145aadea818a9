/** The loss curve as a small self-contained SVG (train and validation loss per epoch, log scale). */
import type { EpochInfo } from './fit.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Render the training history; `title` names the model. */
export function lossCurveSvg(history: EpochInfo[], bestEpoch: number, title: string): string {
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
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" fill="#333">
<rect width="${W}" height="${H}" fill="#fff"/>
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
