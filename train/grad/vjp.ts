/**
 * Vector-Jacobian products of the ONNX ops an exported autoencoder uses, each written as ONNX nodes: given a
 * forward node and the gradient of its output, the gradients of the inputs that need one. The rules read static
 * shapes (`shapes.ts`) where an op needs a length the batch does not change.
 */
import type { onnx } from 'onnx-proto';
import { attr, sliceBounds, type GraphShapes } from './shapes.ts';

/** Where rules write their nodes. */
export interface GradSink {
  /** Append a node with one output; returns its (fresh) name. */
  add(opType: string, inputs: string[], base: string, attrs?: Record<string, number | number[]>): string;
  /** An int64 constant. */
  ints(values: number[]): string;
  /** A float32 scalar constant. */
  scalar(value: number): string;
  readonly shapes: GraphShapes;
}

/** Gradients of a node's inputs (undefined where none is needed), given the gradient `dy` of its output. */
type Rule = (n: onnx.INodeProto, dy: string, need: boolean[], s: GradSink) => (string | undefined)[];

const shapeOf = (s: GradSink, name: string): number[] => s.shapes.shapes.get(name)!;

const RULES: Record<string, Rule> = {
  Identity: (_n, dy) => [dy],
  Relu: (n, dy, _need, s) => [s.add('Where', [s.add('Greater', [n.output![0], s.scalar(0)], 'relu_on'), dy, s.scalar(0)], 'd_relu')],
  Sigmoid: (n, dy, _need, s) => {
    const y = n.output![0];
    return [s.add('Mul', [dy, s.add('Mul', [y, s.add('Sub', [s.scalar(1), y], 'one_minus')], 'dsig')], 'd_sigmoid')];
  },
  Tanh: (n, dy, _need, s) => {
    const y = n.output![0];
    return [s.add('Mul', [dy, s.add('Sub', [s.scalar(1), s.add('Mul', [y, y], 'y2')], 'dtanh')], 'd_tanh')];
  },
  Exp: (n, dy, _need, s) => [s.add('Mul', [dy, n.output![0]], 'd_exp')],
  // Equal shapes, or a scalar second operand (shapes.ts refuses the rest); a scalar gets no gradient here.
  Add: (n, dy, need, s) => {
    if (need[1] && s.shapes.shapes.get(n.input![1])!.length === 0) throw new Error('gradient graph: Add of a trainable scalar');
    return [dy, dy];
  },
  Mul: (n, dy, need, s) => {
    const [a, b] = n.input!;
    if (need[1] && s.shapes.shapes.get(b)!.length === 0) throw new Error('gradient graph: Mul by a trainable scalar');
    return [need[0] ? s.add('Mul', [dy, b], 'd_mul_a') : undefined, need[1] ? s.add('Mul', [dy, a], 'd_mul_b') : undefined];
  },
  Reshape: (n, dy, _need, s) => [s.add('Reshape', [dy, s.add('Shape', [n.input![0]], 'shape')], 'd_reshape'), undefined],
  Transpose: (n, dy, _need, s) => {
    const perm = attr(n, 'perm');
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [s.add('Transpose', [dy], 'd_transpose', { perm: inv })];
  },
  Gemm: (n, dy, need, s) => {
    const [a, b] = n.input!;
    return [
      need[0] ? s.add('Gemm', [dy, b], 'd_gemm_a', { transB: 1 }) : undefined,
      need[1] ? s.add('Gemm', [a, dy], 'd_gemm_b', { transA: 1 }) : undefined,
      need[2] ? s.add('ReduceSum', [dy, s.ints([0])], 'd_gemm_c', { keepdims: 0 }) : undefined,
    ];
  },
  Conv: (n, dy, need, s) => {
    const [x, w] = n.input!;
    const [, , L] = shapeOf(s, x);
    const [, , k] = shapeOf(s, w);
    const lout = shapeOf(s, n.output![0])[2];
    const stride = attr(n, 'strides', [1])[0];
    const pads = attr(n, 'pads', [0, 0]);
    const out: (string | undefined)[] = [undefined, undefined, undefined];
    // The input rows the last output's taps reach (the rest of the padded input is read by no output).
    const used = stride * (lout - 1) + k;
    if (need[0]) {
      out[0] = s.add('ConvTranspose', [dy, w], 'd_conv_x', {
        kernel_shape: [k], strides: [stride], pads, output_padding: [L + pads[0] + pads[1] - used],
      });
    }
    if (need[1]) {
      // dW[f, c, j] = sum_n sum_t dy[n, f, t] * xpad[n, c, t*stride + j]: a convolution of x (channels <-> batch
      // swapped) with dy as the kernel, dilated by the stride.
      let xs = x;
      let tail = used - L - pads[0];
      if (tail < 0) {
        xs = s.add('Slice', [x, s.ints([0]), s.ints([L + tail]), s.ints([2])], 'd_conv_crop');
        tail = 0;
      }
      const xt = s.add('Transpose', [xs], 'd_conv_xt', { perm: [1, 0, 2] });
      const dyt = s.add('Transpose', [dy], 'd_conv_dyt', { perm: [1, 0, 2] });
      const dw = s.add('Conv', [xt, dyt], 'd_conv_wt', { kernel_shape: [lout], dilations: [stride], pads: [pads[0], tail] });
      out[1] = s.add('Transpose', [dw], 'd_conv_w', { perm: [1, 0, 2] });
    }
    if (need[2]) out[2] = s.add('ReduceSum', [dy, s.ints([0, 2])], 'd_conv_b', { keepdims: 0 });
    return out;
  },
  Slice: (n, dy, _need, s) => {
    const x = shapeOf(s, n.input![0]);
    const c = (i: number) => s.shapes.consts.get(n.input![i])!;
    const [starts, ends, axes] = [c(1), c(2), c(3)];
    const pads = new Array<number>(2 * x.length).fill(0);
    axes.forEach((a, j) => {
      const [st, en] = sliceBounds(x[a], starts[j], ends[j]);
      pads[a] = st;
      pads[x.length + a] = x[a] - en;
    });
    return [s.add('Pad', [dy, s.ints(pads)], 'd_slice')];
  },
};

/** The rule for an op type; throws, naming it, where there is none. */
export function vjpOf(opType: string): Rule {
  const r = RULES[opType];
  if (!r) throw new Error(`gradient graph: no gradient rule for ONNX op ${opType}`);
  return r;
}

/** ONNX ops with a gradient rule. */
export const GRADIENT_OPS = Object.keys(RULES);
