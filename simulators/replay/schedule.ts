/**
 * Merge several tracks into one time-ordered sequence of replay events. Each event carries its offset in
 * recorded time from the replay origin; the replayer turns offsets into wall-clock deadlines at a speed.
 */
import type { Track } from './tracks.ts';

/** How tracks recorded at different times line up: each from its own start, or on one shared timeline. */
export type Alignment = 'start' | 'common';

/** One reading to replay. */
export interface ReplayEvent {
  track: number;
  row: number;
  /** Recorded-time offset from the replay origin, ms (never negative, non-decreasing along the sequence). */
  offset: number;
}

/** Yield events of all tracks in offset order (ties: track order). Out-of-order rows within a file keep file order. */
export function* mergeTracks(tracks: readonly Track[], align: Alignment = 'start'): Generator<ReplayEvent> {
  const origin = tracks.map((t) => t.series.timestamps[0]);
  const globalOrigin = Math.min(...origin);
  const base = (i: number) => (align === 'common' ? globalOrigin : origin[i]);
  // Offsets are made monotone per track, so a file with a backwards timestamp cannot stall the schedule.
  const pos = new Array<number>(tracks.length).fill(0);
  const last = new Array<number>(tracks.length).fill(0);
  const offsetOf = (i: number) => Math.max(last[i], tracks[i].series.timestamps[pos[i]] - base(i));
  // Binary heap of track indices keyed by their next offset.
  const heap: number[] = [];
  const key = (i: number) => offsetOf(i);
  const less = (a: number, b: number) => key(a) < key(b) || (key(a) === key(b) && a < b);
  const up = (k: number) => {
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!less(heap[k], heap[p])) break;
      [heap[k], heap[p]] = [heap[p], heap[k]];
      k = p;
    }
  };
  const down = (k: number) => {
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === k) break;
      [heap[k], heap[m]] = [heap[m], heap[k]];
      k = m;
    }
  };
  for (let i = 0; i < tracks.length; i++) if (tracks[i].series.timestamps.length > 0) { heap.push(i); up(heap.length - 1); }
  while (heap.length > 0) {
    const i = heap[0];
    const offset = offsetOf(i);
    yield { track: i, row: pos[i], offset };
    last[i] = offset;
    pos[i]++;
    if (pos[i] >= tracks[i].series.timestamps.length) {
      const end = heap.pop()!;
      if (heap.length > 0) { heap[0] = end; down(0); }
    } else down(0);
  }
}

/** Recorded span of the merged replay, ms: the last offset plus one median interval (so loops do not collide). */
export function loopPeriod(tracks: readonly Track[], align: Alignment = 'start'): number {
  const origin = Math.min(...tracks.map((t) => t.series.timestamps[0]));
  let span = 0;
  let step = Infinity;
  for (const t of tracks) {
    const ts = t.series.timestamps;
    const start = align === 'common' ? origin : ts[0];
    span = Math.max(span, ts[ts.length - 1] - start);
    if (ts.length > 1) step = Math.min(step, medianStep(ts));
  }
  return span + (Number.isFinite(step) ? step : 1000);
}

/** Median interval between consecutive rows, ms. */
export function medianStep(ts: Float64Array): number {
  const n = Math.min(ts.length - 1, 1001);
  const d = Array.from({ length: n }, (_, i) => ts[i + 1] - ts[i]).sort((a, b) => a - b);
  return d[Math.floor(n / 2)];
}
