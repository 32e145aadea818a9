/**
 * Causal score calibration for vigil on NAB: every function reads only rows up to t to produce row t.
 * A reconstruction error becomes a score in [0,1] by comparing it with the largest error seen so far (with a
 * slow forgetting, so a file's first big incident does not mask the next); values far outside anything seen
 * so far score 1 on their own; and only new peaks keep their full score, so one incident alerts once.
 */

/** Options of `recordRatio`. */
export interface RecordRatioOptions {
  /** Rows the error is averaged over before comparing (1 = no smoothing). */
  smooth: number;
  /** Half-life of the running maximum, in rows; Infinity never forgets. */
  halfLife: number;
}

/**
 * Score r/(1+r) where r = smoothed error / decaying maximum of earlier smoothed errors: 0.5 means "as bad as
 * the worst so far". Rows before `from` (the probationary period) only feed the maximum and score 0.
 */
export function recordRatio(errors: ArrayLike<number>, from: number, o: RecordRatioOptions): Float64Array {
  const n = errors.length;
  const out = new Float64Array(n);
  const decay = Number.isFinite(o.halfLife) && o.halfLife > 0 ? 0.5 ** (1 / o.halfLife) : 1;
  const ring = new Float64Array(Math.max(1, o.smooth));
  let sum = 0;
  let filled = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const e = Number.isFinite(errors[i]) ? errors[i] : 0;
    const k = i % ring.length;
    sum += e - ring[k];
    ring[k] = e;
    filled = Math.min(filled + 1, ring.length);
    const avg = sum / filled;
    if (i >= from && max > 0) {
      const r = avg / max;
      out[i] = r / (1 + r);
    }
    max = Math.max(max * decay, avg);
  }
  return out;
}

/**
 * 1 where a value lies beyond the range of all earlier values by more than `tolerance` x that range (the
 * "spatial anomaly" rule of NAB's HTM detector), else 0. Needs two distinct earlier values to have a range.
 */
export function spatialNovelty(values: ArrayLike<number>, tolerance: number): Uint8Array {
  const out = new Uint8Array(values.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (hi > lo) {
      const tol = (hi - lo) * tolerance;
      if (v > hi + tol || v < lo - tol) out[i] = 1;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return out;
}

/**
 * Keep a score only where it beats every score of the previous `lookback` rows; elsewhere scale it by
 * `damp`. One incident then crosses any threshold once, at its onset, instead of on every row it lasts.
 */
export function keepNewPeaks(scores: ArrayLike<number>, lookback: number, damp: number): Float64Array {
  const n = scores.length;
  const out = new Float64Array(n);
  // Monotone deque of indices with decreasing scores: its head is the max of the lookback window.
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    while (tail > head && dq[head] < i - lookback) head++;
    const prevMax = tail > head ? scores[dq[head]] : -Infinity;
    out[i] = scores[i] > prevMax ? scores[i] : scores[i] * damp;
    while (tail > head && scores[dq[tail - 1]] <= scores[i]) tail--;
    dq[tail++] = i;
  }
  return out;
}

/** Row-wise maximum of score arrays of equal length. */
export function maxOf(...arrays: Array<ArrayLike<number>>): Float64Array {
  const n = arrays[0]?.length ?? 0;
  const out = new Float64Array(n);
  for (const a of arrays) {
    if (a.length !== n) throw new Error(`maxOf: arrays of different lengths (${a.length} vs ${n})`);
    for (let i = 0; i < n; i++) if (a[i] > out[i]) out[i] = a[i];
  }
  return out;
}
