/**
 * Stuck sensors: a transmitter that freezes repeats its last reading, and an autoencoder reconstructs a constant
 * channel as easily as a moving one, so the error alone notices late or never (a frozen pump transmitter was first
 * flagged 197 rows in, on the quality bench). A channel that never held exactly still over a whole training window
 * and now does over a scored one is flagged: the window scores at least `flatline.score` (above the static bar, set
 * at training), the channel takes the blame, and nothing is learnt of it (the other channels' residual means still
 * learn: mahalanobis.ts). Channels that were still in some training window (a quantised or idle signal) are never
 * flagged.
 */
import type { Scoring } from '../model/card.ts';
import type { BatchScores } from './reconstruction.ts';
import { markCause } from './cause.ts';

/**
 * Per window, 1 + the first listed channel that holds exactly still over all W rows, or 0. Windows `unjudged`
 * names (one with a forward-filled row: a channel the readings did not carry holds still without being stuck)
 * are 0.
 */
export function flatWindows(input: Float32Array, n: number, window: number, channels: number, which: readonly number[], unjudged?: (i: number) => boolean): Uint16Array {
  const out = new Uint16Array(n);
  const per = window * channels;
  for (let i = 0; i < n; i++) {
    if (unjudged?.(i)) continue;
    const base = i * per;
    for (const c of which) {
      const first = input[base + c];
      let t = 1;
      while (t < window && input[base + t * channels + c] === first) t++;
      if (t === window) {
        out[i] = c + 1;
        break;
      }
    }
  }
  return out;
}

/**
 * Raise the scores of flat windows to the card's flatline score and put the blame on the stuck channel: its term at
 * least that score and just above every other channel's, so it leads the contributors even where the model scored
 * the window higher still.
 */
export function applyFlatline(scored: BatchScores, flat: Uint16Array, channels: number, flatline: NonNullable<Scoring['flatline']>): void {
  for (let i = 0; i < flat.length; i++) {
    if (flat[i] === 0) continue;
    const c = flat[i] - 1;
    const f = flatline.score;
    if (!(scored.scores[i] >= f)) scored.scores[i] = f;
    // A stuck channel is the window's cause even where the model scored it higher still: it says what to check.
    markCause(scored, i, flat.length, 'stuck');
    if (scored.own && !(scored.own[i] >= f)) scored.own[i] = f;
    const at = i * channels + c;
    let top = 0;
    for (let k = i * channels; k < (i + 1) * channels; k++) if (k !== at && scored.perChannel[k] > top) top = scored.perChannel[k];
    // Just above the largest other term (a float32 step), never under the flatline score or its own.
    scored.perChannel[at] = Math.max(f, scored.perChannel[at], top * (1 + 1e-6));
  }
}

/** Scaled range a channel must always have had over a training window to be watched (a still channel is not). */
export const FLATLINE_MIN_RANGE = 1e-3;

/** Channels whose every window of `data` (N x W x C) moved by at least FLATLINE_MIN_RANGE. */
export function movingChannels(data: Float32Array, n: number, window: number, channels: number): number[] {
  const per = window * channels;
  const out: number[] = [];
  for (let c = 0; c < channels; c++) {
    let always = n > 0;
    for (let i = 0; i < n && always; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let t = 0; t < window; t++) {
        const v = data[i * per + t * channels + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(hi - lo >= FLATLINE_MIN_RANGE)) always = false;
    }
    if (always) out.push(c);
  }
  return out;
}
