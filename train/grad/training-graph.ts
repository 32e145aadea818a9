/**
 * The training graphs of an autoencoder for ONNX Runtime: the exported graph itself (`emitLayers`, so training
 * optimises exactly what is deployed) with the weights as inputs, the loss (`model.loss`: mse or bce, plus the
 * sparse L1 term), and, for the step graph, the gradient of every weight (`backprop.ts`).
 *
 * The exporter lays weights out for ONNX (conv kernels reordered, a transposed conv's phase kernel with zero taps
 * and its bias tiled per phase). Emitting the layers once with each weight replaced by its own index (+1) reads
 * that layout back as an index map: each ONNX weight element is one stored parameter or a zero, so the engine
 * gathers the stored weights into ONNX layout and sums gradients back, with no per-op code.
 */
import type { onnx } from 'onnx-proto';
import { emitLayers, EXPORT_OPSET } from '../export/graph.ts';
import { encodeModel, floatTensor, floatValueInfo, int64Tensor, node } from '../export/proto.ts';
import type { LayerWeights } from '../models/ops/index.ts';
import { weightShapes, type ModelSpec } from '../models/spec.ts';
import { backprop } from './backprop.ts';
import { inferShapes } from './shapes.ts';
import type { GradSink } from './vjp.ts';
import { emitLoss } from './loss-graph.ts';

/** One weight tensor the graphs take as an input. */
export interface ParamSlot {
  name: string;
  dims: number[];
  /** Per element of the ONNX tensor: its index in the flat parameter vector, or -1 for a fixed zero. */
  from: Int32Array;
}

/** Where each layer's kernel and bias sit in the flat parameter vector (model.variables() order). */
export interface FlatLayout {
  size: number;
  layers: ({ kernel: number; kernelSize: number; bias: number; biasSize: number } | undefined)[];
}

/** Both graphs and how to feed them. */
export interface TrainingGraphs {
  /**
   * Inputs `input` (maybe corrupted), `target`, `inv` (1 / values in the batch), the params, and for a VAE `eps`
   * (`[N, sampleSize]` standard normal draws); outputs `loss`, `grad_<param>`.
   */
  step: Uint8Array;
  /** Code size of a VAE's sample layer (the `eps` input's width), else 0. */
  sampleSize: number;
  /** Inputs `input`, `target`, `inv`, the params; outputs `loss` and `errors` (mean squared error per window). */
  evaluate: Uint8Array;
  params: ParamSlot[];
  layout: FlatLayout;
}

const LAYER_OPS = new Set(['flatten', 'unflatten', 'dense', 'conv', 'convT', 'code', 'sample']);

/** Why the ONNX Runtime engine cannot train this spec, or undefined when it can. */
export function unsupportedReason(spec: ModelSpec): string | undefined {
  const other = spec.layers.find((l) => !LAYER_OPS.has(l.op));
  if (other) return `layer '${other.op}' has no ONNX gradient (only ${[...LAYER_OPS].join(', ')})`;
  const size = flatLayout(spec).size;
  if (size >= 2 ** 24) return `${size} parameters (the engine indexes at most 16.7 M)`;
  return undefined;
}

/** The flat parameter layout of a spec. */
export function flatLayout(spec: ModelSpec): FlatLayout {
  let size = 0;
  const layers = spec.layers.map((l) => {
    const s = weightShapes(l);
    if (!s) return undefined;
    const kernelSize = s.kernel.reduce((a, b) => a * b, 1);
    const biasSize = s.bias.reduce((a, b) => a * b, 1);
    const at = { kernel: size, kernelSize, bias: size + kernelSize, biasSize };
    size += kernelSize + biasSize;
    return at;
  });
  return { size, layers };
}

/** Build the step and evaluation graphs of `spec`. */
export function trainingGraphs(spec: ModelSpec): TrainingGraphs {
  const reason = unsupportedReason(spec);
  if (reason) throw new Error(`ONNX Runtime training: ${reason}`);
  const layout = flatLayout(spec);
  const evaluate = build(spec, layout, false);
  const sample = spec.layers.find((l) => l.op === 'sample');
  return { step: build(spec, layout, true).bytes, evaluate: evaluate.bytes, params: evaluate.params, layout, sampleSize: sample?.op === 'sample' ? sample.size : 0 };
}

/**
 * Every stored weight reaches the graph (the read-back checks that each exported element is a copy or a zero): an
 * op whose export scaled, summed or renamed weights would otherwise train silently wrong.
 */
function checkCoverage(params: ParamSlot[], size: number): void {
  const seen = new Uint8Array(size);
  for (const p of params) for (const i of p.from) if (i >= 0) seen[i] = 1;
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new Error(`ONNX Runtime training: stored weight ${missing} reaches no exported weight tensor`);
}

function build(spec: ModelSpec, layout: FlatLayout, withGrads: boolean): { bytes: Uint8Array; params: ParamSlot[] } {
  // Each weight replaced by its flat index + 1 (exact in float32 below 2^24).
  const coded = layout.layers.map((at): LayerWeights | undefined =>
    at && { kernel: Float32Array.from({ length: at.kernelSize }, (_, j) => at.kernel + j + 1), bias: Float32Array.from({ length: at.biasSize }, (_, j) => at.bias + j + 1) });
  const g = emitLayers(spec, coded, 'input', withGrads ? 'training' : 'export');
  const sampled = withGrads && g.moments !== undefined;
  const recon = g.h;
  const code = g.latent?.name;
  const params: ParamSlot[] = [];
  const inits: onnx.ITensorProto[] = [];
  for (const t of g.inits) {
    if (!/^l\d+_(kernel|bias)$/.test(t.name!)) {
      inits.push(t);
      continue;
    }
    const raw = t.rawData as Uint8Array;
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const bad = values.find((v) => !Number.isInteger(v) || v < 0 || v > layout.size);
    if (bad !== undefined) throw new Error(`ONNX Runtime training: ${t.name} is not a copy of the stored weights (read back ${bad}); its op's export needs a gradient of its own`);
    params.push({ name: t.name!, dims: (t.dims ?? []).map(Number), from: Int32Array.from(values, (v) => v - 1) });
  }
  checkCoverage(params, layout.size);
  const forward = g.nodes.slice();
  const nodes = g.nodes;
  const w = spec.window;
  const c = spec.channels;
  const inputShapes = new Map([['input', [-1, w, c]], ...params.map((p): [string, number[]] => [p.name, p.dims])]);
  if (sampled) inputShapes.set('eps', [-1, g.head!.size]);
  const shapes = inferShapes(forward, inputShapes, inits);
  const sink: GradSink = {
    add(opType, inputs, base, attrs) {
      const out = g.fresh(base);
      nodes.push(node(opType, inputs, [out], attrs));
      return out;
    },
    ints(values) {
      const name = g.fresh('k');
      inits.push(int64Tensor(name, values));
      return name;
    },
    scalar(value) {
      const name = g.fresh('f');
      inits.push(floatTensor(name, [], Float32Array.of(value)));
      return name;
    },
    shapes,
  };

  const { loss, seeds, diff } = emitLoss(spec, sink, { recon, code, head: g.head, moments: g.moments }, withGrads);
  nodes.push(node('Identity', [loss], ['loss']));
  const outputs = [floatValueInfo('loss', [])];
  if (withGrads) {
    const grads = backprop(forward, seeds, params.map((p) => p.name), sink);
    for (const p of params) {
      nodes.push(node('Identity', [grads.get(p.name)!], [`grad_${p.name}`]));
      outputs.push(floatValueInfo(`grad_${p.name}`, p.dims));
    }
  } else {
    nodes.push(node('ReduceMean', [sink.add('Mul', [diff, diff], 'sq')], ['errors'], { axes: [1, 2], keepdims: 0 }));
    outputs.push(floatValueInfo('errors', [-1]));
  }
  const inputs = [floatValueInfo('input', [-1, w, c]), floatValueInfo('target', [-1, w, c]), floatValueInfo('inv', []), ...params.map((p) => floatValueInfo(p.name, p.dims))];
  if (sampled) inputs.push(floatValueInfo('eps', [-1, g.head!.size]));
  const bytes = encodeModel({ name: `${spec.arch}_${withGrads ? 'step' : 'evaluate'}`, node: nodes, initializer: inits, input: inputs, output: outputs }, EXPORT_OPSET, {});
  return { bytes, params };
}
