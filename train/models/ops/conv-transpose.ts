/**
 * `convT`: transposed 1-D convolution, PyTorch/ONNX semantics: output length `(L-1)*stride - 2*pad + kernel + outPad`.
 * Kernel stored as `[Cin, kernel * filters]` with column `j * filters + co`.
 *
 * Exported in polyphase form, the way it is trained: one stride-1 ONNX Conv with `stride * F` outputs and
 * `ceil(k / stride)` taps (kernel `[stride*F, Cin, nq]`), whose output channels are then interleaved into time
 * (Reshape, Transpose, Reshape) and cropped (Slice). Same products as a ConvTranspose, but ONNX Runtime's CPU
 * ConvTranspose (GEMM then col2im) cost 76 % of the default conv model's inference and its Conv a fraction of that.
 * Graphs exported before this (ONNX ConvTranspose, kernel `[Cin, F, k]`) are still read back (`kernelFromOnnx`).
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBuilder } from '../../export/builder.ts';
import { floatTensor, int64Tensor } from '../../export/proto.ts';
import { activate, matMulFast, padRows, sliceRows } from '../linear.ts';
import { expectShape, type Activation, type LayerOp } from './op.ts';

/** Transposed conv layer spec. */
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

/** Output length of a transposed conv layer on length L. */
export function convTOutLength(l: { kernel: number; stride: number; pad: number; outPad: number }, L: number): number {
  return (L - 1) * l.stride - 2 * l.pad + l.kernel + l.outPad;
}

/** The transposed conv op. */
export const convT: LayerOp<ConvTransposeLayer> = {
  op: 'convT',
  outShape(l, input, where) {
    expectShape(input.length === 2 && input[1] === l.in, where, `L, ${l.in}`, input);
    return [convTOutLength(l, input[0]), l.filters];
  },
  params: (l) => ({ kernel: [l.in, l.kernel * l.filters], bias: [l.filters], fans: [l.in * l.kernel, l.filters * l.kernel] }),
  forward: (l, h, { vars }) =>
    convTranspose1d(h as tf.Tensor3D, vars!.kernel as tf.Tensor2D, vars!.bias as tf.Tensor1D, l.kernel, l.stride, l.pad, l.outPad, l.activation),
  emitOnnx: (l, g, i, w) => emitPolyphase(l, g, i, w!.kernel, w!.bias),
  fromOnnx: (l, w, opType) =>
    opType === 'ConvTranspose'
      ? { kernel: fromConvTKernel(w.kernel, l.kernel, l.in, l.filters), bias: w.bias }
      : { kernel: fromPhaseKernel(w.kernel, l), bias: w.bias.slice(0, l.filters) },
};

/** Taps per phase, the super-rows the phases are computed on, and the output length, on input length L. */
function phases(l: Pick<ConvTransposeLayer, 'kernel' | 'stride' | 'pad' | 'outPad'>, L: number): { nq: number; lc: number; lout: number } {
  const nq = Math.ceil(l.kernel / l.stride);
  const lout = convTOutLength(l, L);
  return { nq, lc: Math.max(L + nq - 1, Math.ceil((l.pad + lout) / l.stride)), lout };
}

/**
 * The layer as ONNX nodes on an NCW tensor `[N, Cin, L]`: Conv (pads nq-1 | lc-L) and the activation give
 * `[N, stride*F, lc]`, output channel `r*F + co` being phase r of super-row c; Reshape `[N, stride, F, lc]`,
 * Transpose to `[N, F, lc, stride]` and Reshape `[N, F, lc*stride]` put phase r of super-row c at time
 * `c*stride + r`; Slice crops `pad`.
 */
function emitPolyphase(l: ConvTransposeLayer, g: GraphBuilder, i: number, kernel: Float32Array, bias: Float32Array): void {
  g.toLayout('NCW');
  const L = g.shapeBefore(i)[0];
  const { nq, lc, lout } = phases(l, L);
  const s = l.stride;
  const f = l.filters;
  const tiled = new Float32Array(s * f);
  for (let r = 0; r < s; r++) tiled.set(bias, r * f);
  g.addInit(floatTensor(`l${i}_kernel`, [s * f, l.in, nq], phaseKernel(kernel, l)), floatTensor(`l${i}_bias`, [s * f], tiled));
  g.apply('Conv', [g.h, `l${i}_kernel`, `l${i}_bias`], 'convT', { kernel_shape: [nq], strides: [1], pads: [nq - 1, lc - L] });
  // Elementwise, so before the interleave: ONNX Runtime fuses Conv + Relu.
  g.act(l.activation);
  const consts = (name: string, values: number[]) => {
    const t = g.fresh(`l${i}_${name}`);
    g.addInit(int64Tensor(t, values));
    return t;
  };
  if (s > 1) {
    g.apply('Reshape', [g.h, consts('phases', [-1, s, f, lc])], 'convT_phases');
    g.apply('Transpose', [g.h], 'convT_interleave', { perm: [0, 2, 3, 1] });
    g.apply('Reshape', [g.h, consts('time', [-1, f, lc * s])], 'convT_time');
  }
  if (l.pad > 0 || lc * s !== lout) g.apply('Slice', [g.h, consts('start', [l.pad]), consts('end', [l.pad + lout]), consts('axis', [2])], 'convT_crop');
}

/** The stored kernel `[Cin, k*F]` as the phase Conv's `[stride*F, Cin, nq]`: tap t = nq-1-q of output r*F + co is tap j = q*stride + r. */
function phaseKernel(w: Float32Array, l: ConvTransposeLayer): Float32Array {
  const { in: cin, filters: f, kernel: k, stride: s } = l;
  const nq = Math.ceil(k / s);
  const out = new Float32Array(s * f * cin * nq);
  for (let q = 0; q < nq; q++) {
    for (let r = 0; r < s && q * s + r < k; r++) {
      const j = q * s + r;
      for (let co = 0; co < f; co++) for (let ci = 0; ci < cin; ci++) out[((r * f + co) * cin + ci) * nq + (nq - 1 - q)] = w[ci * k * f + j * f + co];
    }
  }
  return out;
}

/** The phase Conv's kernel back to `[Cin, k*F]` (the zero taps past k are dropped). */
function fromPhaseKernel(w: Float32Array, l: ConvTransposeLayer): Float32Array {
  const { in: cin, filters: f, kernel: k, stride: s } = l;
  const nq = Math.ceil(k / s);
  const out = new Float32Array(cin * k * f);
  for (let j = 0; j < k; j++) {
    const q = Math.floor(j / s);
    const r = j % s;
    for (let co = 0; co < f; co++) for (let ci = 0; ci < cin; ci++) out[ci * k * f + j * f + co] = w[((r * f + co) * cin + ci) * nq + (nq - 1 - q)];
  }
  return out;
}

/** ONNX ConvTranspose `[Cin, F, k]` back to `[Cin, k*F]`. */
function fromConvTKernel(w: Float32Array, k: number, cin: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ci = 0; ci < cin; ci++) for (let j = 0; j < k; j++) for (let co = 0; co < f; co++) out[ci * k * f + j * f + co] = w[(ci * f + co) * k + j];
  return out;
}

/**
 * Transposed conv over time: x `[N, L, Cin]`, kernel `[Cin, k*F]` (column `j*F + co`), output `[N, Lout, F]`
 * with `Lout = (L-1)*stride - 2*pad + k + outPad`. Input row i adds `x[i] @ W_j` to output row `i*stride + j - pad`.
 */
export function convTranspose1d(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  k: number,
  stride: number,
  pad: number,
  outPad: number,
  a: Activation,
): tf.Tensor3D {
  const [n, L, cin] = x.shape;
  const f = b.shape[0];
  const { nq, lc, lout } = phases({ kernel: k, stride, pad, outPad }, L);
  // Output super-row c (stride rows of F) = sum over q of x[c - q] @ W_q, where W_q is the column block of taps
  // q*stride .. q*stride+stride-1: a stride-1 convolution of the (small) input with ceil(k/stride) taps and
  // stride*F outputs. One slice of the padded input and one matMul per q, summed; the super-rows then reshape
  // to output rows and the padding is cropped.
  const wide = stride * f;
  const wp = nq * stride > k ? tf.pad(w, [[0, 0], [0, (nq * stride - k) * f]]) : w; // missing taps add zero
  const xp = padRows(x, nq - 1, lc - L);
  let acc: tf.Tensor2D | undefined;
  for (let q = 0; q < nq; q++) {
    // Super-row c reads x[c - q] = xp[c + (nq - 1 - q)].
    const rows = tf.reshape(sliceRows(xp, nq - 1 - q, lc), [n * lc, cin]) as tf.Tensor2D;
    const y = matMulFast(rows, tf.slice(wp, [0, q * wide], [cin, wide]) as tf.Tensor2D);
    acc = acc ? (tf.add(acc, y) as tf.Tensor2D) : y;
  }
  const bias = stride === 1 ? b : (tf.tile(b, [stride]) as tf.Tensor1D);
  const fine = tf.reshape(activate(tf.add(acc!, bias), a), [n, lc * stride, f]);
  return sliceRows(fine as tf.Tensor3D, pad, lout);
}
