/**
 * `convT`: transposed 1-D convolution, PyTorch/ONNX semantics: output length `(L-1)*stride - 2*pad + kernel + outPad`.
 * Kernel stored as `[Cin, kernel * filters]` with column `j * filters + co`; exported as ONNX ConvTranspose
 * (NCW, kernel `[Cin, F, k]`).
 */
import * as tf from '@tensorflow/tfjs';
import { floatTensor } from '../../export/proto.ts';
import { activate, matMulFast } from '../linear.ts';
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
  emitOnnx(l, g, i, w) {
    g.toLayout('NCW');
    g.addInit(floatTensor(`l${i}_kernel`, [l.in, l.filters, l.kernel], convTKernel(w!.kernel, l.kernel, l.in, l.filters)), floatTensor(`l${i}_bias`, [l.filters], w!.bias));
    const attrs: Record<string, number[]> = { kernel_shape: [l.kernel], strides: [l.stride], pads: [l.pad, l.pad] };
    if (l.outPad) attrs.output_padding = [l.outPad];
    g.apply('ConvTranspose', [g.h, `l${i}_kernel`, `l${i}_bias`], 'convT', attrs);
    g.act(l.activation);
  },
  kernelFromOnnx: (l, w) => fromConvTKernel(w, l.kernel, l.in, l.filters),
};

/** Reorder a transposed-conv kernel `[Cin, k*F]` to ONNX ConvTranspose `[Cin, F, k]`. */
function convTKernel(w: Float32Array, k: number, cin: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ci = 0; ci < cin; ci++) for (let j = 0; j < k; j++) for (let co = 0; co < f; co++) out[(ci * f + co) * k + j] = w[ci * k * f + j * f + co];
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
  const lout = (L - 1) * stride - 2 * pad + k + outPad;
  // Output super-row c (stride rows of F) = sum over q of x[c - q] @ W_q, where W_q is the column block of taps
  // q*stride .. q*stride+stride-1: a stride-1 convolution of the (small) input with ceil(k/stride) taps and
  // stride*F outputs. One slice of the padded input and one matMul per q, summed; the super-rows then reshape
  // to output rows and the padding is cropped.
  const nq = Math.ceil(k / stride);
  const lc = Math.max(L + nq - 1, Math.ceil((pad + lout) / stride));
  const wide = stride * f;
  const wp = nq * stride > k ? tf.pad(w, [[0, 0], [0, (nq * stride - k) * f]]) : w; // missing taps add zero
  const xp = tf.pad(x, [[0, 0], [nq - 1, lc - L], [0, 0]]);
  let acc: tf.Tensor2D | undefined;
  for (let q = 0; q < nq; q++) {
    // Super-row c reads x[c - q] = xp[c + (nq - 1 - q)].
    const rows = tf.reshape(tf.slice(xp, [0, nq - 1 - q, 0], [n, lc, cin]), [n * lc, cin]) as tf.Tensor2D;
    const y = matMulFast(rows, tf.slice(wp, [0, q * wide], [cin, wide]) as tf.Tensor2D);
    acc = acc ? (tf.add(acc, y) as tf.Tensor2D) : y;
  }
  const bias = stride === 1 ? b : (tf.tile(b, [stride]) as tf.Tensor1D);
  const fine = tf.reshape(activate(tf.add(acc!, bias), a), [n, lc * stride, f]);
  return tf.slice(fine, [0, pad, 0], [n, lout, f]) as tf.Tensor3D;
}
