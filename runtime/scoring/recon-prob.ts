/**
 * VAE reconstruction probability (An & Cho 2015) from the model's decoded samples: for each window, L decodes
 * x̂_l (of its trailing `reconProb.rows` rows) of fixed seeded draws from q(z|x), and p(x|z_l) = N(x̂_l, σ_c²) with a per-channel variance from the card.
 * Score = mean over the L samples, the trailing `span` rows and the channels of −log p(x|z_l), measured from
 * its floor ½·ln(2πσ_c²) (the value at a perfect reconstruction), so scores are ≥ 0 like the error: that
 * constant shift changes no threshold decision, keeps per-channel shares meaningful, and `reconProbFloor`
 * gives it back for the absolute log-likelihood.
 */
import type { Scoring } from '../model/card.ts';
import type { BatchScores } from './reconstruction.ts';

/** Per-channel floor ½·ln(2πσ_c²): add a channel's value to its contribution for the absolute −log p, in nats. */
export function reconProbFloor(variance: ArrayLike<number>): Float64Array {
  return Float64Array.from(variance as ArrayLike<number>, (v) => 0.5 * Math.log(2 * Math.PI * v));
}

/**
 * Score N windows (N x W x C, time-major) from their samples (N x L x R x C, the trailing R rows). Per
 * channel: the mean over samples and span rows of (x − x̂)² / (2σ_c²); the window score is the mean over channels.
 */
export function reconProbScores(
  input: Float32Array,
  samples: Float32Array,
  n: number,
  window: number,
  channels: number,
  scoring: Scoring,
): BatchScores {
  const rp = scoring.reconProb;
  if (!rp) throw new Error("reconProbScores: scoring.reconProb is missing; expected { output, samples, variance } (scoring.error 'recon-prob')");
  const L = rp.samples;
  const R = rp.rows;
  const wc = window * channels;
  const rc = R * channels;
  if (rp.variance.length !== channels) throw new Error(`reconProbScores: ${rp.variance.length} variances; expected ${channels} (one per channel)`);
  if (input.length < n * wc || samples.length < n * L * rc) {
    throw new Error(`reconProbScores: expected ${n} x ${window} x ${channels} inputs and ${n} x ${L} x ${R} x ${channels} samples, got ${input.length} and ${samples.length}`);
  }
  const span = Math.min(scoring.span, R, window);
  // Row offsets of the first scored row: in the window, and in a sample (which ends where the window ends).
  const start = (window - span) * channels;
  const sStart = (R - span) * channels;
  const inv = Float64Array.from(rp.variance, (v) => 1 / (2 * v * L * span));
  const acc = new Float64Array(channels);
  const scores = new Float32Array(n);
  const perChannel = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    const xb = i * wc;
    for (let l = 0; l < L; l++) {
      const sb = (i * L + l) * rc + sStart - start;
      for (let k = start; k < wc; k += channels) {
        for (let c = 0; c < channels; c++) {
          const d = input[xb + k + c] - samples[sb + k + c];
          acc[c] += d * d;
        }
      }
    }
    let total = 0;
    for (let c = 0; c < channels; c++) {
      const e = acc[c] * inv[c];
      perChannel[i * channels + c] = e;
      total += e;
    }
    scores[i] = total / channels;
  }
  return { scores, perChannel };
}
