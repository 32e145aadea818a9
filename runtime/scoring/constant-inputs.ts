/**
 * Channels constant in training (`scoring.constant`: a setpoint, a valve always open) are held at their training
 * value for the model: it never saw them move, and a step in one fed to it spoils its reconstruction of every other
 * channel (a probe: a setpoint 50 -> 51 held an alert at 20-60x its threshold on the other channels, and a leak at
 * 43x under it was no news). The model sees the constant; the residual is taken from the measured value, so the
 * channel is judged on its own deviation (its residual variance is its scale's: mahalanobis.ts `fitResidualModel`).
 */
import type { Scoring } from '../model/card.ts';
import type { InferenceSession } from '../inference/backend.ts';

/** Zero (the training value, scaled) the constant channels of N windows (N x W x C) in place; returns the values taken out. */
export function holdConstants(input: Float32Array, n: number, window: number, channels: number, constant: readonly number[]): Float32Array {
  const rows = n * window;
  const saved = new Float32Array(rows * constant.length);
  for (let r = 0, k = 0; r < rows; r++) {
    const base = r * channels;
    for (const c of constant) {
      saved[k++] = input[base + c];
      input[base + c] = 0;
    }
  }
  return saved;
}

/** Put back what `holdConstants` took out (after the model call, before scoring). */
export function restoreConstants(input: Float32Array, n: number, window: number, channels: number, constant: readonly number[], saved: Float32Array): void {
  const rows = n * window;
  for (let r = 0, k = 0; r < rows; r++) {
    const base = r * channels;
    for (const c of constant) input[base + c] = saved[k++];
  }
}

/** The channels a card holds constant, or undefined when none. */
export function constantChannels(scoring: Scoring): readonly number[] | undefined {
  const c = scoring.constant;
  return c && c.length > 0 ? c : undefined;
}

/**
 * Of `candidates`, the channels at 0 (their training value, scaled) in every window of `data` (N x W x C): a retrained
 * model keeps holding a channel its parent held only while its own data still holds it there.
 */
export function stillConstant(data: Float32Array, channels: number, candidates: readonly number[]): number[] {
  return candidates.filter((c) => {
    for (let k = c; k < data.length; k += channels) if (Math.abs(data[k]) > 1e-6) return false;
    return true;
  });
}

/**
 * `session` with the card's constant channels held for every call (undefined-free: the session itself when it has
 * none): every caller of the model (vigil run and score, a hot reload's warm-up and the adaptation's checks, latent
 * and encode, a second opinion) feeds it what it was trained on, and gets its input back as measured.
 */
export function holdingConstants(session: InferenceSession, scoring: Scoring, window: number, channels: number): InferenceSession {
  const constant = constantChannels(scoring);
  if (!constant) return session;
  return {
    provider: session.provider,
    concurrency: session.concurrency,
    close: () => session.close(),
    async run(input, n) {
      const saved = holdConstants(input, n, window, channels, constant);
      try {
        return await session.run(input, n);
      } finally {
        restoreConstants(input, n, window, channels, constant, saved);
      }
    },
  };
}
