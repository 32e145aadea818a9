/**
 * Per-row reconstruction from overlapping windows, back in original units. `last` is causal (row t comes from
 * the window ending at t, as the live runtime sees it); `mean` averages every window covering the row (offline,
 * smoother). Rows before the first full window take their value from the first window in both modes.
 */
import type { ModelCard } from '@vigil/runtime';
import { invertScaler } from '@vigil/runtime/scaling/scaler.ts';
import type { WindowSet } from '@vigil/runtime/window/sliding.ts';

/** How each row's value is taken from the windows that cover it. */
export type DenoiseMode = 'last' | 'mean';

/** Rows x channels of reconstructed values in original units. */
export function reconstructRows(card: ModelCard, windows: WindowSet, recon: Float32Array, rows: number, mode: DenoiseMode): Float32Array {
  const W = card.window;
  const C = card.channels.length;
  const per = W * C;
  const scaled = new Float32Array(rows * C);
  if (windows.count === 0) throw new Error(`no full window in ${rows} rows (window ${W})`);
  if (mode === 'last') {
    const first = windows.ends[0] - (W - 1);
    for (let p = 0; p < W - 1; p++) scaled.set(recon.subarray(p * C, (p + 1) * C), (first + p) * C);
    for (let i = 0; i < windows.count; i++) scaled.set(recon.subarray(i * per + (W - 1) * C, (i + 1) * per), windows.ends[i] * C);
  } else {
    const acc = new Float64Array(rows * C);
    const cnt = new Uint32Array(rows);
    for (let i = 0; i < windows.count; i++) {
      const start = windows.ends[i] - (W - 1);
      for (let p = 0; p < W; p++) {
        const r = start + p;
        cnt[r]++;
        for (let c = 0; c < C; c++) acc[r * C + c] += recon[i * per + p * C + c];
      }
    }
    for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) scaled[r * C + c] = cnt[r] ? acc[r * C + c] / cnt[r] : NaN;
  }
  // Rows no window reached (stride > 1 past the last window) keep the previous row's value.
  for (let r = 1; r < rows; r++) if (Number.isNaN(scaled[r * C])) scaled.copyWithin(r * C, (r - 1) * C, r * C);
  return invertScaler(card.scaler, scaled);
}

/** Root-mean-square difference per channel between two row-major tables (original units). */
export function rmsePerChannel(a: Float32Array, b: Float32Array, channels: number, from = 0): number[] {
  const out = new Array<number>(channels).fill(0);
  const rows = a.length / channels;
  for (let r = from; r < rows; r++) for (let c = 0; c < channels; c++) out[c] += (a[r * channels + c] - b[r * channels + c]) ** 2;
  return out.map((s) => Math.sqrt(s / Math.max(1, rows - from)));
}
