/**
 * 1-D convolution and transposed convolution on `[N, L, C]` from slices, concat, pad and one matMul
 * (im2col). Every op here has a gradient kernel on the wasm backend, unlike Conv2DBackpropFilter.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './spec.ts';

/** Apply an activation through fused matMul where tfjs can, else element-wise. */
export function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
  }
}

/**
 * `x [M, K] @ w [K, F] + b` with relu or linear fused, and a hand-written gradient: tfjs' own matMul gradient
 * uses transposed-operand matMuls that the wasm backend runs on a slow path (5-10x); explicit transposes
 * keep every product on XNNPACK's fast kernel.
 */
type Linear2 = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
type Save = (tensors: tf.Tensor[]) => void;
const fusedLinear = (act: 'relu' | 'linear'): Linear2 =>
  tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: Save) => {
    const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: act });
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = (act === 'relu' ? tf.mul(dy, tf.step(ys)) : dy) as tf.Tensor2D;
        return [tf.matMul(g, tf.transpose(ws)), tf.matMul(tf.transpose(xs), g), tf.sum(g, 0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Linear2;
const LINEAR = { relu: fusedLinear('relu'), linear: fusedLinear('linear') };

/** `x [M, K] @ w [K, F] + b`, then the activation (relu and linear fused into the matMul kernel). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, a: Activation): tf.Tensor2D {
  if (a === 'relu' || a === 'linear') return LINEAR[a](x, w, b);
  return activate(LINEAR.linear(x, w, b), a) as tf.Tensor2D;
}

/** `x [M, K] @ w [K, F]` without bias, with the same fast-path gradient as `linear`. */
export const matMulFast = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: Save) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * Conv over time: x `[N, L, Cin]`, kernel `[k*Cin, F]` (row `j*Cin + ci`), output `[N, Lout, F]` with
 * `Lout = floor((L + 2*pad - k) / stride) + 1`. Tap j of output t reads input row `t*stride + j - pad`.
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, k: number, stride: number, pad: number, a: Activation): tf.Tensor3D {
  const [n, L, cin] = x.shape;
  const f = w.shape[1];
  const lout = Math.floor((L + 2 * pad - k) / stride) + 1;
  // Pad so the padded length is a multiple of stride and covers the last tap, then view `stride` consecutive
  // rows as one super-row of stride*Cin features: taps q*stride..q*stride+stride-1 of output t are then the
  // contiguous super-row t+q. Each super-row offset is one plain slice times its block of kernel rows; summing
  // the ceil(k/stride) products beats concatenating them into one im2col matrix (no concat/split, ~13 %).
  const need = Math.max(L + 2 * pad, stride * (lout - 1) + k);
  const lp = Math.ceil(need / stride) * stride;
  const xp = pad > 0 || lp !== L ? tf.pad(x, [[0, 0], [pad, lp - L - pad], [0, 0]]) : x;
  const x2 = tf.reshape(xp, [n, lp / stride, stride * cin]);
  let acc: tf.Tensor2D | undefined;
  for (let q = 0; q * stride < k; q++) {
    const width = Math.min(stride, k - q * stride) * cin;
    const rows = tf.reshape(tf.slice(x2, [0, q, 0], [n, lout, width]), [n * lout, width]) as tf.Tensor2D;
    const y = matMulFast(rows, tf.slice(w, [q * stride * cin, 0], [width, f]) as tf.Tensor2D);
    acc = acc ? (tf.add(acc, y) as tf.Tensor2D) : y;
  }
  return tf.reshape(activate(tf.add(acc!, b), a), [n, lout, f]) as tf.Tensor3D;
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
