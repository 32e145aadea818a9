/**
 * Export an autoencoder to ONNX from the same layer list that trained it. Input `[N, W, C]` (NWC, time-major);
 * dense layers become Reshape + Gemm, conv layers Transpose(NWC->NCW) + Conv / ConvTranspose so ONNX Runtime
 * uses its optimised kernels. Optional second output `latent`: the code, flattened per window. A VAE may also
 * output `samples` `[N, L, R, C]`: the decoder run a second time (same weights) on L fixed draws from q(z|x),
 * for the reconstruction-probability score, only for the trailing R rows the score reads (the final dense layer
 * computes just their columns); `reconstruction` stays the deterministic mean path.
 */
import type { LayerWeights } from '../models/autoencoder.ts';
import { traceShapes, type Activation, type ModelSpec } from '../models/spec.ts';
import { encodeModel, floatTensor, floatValueInfo, int64Tensor, node } from './proto.ts';

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
  samples?: { eps: Float32Array; outputName?: string; rows?: number };
}

const ACT_OP: Record<Exclude<Activation, 'linear'>, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

/** Reorder an im2col conv kernel `[k*Cin, F]` to ONNX Conv `[F, Cin, k]`. */
function convKernel(w: Float32Array, k: number, cin: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let j = 0; j < k; j++) for (let ci = 0; ci < cin; ci++) for (let co = 0; co < f; co++) out[(co * cin + ci) * k + j] = w[(j * cin + ci) * f + co];
  return out;
}

/** Reorder a transposed-conv kernel `[Cin, k*F]` to ONNX ConvTranspose `[Cin, F, k]`. */
function convTKernel(w: Float32Array, k: number, cin: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ci = 0; ci < cin; ci++) for (let j = 0; j < k; j++) for (let co = 0; co < f; co++) out[(ci * f + co) * k + j] = w[ci * k * f + j * f + co];
  return out;
}

/** Build the ONNX model bytes for a spec and its trained weights. */
export function exportOnnx(spec: ModelSpec, weights: (LayerWeights | undefined)[], opts: ExportOptions = {}): ExportedGraph {
  const shapes = traceShapes(spec);
  const inputName = opts.inputName ?? 'window';
  const outputName = opts.outputName ?? 'reconstruction';
  const nodes: import('onnx-proto').onnx.INodeProto[] = [];
  const inits: import('onnx-proto').onnx.ITensorProto[] = [];
  // The sampled decoder reuses the mean path's weights: each initializer is added once.
  const initNames = new Set<string>();
  const addInit = (...ts: import('onnx-proto').onnx.ITensorProto[]) => {
    for (const t of ts) if (!initNames.has(t.name!)) (initNames.add(t.name!), inits.push(t));
  };
  let h = inputName;
  // 3-D tensors travel as NWC between dense-side layers and NCW between conv layers; transpose on change.
  let layout: 'NWC' | 'NCW' = 'NWC';
  let counter = 0;
  const fresh = (base: string) => `${base}_${counter++}`;
  const toLayout = (want: 'NWC' | 'NCW') => {
    if (layout === want) return;
    const t = fresh(want === 'NCW' ? 'to_ncw' : 'to_nwc');
    nodes.push(node('Transpose', [h], [t], { perm: [0, 2, 1] }));
    h = t;
    layout = want;
  };
  const act = (a: Activation) => {
    if (a === 'linear') return;
    const t = fresh(a);
    nodes.push(node(ACT_OP[a], [h], [t]));
    h = t;
  };
  let latent: { name: string; shape: number[]; layout: 'NWC' | 'NCW' } | undefined;
  let head: { name: string; index: number; size: number } | undefined;
  let prevShape = [spec.window, spec.channels];

  const emit = (i: number) => {
    const l = spec.layers[i];
    const w = weights[i];
    switch (l.op) {
      case 'flatten':
      case 'unflatten': {
        if (l.op === 'flatten') toLayout('NWC');
        const shapeName = fresh(`shape${i}`);
        addInit(int64Tensor(shapeName, [-1, ...shapes[i]]));
        const t = fresh(l.op);
        nodes.push(node('Reshape', [h, shapeName], [t]));
        h = t;
        layout = 'NWC';
        break;
      }
      case 'dense': {
        addInit(floatTensor(`l${i}_kernel`, [l.in, l.units], w!.kernel), floatTensor(`l${i}_bias`, [l.units], w!.bias));
        const t = fresh('dense');
        nodes.push(node('Gemm', [h, `l${i}_kernel`, `l${i}_bias`], [t]));
        h = t;
        act(l.activation);
        break;
      }
      case 'conv': {
        toLayout('NCW');
        addInit(floatTensor(`l${i}_kernel`, [l.filters, l.in, l.kernel], convKernel(w!.kernel, l.kernel, l.in, l.filters)), floatTensor(`l${i}_bias`, [l.filters], w!.bias));
        const t = fresh('conv');
        nodes.push(node('Conv', [h, `l${i}_kernel`, `l${i}_bias`], [t], { kernel_shape: [l.kernel], strides: [l.stride], pads: [l.pad, l.pad] }));
        h = t;
        act(l.activation);
        break;
      }
      case 'convT': {
        toLayout('NCW');
        addInit(floatTensor(`l${i}_kernel`, [l.in, l.filters, l.kernel], convTKernel(w!.kernel, l.kernel, l.in, l.filters)), floatTensor(`l${i}_bias`, [l.filters], w!.bias));
        const t = fresh('convT');
        const attrs: Record<string, number[]> = { kernel_shape: [l.kernel], strides: [l.stride], pads: [l.pad, l.pad] };
        if (l.outPad) attrs.output_padding = [l.outPad];
        nodes.push(node('ConvTranspose', [h, `l${i}_kernel`, `l${i}_bias`], [t], attrs));
        h = t;
        act(l.activation);
        break;
      }
      case 'sample': {
        // Deterministic path: the mean, i.e. the first half of the encoder head.
        head = { name: h, index: i, size: l.size };
        const names = [fresh('starts'), fresh('ends'), fresh('axes')];
        addInit(int64Tensor(names[0], [0]), int64Tensor(names[1], [l.size]), int64Tensor(names[2], [1]));
        const t = fresh('mean');
        nodes.push(node('Slice', [h, ...names], [t]));
        h = t;
        break;
      }
      case 'code':
        latent ??= { name: h, shape: prevShape, layout };
        break;
    }
    prevShape = shapes[i];
  };
  spec.layers.forEach((_, i) => emit(i));
  toLayout('NWC');
  nodes.push(node('Identity', [h], [outputName]));

  const outputs = [floatValueInfo(outputName, [-1, spec.window, spec.channels])];
  const extraOutputs: Record<string, number[]> = {};
  if (latent && opts.latent !== false) {
    let src = latent.name;
    const size = latent.shape.reduce((a, b) => a * b, 1);
    if (latent.shape.length === 2) {
      if (latent.layout === 'NCW') {
        const t = fresh('latent_nwc');
        nodes.push(node('Transpose', [src], [t], { perm: [0, 2, 1] }));
        src = t;
      }
      const shapeName = fresh('latent_shape');
      inits.push(int64Tensor(shapeName, [-1, size]));
      const t = fresh('latent_flat');
      nodes.push(node('Reshape', [src, shapeName], [t]));
      src = t;
    }
    nodes.push(node('Identity', [src], ['latent']));
    outputs.push(floatValueInfo('latent', [-1, size]));
    extraOutputs.latent = [-1, size];
  }
  if (opts.samples) {
    if (!head) throw new Error(`exportOnnx: samples need a VAE (a 'sample' layer); ${spec.arch} has none`);
    const { eps } = opts.samples;
    const L = eps.length / head.size;
    if (!Number.isInteger(L) || L < 1) throw new Error(`exportOnnx: samples.eps has ${eps.length} values; expected L x ${head.size}`);
    const name = opts.samples.outputName ?? 'samples';
    const R = opts.samples.rows ?? spec.window;
    if (!Number.isInteger(R) || R < 1 || R > spec.window) throw new Error(`exportOnnx: samples.rows must be an integer in 1..${spec.window}, got ${R}`);
    const c = (base: string, vals: number[]) => {
      const t = fresh(base);
      addInit(int64Tensor(t, vals));
      return t;
    };
    const mean = fresh('s_mean');
    const logvar = fresh('s_logvar');
    nodes.push(node('Slice', [head.name, c('s0', [0]), c('s1', [head.size]), c('ax', [1])], [mean]));
    nodes.push(node('Slice', [head.name, c('s1', [head.size]), c('s2', [2 * head.size]), c('ax', [1])], [logvar]));
    const half = fresh('half');
    addInit(floatTensor(half, [], new Float32Array([0.5])));
    const epsName = fresh('eps');
    addInit(floatTensor(epsName, [L, head.size], eps));
    const unsq = c('unsq', [1]);
    const t = (op: string, ins: string[], base: string) => {
      const o = fresh(base);
      nodes.push(node(op, ins, [o]));
      return o;
    };
    // z [N, L, code] = mean [N, 1, code] + exp(logvar / 2) [N, 1, code] * eps [L, code]; decoded as N*L windows.
    const std = t('Exp', [t('Mul', [logvar, half], 's_halflv')], 's_std');
    const z = t('Add', [t('Unsqueeze', [mean, unsq], 's_mean3'), t('Mul', [t('Unsqueeze', [std, unsq], 's_std3'), epsName], 's_noise')], 's_z');
    h = t('Reshape', [z, c('s_zshape', [-1, head.size])], 's_zflat');
    layout = 'NWC';
    const dims = [-1, L, R, spec.channels];
    const n = spec.layers.length;
    const last = spec.layers[n - 2];
    const wc = spec.window * spec.channels;
    if (R < spec.window && last?.op === 'dense' && last.units === wc && spec.layers[n - 1].op === 'unflatten') {
      // Dense decoder: its output layer computes only the trailing R rows' columns (kernel [in, W*C] is row-major).
      for (let i = head.index + 1; i < n - 2; i++) emit(i);
      const from = wc - R * spec.channels;
      const kernel = new Float32Array(last.in * R * spec.channels);
      const w = weights[n - 2]!;
      for (let r = 0; r < last.in; r++) kernel.set(w.kernel.subarray(r * wc + from, (r + 1) * wc), r * R * spec.channels);
      addInit(floatTensor(`l${n - 2}_kernel_tail`, [last.in, R * spec.channels], kernel), floatTensor(`l${n - 2}_bias_tail`, [R * spec.channels], w.bias.subarray(from)));
      h = t('Gemm', [h, `l${n - 2}_kernel_tail`, `l${n - 2}_bias_tail`], 's_dense_tail');
      act(last.activation);
      nodes.push(node('Reshape', [h, c('s_outshape', dims)], [name]));
    } else {
      for (let i = head.index + 1; i < n; i++) emit(i);
      toLayout('NWC');
      const full = t('Reshape', [h, c('s_fullshape', [-1, L, spec.window, spec.channels])], 's_full');
      nodes.push(node('Slice', [full, c('s_r0', [spec.window - R]), c('s_r1', [spec.window]), c('s_rax', [2])], [name]));
    }
    outputs.push(floatValueInfo(name, dims));
    extraOutputs[name] = dims;
  }

  const bytes = encodeModel(
    { name: spec.arch, node: nodes, initializer: inits, input: [floatValueInfo(inputName, [-1, spec.window, spec.channels])], output: outputs },
    EXPORT_OPSET,
    opts.meta ?? {},
  );
  return { bytes, inputName, outputName, extraOutputs, opset: EXPORT_OPSET };
}
