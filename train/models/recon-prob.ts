/**
 * Training-side parts of the VAE reconstruction-probability score (An & Cho 2015): the fixed draws of the code
 * baked into the exported graph, and the decoder's output variance. The runtime scores with
 * `runtime/scoring/recon-prob.ts`.
 *
 * Decoder variance: the VAE is trained with squared error, i.e. a Gaussian p(x|z) of fixed variance, so the
 * variance is not learned; after training it is set per channel to its maximum-likelihood value given the trained
 * encoder and decoder, the mean squared residual of the sampled decodes over the scored (trailing `span`) rows of
 * the held-out validation windows (the training windows when there are none: their residuals are smaller, the
 * model fitted them). Training stays exactly as for the error score, and the card stores the variances.
 */
import { Rng } from '@vigil/runtime/util/prng.ts';

/** Smallest variance kept (scaled units: a standard deviation of 1 % of the channel's training spread). */
export const MIN_DECODER_VARIANCE = 1e-4;

/**
 * `samples` x `size` standard-normal draws for the model trained with `seed`, in antithetic pairs (eps, -eps):
 * each pair averages to the posterior mean exactly, which cancels the odd-order Monte Carlo noise at no cost.
 */
export function reconProbNoise(samples: number, size: number, seed: number): Float32Array {
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`recon-prob samples must be an integer >= 1, got ${samples}`);
  // Its own stream, so the draws do not repeat the init's first normals.
  const rng = new Rng(seed + 7919);
  const eps = new Float32Array(samples * size);
  for (let l = 0; l < samples; l += 2) {
    for (let j = 0; j < size; j++) {
      const e = rng.normal();
      eps[l * size + j] = e;
      if (l + 1 < samples) eps[(l + 1) * size + j] = -e;
    }
  }
  return eps;
}

/**
 * Per-channel decoder variance: mean of (x - x̂_l)² over the samples l and the trailing `span` rows of `n`
 * windows (input N x W x C; samples N x L x R x C, the trailing R >= span rows), floored at `MIN_DECODER_VARIANCE`.
 */
export function decoderVariance(input: Float32Array, samples: Float32Array, n: number, window: number, channels: number, L: number, R: number, span: number): number[] {
  if (n < 1) throw new Error('decoderVariance: no windows to estimate the decoder variance from');
  if (span > R || R > window) throw new Error(`decoderVariance: need span <= rows <= window, got ${span}, ${R}, ${window}`);
  const wc = window * channels;
  const rc = R * channels;
  const acc = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      for (let t = 0; t < span; t++) {
        const x = i * wc + (window - span + t) * channels;
        const y = (i * L + l) * rc + (R - span + t) * channels;
        for (let c = 0; c < channels; c++) {
          const d = input[x + c] - samples[y + c];
          acc[c] += d * d;
        }
      }
    }
  }
  return Array.from(acc, (s) => Math.max(MIN_DECODER_VARIANCE, s / (n * L * span)));
}
