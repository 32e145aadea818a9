/** `flatten`: `[N, W, C]` -> `[N, W*C]` (time-major, channels fastest: the same order ONNX Reshape gives). */
import * as tf from '@tensorflow/tfjs';
import { int64Tensor } from '../../export/proto.ts';
import type { LayerOp } from './op.ts';

/** Flatten layer spec. */
export interface FlattenLayer { op: 'flatten' }

/** The flatten op. */
export const flatten: LayerOp<FlattenLayer> = {
  op: 'flatten',
  outShape: (_l, input) => [input.reduce((a, b) => a * b, 1)],
  forward: (_l, h, { n }) => tf.reshape(h, [n, -1]),
  emitOnnx(l, g, i) {
    g.toLayout('NWC');
    const shapeName = g.fresh(`shape${i}`);
    g.addInit(int64Tensor(shapeName, [-1, ...g.shapes[i]]));
    g.apply('Reshape', [g.h, shapeName], l.op);
    g.layout = 'NWC';
  },
};
