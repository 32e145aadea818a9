/**
 * Export an autoencoder to ONNX from the same layer list that trained it. Input `[N, W, C]` (NWC, time-major);
 * dense layers become Reshape + Gemm, conv layers Transpose(NWC->NCW) + Conv / ConvTranspose so ONNX Runtime
 * uses its optimised kernels. Optional second output `latent`: the code, flattened per window. A VAE may also
 * output `samples` `[N, L, R, C]`: the decoder run a second time (same weights) on L fixed draws from q(z|x),
 * for the reconstruction-probability score, only for the trailing R rows the score reads (the final dense layer
 * computes just their columns); `reconstruction` stays the deterministic mean path.
 */
import { opOf, type LayerWeights } from '../models/ops/index.ts';
import { traceShapes, type ModelSpec } from '../models/spec.ts';
import { GraphBuilder } from './builder.ts';
import { encodeModel, floatValueInfo, int64Tensor, node } from './proto.ts';
import { emitSamples, type SamplesOptions } from './samples.ts';

/** ONNX opset the exporter targets (ConvTranspose output_padding, Slice with inputs: >= 13). */
export const EXPORT_OPSET = 17;

/** Names and shapes of what the exported graph exposes. */
export interface ExportedGraph {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** Extra outputs and their shapes (`-1` for the batch dim). */
  extraOutputs: Record<string, number[]>;
  opset: number;
}

/** Export options. */
export interface ExportOptions {
  inputName?: string;
  outputName?: string;
  /** Also output the code as `latent`. Default true. */
  latent?: boolean;
  /** Stored as model metadata (vigil version, card name...). */
  meta?: Record<string, string>;
  /** VAE only: also output decodes of z = mean + exp(logvar / 2) * eps[l], `eps` L x code baked in. */
  samples?: SamplesOptions;
}

/** Build the ONNX model bytes for a spec and its trained weights: each layer's op emits its own nodes. */
export function exportOnnx(spec: ModelSpec, weights: (LayerWeights | undefined)[], opts: ExportOptions = {}): ExportedGraph {
  const inputName = opts.inputName ?? 'window';
  const outputName = opts.outputName ?? 'reconstruction';
  const g = emitLayers(spec, weights, inputName);
  g.nodes.push(node('Identity', [g.h], [outputName]));

  const outputs = [floatValueInfo(outputName, [-1, spec.window, spec.channels])];
  const extraOutputs: Record<string, number[]> = {};
  if (g.latent && opts.latent !== false) {
    const size = emitLatent(g, g.latent);
    outputs.push(floatValueInfo('latent', [-1, size]));
    extraOutputs.latent = [-1, size];
  }
  if (opts.samples) {
    const { name, dims } = emitSamples(g, spec, weights, opts.samples);
    outputs.push(floatValueInfo(name, dims));
    extraOutputs[name] = dims;
  }

  const bytes = encodeModel(
    { name: spec.arch, node: g.nodes, initializer: g.inits, input: [floatValueInfo(inputName, [-1, spec.window, spec.channels])], output: outputs },
    EXPORT_OPSET,
    opts.meta ?? {},
  );
  return { bytes, inputName, outputName, extraOutputs, opset: EXPORT_OPSET };
}

/**
 * The layers as ONNX nodes on `[N, W, C]` read from `inputName`: each layer's op emits its own; the graph's
 * current tensor (`g.h`) is the reconstruction, NWC. The exporter and the training graph (`../grad/`) share it;
 * `training` emits the layers whose training pass differs (the VAE's sampling) as training computes them.
 */
export function emitLayers(spec: ModelSpec, weights: (LayerWeights | undefined)[], inputName: string, mode: 'export' | 'training' = 'export'): GraphBuilder {
  const g = new GraphBuilder(inputName, traceShapes(spec), [spec.window, spec.channels]);
  spec.layers.forEach((l, i) => {
    const op = opOf(l);
    if (mode === 'training' && op.emitTraining) op.emitTraining(l, g, i, weights[i]);
    else op.emitOnnx(l, g, i, weights[i]);
  });
  g.toLayout('NWC');
  return g;
}

/** The `latent` output: the code, flattened per window (NWC order); returns its size. */
function emitLatent(g: GraphBuilder, latent: NonNullable<GraphBuilder['latent']>): number {
  let src = latent.name;
  const size = latent.shape.reduce((a, b) => a * b, 1);
  if (latent.shape.length === 2) {
    if (latent.layout === 'NCW') {
      const t = g.fresh('latent_nwc');
      g.nodes.push(node('Transpose', [src], [t], { perm: [0, 2, 1] }));
      src = t;
    }
    const shapeName = g.fresh('latent_shape');
    g.inits.push(int64Tensor(shapeName, [-1, size]));
    const t = g.fresh('latent_flat');
    g.nodes.push(node('Reshape', [src, shapeName], [t]));
    src = t;
  }
  g.nodes.push(node('Identity', [src], ['latent']));
  return size;
}
