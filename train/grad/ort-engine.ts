/**
 * Gradient steps on ONNX Runtime: the step graph (`training-graph.ts`) returns the loss and every weight's
 * gradient; Adam runs here on the flat parameter vector, with the same arithmetic as `../adam.ts`. ONNX Runtime's
 * CPU kernels (MLAS) are native and vectorised for the machine, where tfjs' wasm backend is 128-bit SIMD on one
 * thread; on the small autoencoders vigil trains, per-op dispatch costs microseconds instead of tens of them.
 */
import { loadOrtNode } from '@vigil/runtime/inference/ort-node.ts';
import { Rng } from '@vigil/runtime/util/prng.ts';
import type { ModelSpec, TrainingTerms } from '../models/spec.ts';
import type { LayerWeights } from '../models/ops/index.ts';
import { ADAM_DEFAULTS } from '../adam.ts';
import type { StepEngine, WindowBatch } from '../engine.ts';
import { trainingGraphs, type FlatLayout, type ParamSlot } from './training-graph.ts';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type Tensor = import('onnxruntime-node').Tensor;

/** Engine settings. */
export interface OrtEngineOptions {
  learningRate: number;
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
}

const EVAL_BATCH = 512;

/** Adam (Kingma & Ba; tfjs' epsilon) over one flat vector. */
class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  constructor(
    size: number,
    private readonly lr: number,
    private readonly b1: number = ADAM_DEFAULTS.beta1,
    private readonly b2: number = ADAM_DEFAULTS.beta2,
    private readonly eps: number = ADAM_DEFAULTS.epsilon,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  step(theta: Float32Array, g: Float32Array): void {
    this.t++;
    const { m, v, b1, b2 } = this;
    // Bias corrections folded into the step size, as FlatAdam does.
    const lrT = (this.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    const epsT = this.eps * Math.sqrt(1 - b2 ** this.t);
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i];
      const mi = (m[i] = m[i] * b1 + gi * (1 - b1));
      const vi = (v[i] = v[i] * b2 + gi * gi * (1 - b2));
      theta[i] -= (mi * lrT) / (Math.sqrt(vi) + epsT);
    }
  }
}

/** Corrupt `x` into `out` as the denoising term asks (Gaussian noise or masking), seeded. */
function corrupt(x: Float32Array, out: Float32Array, noise: NonNullable<TrainingTerms['noise']>, seed: number): void {
  const rng = new Rng(seed);
  if (noise.kind === 'gaussian') for (let i = 0; i < x.length; i++) out[i] = x[i] + noise.level * rng.normal();
  else for (let i = 0; i < x.length; i++) out[i] = rng.uniform() >= noise.level ? x[i] : 0;
}

/** An autoencoder's weights trained on ONNX Runtime. */
export class OrtEngine implements StepEngine {
  private readonly theta: Float32Array;
  private readonly grad: Float32Array;
  private readonly adam: Adam;
  /** Each parameter's ONNX-layout buffer and the tensor over it (the buffer is refilled in place every step). */
  private readonly onnxParams: { slot: ParamSlot; data: Float32Array; tensor: Tensor }[];
  private readonly per: number;
  private noisy?: Float32Array;
  /** A VAE's draws for one step, `[batch, sampleSize]`. */
  private eps?: Float32Array;
  private readonly inv = new Float32Array(1);
  /** The step's outputs, written in place by ONNX Runtime (the loss, then each parameter's gradient, ONNX layout). */
  private readonly fetches: Record<string, Tensor>;

  private constructor(
    private readonly ort: Ort,
    private readonly stepSession: Session,
    private readonly evalSession: Session,
    private readonly spec: ModelSpec,
    private readonly layout: FlatLayout,
    params: ParamSlot[],
    weights: (LayerWeights | undefined)[],
    o: OrtEngineOptions,
    readonly name: string,
    private readonly sampleSize: number,
  ) {
    this.per = spec.window * spec.channels;
    this.theta = new Float32Array(layout.size);
    this.grad = new Float32Array(layout.size);
    this.adam = new Adam(layout.size, o.learningRate);
    this.onnxParams = params.map((slot) => {
      const data = new Float32Array(slot.from.length);
      return { slot, data, tensor: new ort.Tensor('float32', data, slot.dims) };
    });
    this.fetches = { loss: new ort.Tensor('float32', new Float32Array(1), []) };
    for (const p of params) this.fetches[`grad_${p.name}`] = new ort.Tensor('float32', new Float32Array(p.from.length), p.dims);
    this.setWeights(weights);
  }

  /** Build the graphs and open their sessions; `weights` are the starting point (the model's). */
  static async create(spec: ModelSpec, weights: (LayerWeights | undefined)[], o: OrtEngineOptions): Promise<OrtEngine> {
    const ort = await loadOrtNode();
    const graphs = trainingGraphs(spec);
    const threads = o.threads ?? 1;
    const options: import('onnxruntime-node').InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // Idle pool threads sleep instead of spinning between the graph's many small ops.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    // One after the other: a second that fails must not leave the first open.
    const step = await ort.InferenceSession.create(graphs.step, options);
    let evaluate: Session;
    try {
      evaluate = await ort.InferenceSession.create(graphs.evaluate, options);
    } catch (err) {
      await step.release().catch(() => {});
      throw err;
    }
    const name = `onnxruntime-node ${ort.env.versions?.common ?? ''} (cpu, ${threads} thread${threads === 1 ? '' : 's'})`.replace('  ', ' ');
    return new OrtEngine(ort, step, evaluate, spec, graphs.layout, graphs.params, weights, o, name, graphs.sampleSize);
  }

  private feeds(input: Float32Array, target: Float32Array, m: number): Record<string, Tensor> {
    const dims = [m, this.spec.window, this.spec.channels];
    this.inv[0] = 1 / (m * this.per);
    const x = new this.ort.Tensor('float32', input, dims);
    const feeds: Record<string, Tensor> = {
      input: x,
      target: input === target ? x : new this.ort.Tensor('float32', target, dims),
      inv: new this.ort.Tensor('float32', this.inv, []),
    };
    for (const p of this.onnxParams) feeds[p.slot.name] = p.tensor;
    return feeds;
  }

  /** Copy the flat parameters into each ONNX-layout buffer. */
  private gather(): void {
    const th = this.theta;
    for (const { slot, data } of this.onnxParams) {
      const from = slot.from;
      for (let k = 0; k < from.length; k++) data[k] = from[k] >= 0 ? th[from[k]] : 0;
    }
  }

  /**
   * The batch's loss and the gradient of every flat parameter (training terms on), without a step. A VAE's draws
   * come from `seed`, or are `eps` (`[m, sampleSize]`) when given.
   */
  async gradient(batch: Float32Array, m: number, seed: number, eps?: Float32Array): Promise<{ loss: number; grad: Float32Array }> {
    const x = batch.subarray(0, m * this.per);
    let input = x;
    const noise = this.spec.terms.noise;
    if (noise && noise.level > 0) {
      if (!this.noisy || this.noisy.length < x.length) this.noisy = new Float32Array(batch.length);
      input = this.noisy.subarray(0, x.length);
      corrupt(x, input, noise, seed);
    }
    const feeds = this.feeds(input, x, m);
    if (this.sampleSize > 0) {
      const need = m * this.sampleSize;
      let draws = eps?.subarray(0, need);
      if (!draws) {
        if (!this.eps || this.eps.length < need) this.eps = new Float32Array((batch.length / this.per) * this.sampleSize);
        // A stream apart from the corruption's (tfjs, too, draws the VAE's from seed + 1).
        const rng = new Rng(seed + 1);
        draws = this.eps.subarray(0, need);
        for (let i = 0; i < need; i++) draws[i] = rng.normal();
      }
      feeds.eps = new this.ort.Tensor('float32', draws, [m, this.sampleSize]);
    }
    await this.stepSession.run(feeds, this.fetches);
    const out = this.fetches;
    const g = this.grad;
    g.fill(0);
    for (const { slot } of this.onnxParams) {
      const d = out[`grad_${slot.name}`].data as Float32Array;
      const from = slot.from;
      for (let k = 0; k < from.length; k++) if (from[k] >= 0) g[from[k]] += d[k];
    }
    return { loss: (out.loss.data as Float32Array)[0], grad: g };
  }

  async step(batch: Float32Array, m: number, seed: number): Promise<number> {
    const { loss, grad } = await this.gradient(batch, m, seed);
    this.adam.step(this.theta, grad);
    this.gather();
    return loss;
  }

  private async forEachBatch(set: WindowBatch, each: (out: Record<string, Tensor>, s: number, m: number) => void): Promise<void> {
    for (let s = 0; s < set.count; s += EVAL_BATCH) {
      const m = Math.min(EVAL_BATCH, set.count - s);
      const x = set.data.subarray(s * this.per, (s + m) * this.per);
      each(await this.evalSession.run(this.feeds(x, x, m), ['loss', 'errors']), s, m);
    }
  }

  async evaluate(set: WindowBatch): Promise<number> {
    let total = 0;
    await this.forEachBatch(set, (out, _s, m) => (total += (out.loss.data as Float32Array)[0] * m));
    return total / Math.max(1, set.count);
  }

  async windowErrors(data: Float32Array, n: number): Promise<Float32Array> {
    const errors = new Float32Array(n);
    await this.forEachBatch({ data, count: n }, (out, s) => errors.set(out.errors.data as Float32Array, s));
    return errors;
  }

  weights(): (LayerWeights | undefined)[] {
    return this.layout.layers.map((at) => at && { kernel: this.theta.slice(at.kernel, at.kernel + at.kernelSize), bias: this.theta.slice(at.bias, at.bias + at.biasSize) });
  }

  setWeights(w: (LayerWeights | undefined)[]): void {
    this.layout.layers.forEach((at, i) => {
      if (!at) return;
      this.theta.set(w[i]!.kernel, at.kernel);
      this.theta.set(w[i]!.bias, at.bias);
    });
    this.gather();
  }

  dispose(): void {
    // Nothing waits for the native release; a failure there has nothing left to clean up.
    this.stepSession.release().catch(() => {});
    this.evalSession.release().catch(() => {});
  }
}
