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
/** `x [M, K] @ w [K, F]` without bias (kept for callers that need no bias). */
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
  const lout = Math.floor((L + 2 * pad - k) / stride) + 1;
  // Pad so the padded length is a multiple of stride and covers the last tap, then view `stride` consecutive
  // rows as one super-row of stride*Cin features: taps q*stride..q*stride+stride-1 of output t are then the
  // contiguous super-row t+q, so im2col is ceil(k/stride) plain slices instead of k strided ones.
  const need = Math.max(L + 2 * pad, stride * (lout - 1) + k);
  const lp = Math.ceil(need / stride) * stride;
  const xp = pad > 0 || lp !== L ? tf.pad(x, [[0, 0], [pad, lp - L - pad], [0, 0]]) : x;
  const x2 = tf.reshape(xp, [n, lp / stride, stride * cin]);
  const parts: tf.Tensor3D[] = [];
  for (let q = 0; q * stride < k; q++) {
    const width = Math.min(stride, k - q * stride) * cin;
    parts.push(tf.slice(x2, [0, q, 0], [n, lout, width]) as tf.Tensor3D);
  }
  const cols = parts.length === 1 ? parts[0] : tf.concat(parts, 2);
  const y = linear(tf.reshape(cols, [n * lout, k * cin]), w, b, a);
  return tf.reshape(y, [n, lout, w.shape[1]]);
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
  // Output super-row c (stride rows of F) = sum over q of x[c - q] @ W_q, where W_q holds taps
  // q*stride .. q*stride+stride-1. That is a stride-1 convolution of x with nq taps and stride*F outputs, so it
  // runs as im2col on the (small) input and one matMul; bias and relu fuse into it, phases reshape to rows.
  const nq = Math.ceil(k / stride);
  const lc = Math.max(L + nq - 1, Math.ceil((pad + lout) / stride));
  const wide = stride * f;
  const wp = nq * stride > k ? tf.pad(w, [[0, 0], [0, (nq * stride - k) * f]]) : w;
  // Rows of V are (m, ci) with m = nq-1-q: the correlation reads x[c+m-(nq-1)].
  const v = tf.reshape(tf.transpose(tf.reverse(tf.reshape(wp, [cin, nq, wide]), 1), [1, 0, 2]), [nq * cin, wide]) as tf.Tensor2D;
  const xp = tf.pad(x, [[0, 0], [nq - 1, lc - L], [0, 0]]);
  const taps: tf.Tensor3D[] = [];
  for (let m = 0; m < nq; m++) taps.push(tf.slice(xp, [0, m, 0], [n, lc, cin]) as tf.Tensor3D);
  const cols = taps.length === 1 ? taps[0] : tf.concat(taps, 2);
  const bias = stride === 1 ? b : (tf.tile(b, [stride]) as tf.Tensor1D);
  const act = a === 'relu' || a === 'linear' ? a : 'linear';
  const y = linear(tf.reshape(cols, [n * lc, nq * cin]) as tf.Tensor2D, v, bias, act);
  const fine = tf.reshape(y, [n, lc * stride, f]);
  const cropped = tf.slice(fine, [0, pad, 0], [n, lout, f]) as tf.Tensor3D;
  return (act === a ? cropped : activate(cropped, a)) as tf.Tensor3D;
}
