/**
 * Spread (`scoring.spread`): how much each channel moves from one row to the next over the whole window, against how
 * much it moved on the training windows. A fault that makes a signal oscillate or fluctuate faster (a valve hunting,
 * a controller gone unstable, a bearing's vibration roughening) without moving its level is invisible to a level
 * statistic: the reconstruction follows the level, and averaged over the scoring span the fluctuation cancels. Its
 * mean square successive difference (von Neumann) does not cancel (Tennessee Eastman's faults 19 and 20).
 *
 * Per window, channel c's ratio g_c = mean over rows of (x[t, c] - x[t-1, c])² (the largest left out) over
 * reference_c, with x the scaled input and reference_c the same mean over the training windows; the window's
 * statistic is the mean of g over the channels that moved in training (about 1 on data like the training data).
 * Measured on the inputs, not the residuals: the model reproduces part of the noise of the windows it was fitted on,
 * so their residuals are smoother than tomorrow's, and a reference taken from them (limits from the few held-out
 * windows) flagged 8-15 % of Tennessee Eastman's normal rows (bench/results/quality/VARIANTS.md "Spread"). Its median
 * (`center`) and its own limit are calibrated on the training windows, and the scaled statistic
 * bar x (S - center) / (limit - center) puts that limit on the static bar and a typical window near 0, where it
 * leaves the window's own score alone; the window scores the larger of the two (as PCA monitoring flags T² or Q), and
 * a window whose spread passes its limit teaches the trackers nothing.
 */
import type { BatchScores } from './reconstruction.ts';
import { markCause } from './cause.ts';

/** What the card stores (`scoring.spread`). */
export interface Spread {
  /** Per channel: the mean square successive difference of the scaled input over the training windows (floored). */
  reference: number[];
  /**
   * The channels judged: those whose reference is above SPREAD_FLOOR. A channel still in training (a constant, an
   * idle or coarsely quantised signal) has no typical motion to compare with: any jitter would be a huge multiple
   * of nothing.
   */
  channels: number[];
  /** The statistic's median on the training windows. */
  center: number;
  /** The statistic's own limit, calibrated on the training windows: a window past it learns nothing. */
  limit: number;
  /** `spreadScale`: the scaled statistic is scale x (S - center), so `limit` lands on the static bar. */
  scale: number;
  method: string;
}

/**
 * The smallest reference: a mean square move of (1e-3 scaled)² per row. A channel that moved less in training is
 * floored to it and not judged.
 */
export const SPREAD_FLOOR = 1e-6;

/** The channels a reference lets the spread judge (`Spread.channels`): those above the floor. */
export function judgedChannels(reference: readonly number[]): number[] {
  return reference.flatMap((r, c) => (r > SPREAD_FLOOR ? [c] : []));
}

/** The scale that puts the spread's limit on `bar` (and its median on 0). */
export function spreadScale(spread: Pick<Spread, 'limit' | 'center'>, bar: number): number {
  return bar / (spread.limit - spread.center);
}

/**
 * Per channel, the mean square successive difference of the (scaled) input over each window, its largest one left
 * out (N x C): one step (a set point change, a level shift, a glitch: the level statistic's business) does not move
 * it, a fluctuation over the window does.
 */
export function successiveDifferences(input: Float32Array, n: number, window: number, channels: number): Float64Array {
  const out = new Float64Array(n * channels);
  const per = window * channels;
  const rows = window - 2;
  if (rows < 1) return out;
  // Four channels at a time down the window, each its own sum and largest term in locals: each channel's terms are
  // added in the same order as row by row, so the same bits, and the four chains of additions run side by side instead
  // of one after another (hot: every window; 2.2 -> 1.3 us a window at 64 x 8 on a loaded machine). The largest
  // term by Math.max, not a branch the data decides: the same value (a term is never -0, and a NaN term makes the sum
  // NaN either way).
  for (let i = 0; i < n; i++) {
    const base = i * per;
    const end = base + per;
    const at = i * channels;
    let c = 0;
    for (; c + 3 < channels; c += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      let p0 = input[base + c], p1 = input[base + c + 1], p2 = input[base + c + 2], p3 = input[base + c + 3];
      for (let k = base + channels + c; k < end; k += channels) {
        const v0 = input[k], v1 = input[k + 1], v2 = input[k + 2], v3 = input[k + 3];
        const d0 = v0 - p0, d1 = v1 - p1, d2 = v2 - p2, d3 = v3 - p3;
        const q0 = d0 * d0, q1 = d1 * d1, q2 = d2 * d2, q3 = d3 * d3;
        s0 += q0;
        s1 += q1;
        s2 += q2;
        s3 += q3;
        t0 = Math.max(t0, q0);
        t1 = Math.max(t1, q1);
        t2 = Math.max(t2, q2);
        t3 = Math.max(t3, q3);
        p0 = v0;
        p1 = v1;
        p2 = v2;
        p3 = v3;
      }
      out[at + c] = (s0 - t0) / rows;
      out[at + c + 1] = (s1 - t1) / rows;
      out[at + c + 2] = (s2 - t2) / rows;
      out[at + c + 3] = (s3 - t3) / rows;
    }
    for (; c < channels; c++) {
      let sum = 0;
      let top = 0;
      let prev = input[base + c];
      for (let k = base + channels + c; k < end; k += channels) {
        const v = input[k];
        const d = v - prev;
        const q = d * d;
        sum += q;
        top = Math.max(top, q);
        prev = v;
      }
      out[at + c] = (sum - top) / rows;
    }
  }
  return out;
}

/** Each channel's reference from the fitting windows' successive differences (N x C): their mean, floored. */
export function spreadReference(differences: Float64Array, channels: number): number[] {
  const n = Math.floor(differences.length / channels);
  if (n < 1) throw new Error(`spreadReference: need at least 1 window, got ${n}`);
  const ref = new Array<number>(channels).fill(0);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) ref[c] += differences[i * channels + c];
  return ref.map((s) => Math.max(SPREAD_FLOOR, s / n));
}

/** The unscaled statistic of each window: the mean over the judged channels of its difference over the reference (N). */
export function spreadStatistics(differences: Float64Array, reference: readonly number[], channels: readonly number[]): Float32Array {
  const C = reference.length;
  const n = Math.floor(differences.length / C);
  const s = new Float32Array(n);
  const k = channels.length;
  if (k === 0) return s;
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (const c of channels) t += differences[i * C + c] / reference[c];
    s[i] = t / k;
  }
  return s;
}

/**
 * The spread's scaled statistic per window (N), each window's successive differences (N x C), and `hold`: 1 for a
 * window whose statistic passes its limit (it teaches the trackers nothing), merged into `hold` when one is given.
 */
export function spreadScores(
  input: Float32Array, n: number, window: number, channels: number, spread: Spread, hold?: ArrayLike<number>,
  /** `successiveDifferences` of these windows when the caller has them already (training). */
  known?: Float64Array,
): { scaled: Float32Array; differences: Float64Array; hold: Uint8Array } {
  const differences = known ?? successiveDifferences(input, n, window, channels);
  const scaled = spreadStatistics(differences, spread.reference, spread.channels);
  const held = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    held[i] = scaled[i] >= spread.limit || (hold !== undefined && hold[i] !== 0) ? 1 : 0;
    scaled[i] = spread.scale * (scaled[i] - spread.center);
  }
  return { scaled, differences, hold: held };
}

/**
 * Raise each window's score to its scaled spread where that is larger; its channel terms then are the score shared
 * out in proportion to how far each judged channel roughened past the training windows' typical ratio,
 * max(0, g_c - center) (0 for the others and for channels that moved less than usual; equal shares where none moved
 * more): none is negative, as every other score's `perChannel` (a probe read negative `err_` columns), they sum to
 * the score, and the blame goes to the channels that roughened. A window's own statistic (`own`, with a residual
 * memory) is one of the window itself, so it is raised too, also where the memory's is larger still. A window whose
 * spread passed its own limit (mapped onto the static bar) and gave it its score has the spread for its cause.
 */
export function applySpread(scored: BatchScores, scaled: Float32Array, differences: Float64Array, spread: Spread, channels: number): void {
  const { reference, scale, center } = spread;
  const judged = spread.channels;
  const fired = scale * (spread.limit - center);
  for (let i = 0; i < scaled.length; i++) {
    const q = scaled[i];
    if (scored.own && !(scored.own[i] >= q)) scored.own[i] = q;
    if (!(q > scored.scores[i])) continue;
    scored.scores[i] = q;
    if (q >= fired) markCause(scored, i, scaled.length, 'spread');
    const row = i * channels;
    scored.perChannel.fill(0, row, row + channels);
    let rougher = 0;
    for (const c of judged) rougher += Math.max(0, differences[row + c] / reference[c] - center);
    for (const c of judged) {
      const excess = Math.max(0, differences[row + c] / reference[c] - center);
      scored.perChannel[row + c] = rougher > 0 ? (q * excess) / rougher : q / judged.length;
    }
  }
}
