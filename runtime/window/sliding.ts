/** Offline sliding windows over a whole series: WindowRing, cut by the same cadence as the live runtime's windows. */
import { WindowRing } from './ring.ts';

/** Windows stacked time-major (N x W x C) with the row index each one ends at. */
export interface WindowSet {
  data: Float32Array;
  count: number;
  window: number;
  channels: number;
  /** Row index of the last row of each window. */
  ends: Int32Array;
}

/** Cut row-major data (rows x C) into windows of length W every S rows. */
export function slidingWindows(data: Float32Array, channels: number, window: number, stride = 1): WindowSet {
  const rows = Math.floor(data.length / channels);
  const ring = new WindowRing(window, channels, stride);
  const count = rows < window ? 0 : Math.floor((rows - window) / stride) + 1;
  const out = new Float32Array(count * window * channels);
  const ends = new Int32Array(count);
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (ring.push(data.subarray(r * channels, (r + 1) * channels))) {
      ring.copyTo(out, n * window * channels);
      ends[n++] = r;
    }
  }
  return { data: out, count: n, window, channels, ends };
}
