/**
 * A model is a list of layers over a `[N, W, C]` input. Each layer names an op in the registry (`ops/index.ts`):
 * the same list drives the tfjs forward pass (`autoencoder.ts`) and the ONNX graph (`../export/graph.ts`), so
 * training and export cannot drift apart.
 */
import { opOf, type LayerSpec } from './ops/index.ts';

export type { Activation, LayerSpec } from './ops/index.ts';
export { convOutLength, convTOutLength } from './ops/index.ts';

/** Regularisation and corruption applied during training only; none of it changes the exported graph. */
export interface TrainingTerms {
  /** Denoising: corrupt inputs with Gaussian noise (std in scaled units) or masking (drop probability). */
  noise?: { kind: 'gaussian' | 'mask'; level: number };
  /** Sparse: weight of the mean absolute code value added to the loss. */
  l1?: number;
  /** VAE: weight of the KL term. */
  beta?: number;
}

/** The training-only terms a card's `architecture.params` records (under the same keys), for a model rebuilt from its card. */
export function termsFromParams(params: Record<string, unknown>): TrainingTerms {
  const p = params as TrainingTerms;
  return { ...(p.noise !== undefined && { noise: p.noise }), ...(p.l1 !== undefined && { l1: p.l1 }), ...(p.beta !== undefined && { beta: p.beta }) };
}

/** A whole autoencoder: input geometry, layers, loss and training-only terms. */
export interface ModelSpec {
  /** Architecture name as given by the user (`dense`, `conv`, `denoising`, ...). */
  arch: string;
  window: number;
  channels: number;
  loss: 'mse' | 'bce';
  layers: LayerSpec[];
  terms: TrainingTerms;
}

/** Shapes of a layer's weights (undefined for weightless layers). */
export function weightShapes(layer: LayerSpec): { kernel: number[]; bias: number[] } | undefined {
  const p = opOf(layer).params?.(layer);
  return p && { kernel: p.kernel, bias: p.bias };
}

/** Per-sample shape after each layer, starting from `[W, C]`; throws when the layers do not fit together. */
export function traceShapes(spec: ModelSpec): number[][] {
  let shape = [spec.window, spec.channels];
  const out: number[][] = [];
  for (const [i, l] of spec.layers.entries()) {
    shape = opOf(l).outShape(l, shape, `layer ${i} (${l.op})`);
    out.push(shape);
  }
  const last = out[out.length - 1];
  if (!last || last.length !== 2 || last[0] !== spec.window || last[1] !== spec.channels) {
    throw new Error(`model output [${last}] does not match input [${spec.window}, ${spec.channels}]`);
  }
  return out;
}
