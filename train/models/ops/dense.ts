/** `dense`: fully connected, `[N, in]` -> `[N, units]`; kernel `[in, units]`, bias `[units]`; ONNX Gemm. */
import type * as tf from '@tensorflow/tfjs';
import { floatTensor } from '../../export/proto.ts';
import { linear } from '../linear.ts';
import { expectShape, type Activation, type LayerOp } from './op.ts';

/** Dense layer spec. */
export interface DenseLayer { op: 'dense'; in: number; units: number; activation: Activation }

/** The dense op. */
export const dense: LayerOp<DenseLayer> = {
  op: 'dense',
  outShape(l, input, where) {
    expectShape(input.length === 1 && input[0] === l.in, where, `${l.in}`, input);
    return [l.units];
  },
  params: (l) => ({ kernel: [l.in, l.units], bias: [l.units], fans: [l.in, l.units] }),
  forward: (l, h, { vars }) => linear(h as tf.Tensor2D, vars!.kernel as tf.Tensor2D, vars!.bias as tf.Tensor1D, l.activation),
  emitOnnx(l, g, i, w) {
    g.addInit(floatTensor(`l${i}_kernel`, [l.in, l.units], w!.kernel), floatTensor(`l${i}_bias`, [l.units], w!.bias));
    g.apply('Gemm', [g.h, `l${i}_kernel`, `l${i}_bias`], 'dense');
    g.act(l.activation);
  },
};
