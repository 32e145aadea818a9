/**
 * An autoencoder built from a `ModelSpec` with its own tfjs variables (no tfjs-layers): seeded init, a forward
 * pass for training (noise, sampling) and for inference, the loss with its training-only terms, and weights
 * out as plain arrays for the exporter.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@vigil/runtime/util/prng.ts';
import { opOf, type ForwardContext, type ForwardMarks, type LayerVars, type LayerWeights } from './ops/index.ts';
import { traceShapes, type ModelSpec } from './spec.ts';

export type { LayerWeights } from './ops/index.ts';

/** What one forward pass produced: the reconstruction, and the code (VAE: mean and log-variance) it marked. */
export interface ForwardResult extends ForwardMarks {
  recon: tf.Tensor3D;
}

/** Glorot-uniform kernel from fan-in and fan-out, seeded; biases start at zero. */
function glorot(rng: Rng, shape: number[], fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  return out;
}

/** A trainable autoencoder. */
export class Autoencoder {
  /** Per layer: kernel and bias variables, or undefined for weightless layers. */
  readonly vars: (LayerVars | undefined)[];

  constructor(
    readonly spec: ModelSpec,
    seed: number,
  ) {
    traceShapes(spec);
    const rng = new Rng(seed);
    this.vars = spec.layers.map((l) => {
      const s = opOf(l).params?.(l);
      if (!s) return undefined;
      const [fi, fo] = s.fans;
      return {
        kernel: tf.variable(tf.tensor(glorot(rng, s.kernel, fi, fo), s.kernel), true),
        bias: tf.variable(tf.zeros(s.bias), true),
      };
    });
  }

  /** All trainable variables. */
  variables(): tf.Variable[] {
    return this.vars.flatMap((v) => (v ? [v.kernel, v.bias] : []));
  }

  /** Run the layers. `training` adds input corruption (denoising) and VAE sampling, seeded by `seed`. */
  forward(x: tf.Tensor3D, training = false, seed = 0): ForwardResult {
    const { terms } = this.spec;
    let h: tf.Tensor = x;
    if (training && terms.noise && terms.noise.level > 0) {
      h = terms.noise.kind === 'gaussian'
        ? tf.add(x, tf.randomNormal(x.shape, 0, terms.noise.level, 'float32', seed))
        : tf.mul(x, tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), terms.noise.level), 'float32'));
    }
    const marks: ForwardMarks = {};
    const n = x.shape[0];
    for (const i of this.spec.layers.keys()) h = this.apply(i, h, { n, training, seed, marks });
    return { ...marks, recon: h as tf.Tensor3D };
  }

  /** Layer `i` on a batch, with its variables. */
  private apply(i: number, h: tf.Tensor, ctx: Omit<ForwardContext, 'vars'>): tf.Tensor {
    const l = this.spec.layers[i];
    return opOf(l).forward(l, h, { ...ctx, vars: this.vars[i] });
  }

  /**
   * VAE: decode L fixed draws per window, z_l = mean + exp(logvar / 2) * eps[l] (`eps` is L x code), the
   * samples the reconstruction-probability score averages over. Returns N x L x rows x C (the trailing rows), flattened.
   */
  decodeSamples(data: Float32Array, n: number, eps: Float32Array, rows = this.spec.window, batch = 256): Float32Array {
    const { window: w, channels: c, layers } = this.spec;
    const at = layers.findIndex((l) => l.op === 'sample');
    const head = layers[at];
    if (!head || head.op !== 'sample') throw new Error(`architecture ${this.spec.arch} does not sample a code (only vae does)`);
    const size = head.size;
    const L = eps.length / size;
    if (!Number.isInteger(L) || L < 1) throw new Error(`decodeSamples: eps has ${eps.length} values; expected L x ${size}`);
    const out = new Float32Array(n * L * rows * c);
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      const y = tf.tidy(() => {
        const det = { training: false, seed: 0, marks: {} };
        let h: tf.Tensor = tf.tensor3d(data.subarray(s * w * c, (s + m) * w * c), [m, w, c]);
        for (let i = 0; i < at; i++) h = this.apply(i, h, { ...det, n: m });
        const mean = tf.slice(h, [0, 0], [m, size]).reshape([m, 1, size]);
        const std = tf.exp(tf.mul(tf.slice(h, [0, size], [m, size]), 0.5)).reshape([m, 1, size]);
        h = tf.reshape(tf.add(mean, tf.mul(std, tf.tensor2d(eps, [L, size]))), [m * L, size]);
        for (let i = at + 1; i < layers.length; i++) h = this.apply(i, h, { ...det, n: m * L });
        return tf.slice(tf.reshape(h, [m, L, w, c]), [0, 0, w - rows, 0], [m, L, rows, c]);
      });
      out.set(y.dataSync() as Float32Array, s * L * rows * c);
      y.dispose();
    }
    return out;
  }

  /** Scalar training loss: reconstruction (mse or bce against the clean input) plus the spec's terms. */
  loss(x: tf.Tensor3D, training = false, seed = 0): tf.Scalar {
    const f = this.forward(x, training, seed);
    let loss: tf.Tensor;
    if (this.spec.loss === 'mse') {
      loss = tf.mean(tf.squaredDifference(f.recon, x));
    } else {
      // Same clipping as the runtime's BCE scoring so training and scoring optimise one quantity.
      const p = tf.clipByValue(f.recon, 1e-7, 1 - 1e-7);
      const t = tf.clipByValue(x, 0, 1);
      loss = tf.neg(tf.mean(tf.add(tf.mul(t, tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p))))));
    }
    const { l1, beta } = this.spec.terms;
    if (l1 && f.code) loss = tf.add(loss, tf.mul(tf.mean(tf.abs(f.code)), l1));
    if (beta && f.mean && f.logvar) {
      // KL(q(z|x) || N(0,1)) per sample, scaled per input element so beta is comparable to the recon loss.
      const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.exp(f.logvar), tf.square(f.mean)), tf.add(f.logvar, 1)), 1), 0.5);
      loss = tf.add(loss, tf.mul(tf.div(tf.mean(kl), this.spec.window * this.spec.channels), beta));
    }
    return loss as tf.Scalar;
  }

  /** Deterministic reconstruction of `n` windows (N x W x C, time-major), in batches. */
  predict(data: Float32Array, n: number, batch = 1024): Float32Array {
    const { window: w, channels: c } = this.spec;
    const out = new Float32Array(n * w * c);
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      const y = tf.tidy(() => this.forward(tf.tensor3d(data.subarray(s * w * c, (s + m) * w * c), [m, w, c])).recon);
      out.set(y.dataSync() as Float32Array, s * w * c);
      y.dispose();
    }
    return out;
  }

  /** Codes of `n` windows, flattened per window (the exported `latent`). */
  encode(data: Float32Array, n: number): { codes: Float32Array; size: number } {
    const { window: w, channels: c } = this.spec;
    return tf.tidy(() => {
      const f = this.forward(tf.tensor3d(data.subarray(0, n * w * c), [n, w, c]));
      const code = f.mean ?? f.code;
      if (!code) throw new Error(`architecture ${this.spec.arch} marks no code layer`);
      const flat = tf.reshape(code, [n, -1]);
      return { codes: flat.dataSync() as Float32Array, size: flat.shape[1]! };
    });
  }

  /** Weights as plain arrays, layer by layer, for the exporter. */
  weights(): (LayerWeights | undefined)[] {
    return this.vars.map((v) => (v ? { kernel: v.kernel.dataSync() as Float32Array, bias: v.bias.dataSync() as Float32Array } : undefined));
  }

  /** Replace all weights (restoring the best epoch). */
  setWeights(w: (LayerWeights | undefined)[]): void {
    this.vars.forEach((v, i) => {
      if (!v) return;
      tf.tidy(() => v.kernel.assign(tf.tensor(w[i]!.kernel, v.kernel.shape)));
      tf.tidy(() => v.bias.assign(tf.tensor(w[i]!.bias, v.bias.shape)));
    });
  }

  /** Free the variables. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
