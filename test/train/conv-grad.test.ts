/** The im2col conv and transposed conv: gradients match finite differences (they replace tfjs' own kernels). */
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../train/backend.ts';
import { conv1d } from '../../train/models/ops/conv.ts';
import { convTranspose1d } from '../../train/models/ops/conv-transpose.ts';
import { Rng } from '../../runtime/util/prng.ts';

beforeAll(async () => {
  await selectBackend('cpu'); // float32 finite differences: plain JS kernels, no SIMD reassociation
});

function numericGrad(f: (w: tf.Tensor) => tf.Scalar, w: tf.Tensor, eps = 1e-2): Float32Array {
  const base = w.dataSync().slice() as Float32Array;
  const g = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice(); plus[i] += eps;
    const minus = base.slice(); minus[i] -= eps;
    const fp = tf.tidy(() => f(tf.tensor(plus, w.shape)).dataSync()[0]);
    const fm = tf.tidy(() => f(tf.tensor(minus, w.shape)).dataSync()[0]);
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / Math.max(den, 1e-12));
}

const rng = new Rng(9);
const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

describe('im2col convolutions', () => {
  for (const [k, stride, pad, L] of [[5, 2, 2, 11], [3, 1, 1, 7], [4, 2, 1, 8]]) {
    it(`conv1d k=${k} s=${stride} p=${pad}: analytic gradients match finite differences`, () => {
      const x = rand([2, L, 3]), w = rand([k * 3, 4]), b = rand([4]);
      const t = rand([2, Math.floor((L + 2 * pad - k) / stride) + 1, 4]);
      const loss = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(conv1d(xx as tf.Tensor3D, ww as tf.Tensor2D, b as tf.Tensor1D, k, stride, pad, 'linear'), t)) as tf.Scalar;
      const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => loss(xx, ww))([x, w]);
      expect(relErr(gw.dataSync(), numericGrad((ww) => loss(x, ww), w))).toBeLessThan(1e-2);
      expect(relErr(gx.dataSync(), numericGrad((xx) => loss(xx, w), x))).toBeLessThan(1e-2);
    });
    it(`convTranspose1d k=${k} s=${stride} p=${pad}: analytic gradients match finite differences`, () => {
      const x = rand([2, L, 3]), w = rand([3, k * 4]), b = rand([4]);
      const lout = (L - 1) * stride - 2 * pad + k + (stride > 1 ? 1 : 0);
      const t = rand([2, lout, 4]);
      const loss = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(convTranspose1d(xx as tf.Tensor3D, ww as tf.Tensor2D, b as tf.Tensor1D, k, stride, pad, stride > 1 ? 1 : 0, 'relu'), t)) as tf.Scalar;
      const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => loss(xx, ww))([x, w]);
      expect(relErr(gw.dataSync(), numericGrad((ww) => loss(x, ww), w))).toBeLessThan(1e-2);
      expect(relErr(gx.dataSync(), numericGrad((xx) => loss(xx, w), x))).toBeLessThan(1e-2);
    });
  }
});
