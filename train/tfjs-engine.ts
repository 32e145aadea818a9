/** Gradient steps on tfjs (the active backend: tfjs-node, wasm or cpu), with the flat Adam of `adam.ts`. */
import * as tf from '@tensorflow/tfjs';
import { FlatAdam } from './adam.ts';
import type { StepEngine, WindowBatch } from './engine.ts';
import type { Autoencoder, LayerWeights } from './models/autoencoder.ts';
import { windowErrors } from './robust.ts';

/** Mean loss over windows in inference mode (no noise, no sampling). */
export function evaluate(model: Autoencoder, set: WindowBatch, batch = 512): number {
  const { window: w, channels: c } = model.spec;
  let total = 0;
  for (let s = 0; s < set.count; s += batch) {
    const m = Math.min(batch, set.count - s);
    const l = tf.tidy(() => model.loss(tf.tensor3d(set.data.subarray(s * w * c, (s + m) * w * c), [m, w, c])));
    total += l.dataSync()[0] * m;
    l.dispose();
  }
  return total / Math.max(1, set.count);
}

/** An autoencoder's own tfjs variables, trained in place. */
export class TfjsEngine implements StepEngine {
  readonly name: string;
  private readonly opt: FlatAdam;

  constructor(
    private readonly model: Autoencoder,
    learningRate: number,
    /** Why the onnxruntime engine was not used, when auto wanted it. */
    fallback?: string,
  ) {
    this.opt = new FlatAdam(model.variables(), { learningRate });
    this.name = `tfjs ${tf.getBackend()}${fallback ? ` (${fallback})` : ''}`;
  }

  async step(batch: Float32Array, m: number, seed: number): Promise<number> {
    const { window: w, channels: c } = this.model.spec;
    const cost = tf.tidy(() => {
      const x = tf.tensor3d(batch.subarray(0, m * w * c), [m, w, c]);
      return this.opt.minimize(() => this.model.loss(x, true, seed));
    });
    const value = cost.dataSync()[0];
    cost.dispose();
    return value;
  }

  async evaluate(set: WindowBatch): Promise<number> {
    return evaluate(this.model, set);
  }

  async windowErrors(data: Float32Array, n: number): Promise<Float32Array> {
    return windowErrors(this.model, data, n);
  }

  weights(): (LayerWeights | undefined)[] {
    return this.model.weights();
  }

  setWeights(w: (LayerWeights | undefined)[]): void {
    this.model.setWeights(w);
  }

  dispose(): void {
    this.opt.dispose();
  }
}
