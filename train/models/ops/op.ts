/**
 * The contract every layer op implements: its per-sample output shape, its weights, its tfjs forward pass and
 * its ONNX emission, in one file per op beside this one (`dense.ts`, `conv.ts`, ...), registered in `index.ts`.
 * The same layer list drives training (`../autoencoder.ts`) and export (`../../export/graph.ts`), so the two cannot drift.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBuilder } from '../../export/builder.ts';

/** Element-wise activation after a layer. */
export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

/** Weights of one layer as plain arrays (row-major, shapes from the op's `params`). */
export interface LayerWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

/** A weighted layer's trainable variables. */
export interface LayerVars {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** What a forward pass marks on its way through: the code, and the VAE's mean and log-variance. */
export interface ForwardMarks {
  /** Input of the `code` layer, `[N, ...]`. */
  code?: tf.Tensor;
  mean?: tf.Tensor2D;
  logvar?: tf.Tensor2D;
}

/** What one layer's forward pass may use. */
export interface ForwardContext {
  /** Batch size. */
  n: number;
  /** Training pass: sampling layers draw (seeded by `seed`); inference takes the deterministic path. */
  training: boolean;
  seed: number;
  /** The layer's variables (weighted layers only). */
  vars?: LayerVars;
  /** Where marking layers record what they saw. */
  marks: ForwardMarks;
}

/** Kernel and bias shapes of a weighted layer, and the fans its Glorot init uses. */
export interface WeightShapes {
  kernel: number[];
  bias: number[];
  fans: [number, number];
}

/** One layer op. `L` is its layer spec, a plain serialisable object with `op` naming the op. */
export interface LayerOp<L extends { op: string }> {
  readonly op: L['op'];
  /** Per-sample shape after the layer from the shape before it; throws, naming `where`, when they do not fit. */
  outShape(l: L, input: number[], where: string): number[];
  /** Weight shapes; absent for weightless layers. */
  params?(l: L): WeightShapes;
  /** The tfjs forward pass on a batch. */
  forward(l: L, h: tf.Tensor, ctx: ForwardContext): tf.Tensor;
  /** Append the layer's ONNX nodes (layer `i`, weights `w` in the stored layout) to the graph. */
  emitOnnx(l: L, g: GraphBuilder, i: number, w: LayerWeights | undefined): void;
  /**
   * The layer in the training graph (`../../grad/training-graph.ts`) where training computes something other than
   * the exported inference path (the VAE's sampling, from the graph input `eps`); absent: `emitOnnx`.
   */
  emitTraining?(l: L, g: GraphBuilder, i: number, w: LayerWeights | undefined): void;
  /**
   * The stored weights from the exported initializers `l<i>_kernel` / `l<i>_bias` (the inverse of `emitOnnx`);
   * absent when they agree. `opType` is the ONNX node that reads the kernel, for ops whose export changed over
   * versions.
   */
  fromOnnx?(l: L, w: LayerWeights, opType: string): LayerWeights;
}

/** `${where}: expected [...], got [...]` unless `ok`. */
export function expectShape(ok: boolean, where: string, expected: string, got: number[]): void {
  if (!ok) throw new Error(`${where}: expected [${expected}], got [${got}]`);
}
