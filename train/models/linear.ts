/**
 * The products every weighted layer op is built from (`ops/dense.ts`, `ops/conv.ts`, `ops/conv-transpose.ts`):
 * matMuls with a fast-path gradient and the activations. Every op here has a gradient kernel on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './ops/op.ts';

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
 * Rows `start .. start+len-1` of every sample of `x [N, L, W]`, as `[N, len, W]`. The same slice as
 * `tf.slice(x, [0, start, 0], [N, len, W])`, taken on the `[N, L*W]` view: the wasm backend slices a 3-D tensor
 * in JavaScript one row of W at a time (N*len copies) and a 2-D one a sample at a time (N copies); a conv layer's
 * slices (and the gradients of its pads) were its largest cost in training.
 */
export function sliceRows(x: tf.Tensor3D, start: number, len: number): tf.Tensor3D {
  const [n, L, w] = x.shape;
  if (start === 0 && len === L) return x;
  return tf.reshape(tf.slice(tf.reshape(x, [n, L * w]), [0, start * w], [n, len * w]), [n, len, w]);
}

/** `x [N, L, W]` with `before` / `after` zero rows around each sample, on the `[N, L*W]` view (its gradient is a 2-D slice). */
export function padRows(x: tf.Tensor3D, before: number, after: number): tf.Tensor3D {
  const [n, L, w] = x.shape;
  if (before === 0 && after === 0) return x;
  return tf.reshape(tf.pad(tf.reshape(x, [n, L * w]), [[0, 0], [before * w, after * w]]), [n, L + before + after, w]);
}
