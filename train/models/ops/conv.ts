/**
 * `conv`: 1-D convolution over time on `[N, L, Cin]`, zero padding `pad` on both ends. Kernel stored im2col-style
 * as `[kernel * Cin, filters]` with row `j * Cin + ci`; exported as ONNX Conv (NCW, kernel `[F, Cin, k]`).
 * The forward pass is slices, pad and matMuls: every op has a gradient kernel on the wasm backend, unlike
 * Conv2DBackpropFilter.
 */
import * as tf from '@tensorflow/tfjs';
import { floatTensor } from '../../export/proto.ts';
import { activate, matMulFast, padRows, sliceRows } from '../linear.ts';
import { expectShape, type Activation, type LayerOp } from './op.ts';

/** Conv layer spec. */
export interface ConvLayer {
  op: 'conv';
  in: number;
  filters: number;
  kernel: number;
  stride: number;
  pad: number;
  activation: Activation;
}

/** Output length of a conv layer on length L. */
export function convOutLength(l: { kernel: number; stride: number; pad: number }, L: number): number {
  return Math.floor((L + 2 * l.pad - l.kernel) / l.stride) + 1;
}

/** The conv op. */
export const conv: LayerOp<ConvLayer> = {
  op: 'conv',
  outShape(l, input, where) {
    expectShape(input.length === 2 && input[1] === l.in, where, `L, ${l.in}`, input);
    const len = convOutLength(l, input[0]);
    if (len < 1) throw new Error(`${where}: window too short for this many strided convolutions`);
    return [len, l.filters];
  },
  params: (l) => ({ kernel: [l.kernel * l.in, l.filters], bias: [l.filters], fans: [l.in * l.kernel, l.filters * l.kernel] }),
  forward: (l, h, { vars }) => conv1d(h as tf.Tensor3D, vars!.kernel as tf.Tensor2D, vars!.bias as tf.Tensor1D, l.kernel, l.stride, l.pad, l.activation),
  emitOnnx(l, g, i, w) {
    g.toLayout('NCW');
    g.addInit(floatTensor(`l${i}_kernel`, [l.filters, l.in, l.kernel], convKernel(w!.kernel, l.kernel, l.in, l.filters)), floatTensor(`l${i}_bias`, [l.filters], w!.bias));
    g.apply('Conv', [g.h, `l${i}_kernel`, `l${i}_bias`], 'conv', { kernel_shape: [l.kernel], strides: [l.stride], pads: [l.pad, l.pad] });
    g.act(l.activation);
  },
  fromOnnx: (l, w) => ({ kernel: fromConvKernel(w.kernel, l.kernel, l.in, l.filters), bias: w.bias }),
};

/** Reorder an im2col conv kernel `[k*Cin, F]` to ONNX Conv `[F, Cin, k]`. */
function convKernel(w: Float32Array, k: number, cin: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let j = 0; j < k; j++) for (let ci = 0; ci < cin; ci++) for (let co = 0; co < f; co++) out[(co * cin + ci) * k + j] = w[(j * cin + ci) * f + co];
  return out;
}

/** ONNX Conv `[F, Cin, k]` back to the im2col kernel `[k*Cin, F]`. */
function fromConvKernel(w: Float32Array, k: number, cin: number, f: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let j = 0; j < k; j++) for (let ci = 0; ci < cin; ci++) for (let co = 0; co < f; co++) out[(j * cin + ci) * f + co] = w[(co * cin + ci) * k + j];
  return out;
}

/**
 * Conv over time: x `[N, L, Cin]`, kernel `[k*Cin, F]` (row `j*Cin + ci`), output `[N, Lout, F]` with
 * `Lout = floor((L + 2*pad - k) / stride) + 1`. Tap j of output t reads input row `t*stride + j - pad`.
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, k: number, stride: number, pad: number, a: Activation): tf.Tensor3D {
  const [n, L, cin] = x.shape;
  const f = w.shape[1];
  const lout = Math.floor((L + 2 * pad - k) / stride) + 1;
  // Pad so the padded length is a multiple of stride and covers every tap group, then view `stride` consecutive
  // rows as one super-row of stride*Cin features: taps q*stride..q*stride+stride-1 of output t are then the
  // contiguous super-row t+q. Each super-row offset is one slice of whole super-rows (contiguous per sample)
  // times its block of kernel rows; the last block is zero-filled past tap k, so no slice cuts a super-row.
  // Summing the ceil(k/stride) products beats concatenating them into one im2col matrix (no concat/split, ~13 %).
  const nq = Math.ceil(k / stride);
  const wide = stride * cin;
  const need = Math.max(L + 2 * pad, stride * (lout - 1 + nq));
  const lp = Math.ceil(need / stride) * stride;
  const x2 = tf.reshape(padRows(x, pad, lp - L - pad), [n, lp / stride, wide]) as tf.Tensor3D;
  const wp = nq * stride > k ? tf.pad(w, [[0, (nq * stride - k) * cin], [0, 0]]) : w;
  let acc: tf.Tensor2D | undefined;
  for (let q = 0; q < nq; q++) {
    const rows = tf.reshape(sliceRows(x2, q, lout), [n * lout, wide]) as tf.Tensor2D;
    const y = matMulFast(rows, tf.slice(wp, [q * wide, 0], [wide, f]) as tf.Tensor2D);
    acc = acc ? (tf.add(acc, y) as tf.Tensor2D) : y;
  }
  return tf.reshape(activate(tf.add(acc!, b), a), [n, lout, f]) as tf.Tensor3D;
}
