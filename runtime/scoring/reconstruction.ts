/**
 * Reconstruction error per window: per-channel error averaged over the trailing `span` steps, and the
 * window score as the mean over channels. Shared by training (card statistics) and the runtime.
 */
import { BCE_CLIP_DEFAULT, type BceClip, type Scoring } from '../model/card.ts';
import type { Outside } from './seen-range.ts';
import type { MarkNews } from './re-anchor.ts';

/** Scores for a batch of windows. */
export interface BatchScores {
  /** One score per window. */
  scores: Float32Array;
  /** Per-channel error, N x C. */
  perChannel: Float32Array;
  /**
   * Each window's own statistic, where `scores` is the larger of it and the residual memory's (mahalanobis.ts): what
   * the trackers learn on, so the memory never changes what they learn. Absent: `scores`.
   */
  own?: Float32Array;
  /**
   * Windows a stuck sensor alone holds (flatline.ts): per window 1 + its channel, else 0, and each window's own statistic
   * before the stuck-sensor and spread checks raised it. The other channels' input offsets learn from them on that
   * statistic (input-offsets.ts), as their residual means do (mahalanobis.ts). Absent: no window has one.
   */
  stuck?: { channel: ArrayLike<number>; statistic: Float32Array };
  /**
   * Per window, the cause a check gave it (cause.ts codes: a stuck sensor, the spread, the residual memory), 0 where
   * none did. Absent: no window of the batch has one.
   */
  causes?: Uint8Array;
  /**
   * Per window, 1 where it was over the gate against its sensor's learnt state but normal against the trained level,
   * and a margin lower there, so the state stepped back towards it (trained-level.ts); the input offsets step back with it when they are
   * learnt (input-offsets.ts). Absent: no window of the batch did.
   */
  back?: Uint8Array;
  /**
   * Per window, 1 where a re-anchoring took it (re-anchor.ts: averaged, or passed over): the input offsets learn
   * nothing from it but on trending channels, so the second half's means meet the offsets the first half set (they
   * drifted from them over a long re-anchoring: a review). Absent: no window of the batch.
   */
  anchored?: Uint8Array;
  /** Per window, the operator's re-anchoring that began or completed in it (re-anchor.ts), sparse. Absent: none did. */
  marks?: (MarkNews | undefined)[];
  /** Windows with a channel outside the card's seen range (seen-range.ts). Absent: none (or no range). */
  outside?: Outside;
}

/**
 * Binary cross-entropy of target x and reconstruction y under the card's clipping rule (the squared error is
 * inlined in the hot loop below): out-of-range live data stays finite.
 */
export function bceError(x: number, y: number, clip: BceClip = BCE_CLIP_DEFAULT): number {
  const t = Math.min(clip.targetMax, Math.max(clip.targetMin, x));
  const p = Math.min(1 - clip.eps, Math.max(clip.eps, y));
  return -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
}

/** Score N windows (N x W x C, time-major) against their reconstructions. */
export function reconstructionScores(
  input: Float32Array,
  output: Float32Array,
  n: number,
  window: number,
  channels: number,
  scoring: Scoring,
): BatchScores {
  if (input.length < n * window * channels || output.length < n * window * channels) {
    throw new Error(`reconstructionScores: expected ${n} x ${window} x ${channels} values, got input ${input.length}, output ${output.length}`);
  }
  const kind = scoring.error;
  // recon-prob needs the VAE's decoded samples, which only scoreOutputs (score-outputs.ts) is given.
  if (kind === 'recon-prob' || kind === 'mahalanobis') throw new Error(`reconstructionScores: scoring.error '${kind}' is not a plain per-element error; use scoreOutputs`);
  const span = Math.min(scoring.span, window);
  const scores = new Float32Array(n);
  const perChannel = new Float32Array(n * channels);
  const start = window - span;
  const mse = kind === 'mse';
  // Older cards carry no rule: they were trained and calibrated under the default.
  const clip = scoring.bceClip ?? BCE_CLIP_DEFAULT;
  const wc = window * channels;
  if (mse) {
    squaredErrors(input, output, n, wc, channels, start * channels, span, scores, perChannel);
    return { scores, perChannel };
  }
  for (let i = 0, base = 0, pc = 0; i < n; i++, base += wc) {
    let total = 0;
    const end = base + wc;
    for (let c = 0; c < channels; c++, pc++) {
      let s = 0;
      for (let k = base + start * channels + c; k < end; k += channels) s += bceError(input[k], output[k], clip);
      const e = s / span;
      perChannel[pc] = e;
      total += e;
    }
    scores[i] = total / channels;
  }
  return { scores, perChannel };
}

/**
 * The squared-error scores, the runtime's hot path: four channels per pass over the span's rows (four independent
 * sums instead of one per pass, about 40 % less time a window), each channel still summed row by row in order and
 * the window's total over channels in order, so every score is the same number as one channel at a time gives.
 */
function squaredErrors(input: Float32Array, output: Float32Array, n: number, wc: number, channels: number, from: number, span: number, scores: Float32Array, perChannel: Float32Array): void {
  for (let i = 0, base = 0, pc = 0; i < n; i++, base += wc) {
    let total = 0;
    const end = base + wc;
    let c = 0;
    for (; c + 3 < channels; c += 4, pc += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = base + from + c; k < end; k += channels) {
        const d0 = input[k] - output[k];
        const d1 = input[k + 1] - output[k + 1];
        const d2 = input[k + 2] - output[k + 2];
        const d3 = input[k + 3] - output[k + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      const e0 = s0 / span;
      const e1 = s1 / span;
      const e2 = s2 / span;
      const e3 = s3 / span;
      perChannel[pc] = e0;
      perChannel[pc + 1] = e1;
      perChannel[pc + 2] = e2;
      perChannel[pc + 3] = e3;
      total += e0;
      total += e1;
      total += e2;
      total += e3;
    }
    for (; c < channels; c++, pc++) {
      let s = 0;
      for (let k = base + from + c; k < end; k += channels) {
        const d = input[k] - output[k];
        s += d * d;
      }
      const e = s / span;
      perChannel[pc] = e;
      total += e;
    }
    scores[i] = total / channels;
  }
}

/**
 * Channels ranked by their share of a window's per-channel errors, largest first (Mahalanobis: of the channels'
 * contributions, mahalanobis.ts; none is negative, but a value below 0 is counted as 0).
 */
export function topContributors(perChannel: ArrayLike<number>, names: string[], k = 3): { channel: string; share: number }[] {
  let sum = 0;
  for (let c = 0; c < names.length; c++) sum += Math.max(0, perChannel[c]);
  const ranked = names.map((channel, c) => ({ channel, share: sum > 0 ? Math.max(0, perChannel[c]) / sum : 1 / names.length }));
  ranked.sort((a, b) => b.share - a.share);
  return ranked.slice(0, k);
}
