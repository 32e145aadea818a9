/**
 * A model is a list of layers over a `[N, W, C]` input. The same list drives the tfjs forward pass
 * (`forward.ts`) and the ONNX graph (`../export/graph.ts`), so training and export cannot drift apart.
 */

/** Element-wise activation after a layer. */
export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

/** `[N, W, C]` -> `[N, W*C]` (time-major, channels fastest: the same order ONNX Reshape gives). */
export interface FlattenLayer { op: 'flatten' }
/** `[N, F]` -> `[N, W, C]`. */
export interface UnflattenLayer { op: 'unflatten'; window: number; channels: number }
/** Fully connected: kernel `[in, units]`, bias `[units]`. */
export interface DenseLayer { op: 'dense'; in: number; units: number; activation: Activation }
/**
 * 1-D convolution over time on `[N, L, Cin]`, zero padding `pad` on both ends. Kernel stored im2col-style
 * as `[kernel * Cin, filters]` with row `j * Cin + ci`.
 */
export interface ConvLayer {
  op: 'conv';
  in: number;
  filters: number;
  kernel: number;
  stride: number;
  pad: number;
  activation: Activation;
}
/**
 * Transposed 1-D convolution, PyTorch/ONNX semantics: output length `(L-1)*stride - 2*pad + kernel + outPad`.
 * Kernel stored as `[Cin, kernel * filters]` with column `j * filters + co`.
 */
export interface ConvTransposeLayer {
  op: 'convT';
  in: number;
  filters: number;
  kernel: number;
  stride: number;
  pad: number;
  outPad: number;
  activation: Activation;
}
/** Marks the code: its input is the latent (exported as the `latent` output; sparse penalty applies here). */
export interface CodeLayer { op: 'code' }
/**
 * VAE head: input `[N, 2*size]` = mean and log-variance. Training samples `mean + exp(logvar/2) * eps` and adds
 * beta x KL; inference (and ONNX) passes the mean only.
 */
export interface SampleLayer { op: 'sample'; size: number }

/** Any layer. */
export type LayerSpec = FlattenLayer | UnflattenLayer | DenseLayer | ConvLayer | ConvTransposeLayer | CodeLayer | SampleLayer;

/** Regularisation and corruption applied during training only; none of it changes the exported graph. */
export interface TrainingTerms {
  /** Denoising: corrupt inputs with Gaussian noise (std in scaled units) or masking (drop probability). */
  noise?: { kind: 'gaussian' | 'mask'; level: number };
  /** Sparse: weight of the mean absolute code value added to the loss. */
  l1?: number;
  /** VAE: weight of the KL term. */
  beta?: number;
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

/** Output length of a conv layer on length L. */
export function convOutLength(l: { kernel: number; stride: number; pad: number }, L: number): number {
  return Math.floor((L + 2 * l.pad - l.kernel) / l.stride) + 1;
}

/** Output length of a transposed conv layer on length L. */
export function convTOutLength(l: { kernel: number; stride: number; pad: number; outPad: number }, L: number): number {
  return (L - 1) * l.stride - 2 * l.pad + l.kernel + l.outPad;
}

/** Shapes of every layer's weights, in layer order (empty for weightless layers). */
export function weightShapes(layer: LayerSpec): { kernel: number[]; bias: number[] } | undefined {
  switch (layer.op) {
    case 'dense':
      return { kernel: [layer.in, layer.units], bias: [layer.units] };
    case 'conv':
      return { kernel: [layer.kernel * layer.in, layer.filters], bias: [layer.filters] };
    case 'convT':
      return { kernel: [layer.in, layer.kernel * layer.filters], bias: [layer.filters] };
    default:
      return undefined;
  }
}

/** Per-sample shape after each layer, starting from `[W, C]`; throws when the layers do not fit together. */
export function traceShapes(spec: ModelSpec): number[][] {
  let shape = [spec.window, spec.channels];
  const out: number[][] = [];
  for (const [i, l] of spec.layers.entries()) {
    const where = `layer ${i} (${l.op})`;
    switch (l.op) {
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'unflatten':
        if (shape.length !== 1 || shape[0] !== l.window * l.channels) throw new Error(`${where}: expected [${l.window * l.channels}], got [${shape}]`);
        shape = [l.window, l.channels];
        break;
      case 'dense':
        if (shape.length !== 1 || shape[0] !== l.in) throw new Error(`${where}: expected [${l.in}], got [${shape}]`);
        shape = [l.units];
        break;
      case 'conv':
        if (shape.length !== 2 || shape[1] !== l.in) throw new Error(`${where}: expected [L, ${l.in}], got [${shape}]`);
        shape = [convOutLength(l, shape[0]), l.filters];
        if (shape[0] < 1) throw new Error(`${where}: window too short for this many strided convolutions`);
        break;
      case 'convT':
        if (shape.length !== 2 || shape[1] !== l.in) throw new Error(`${where}: expected [L, ${l.in}], got [${shape}]`);
        shape = [convTOutLength(l, shape[0]), l.filters];
        break;
      case 'sample':
        if (shape.length !== 1 || shape[0] !== 2 * l.size) throw new Error(`${where}: expected [${2 * l.size}], got [${shape}]`);
        shape = [l.size];
        break;
      case 'code':
        break;
    }
    out.push(shape);
  }
  const last = out[out.length - 1];
  if (!last || last.length !== 2 || last[0] !== spec.window || last[1] !== spec.channels) {
    throw new Error(`model output [${last}] does not match input [${spec.window}, ${spec.channels}]`);
  }
  return out;
}
