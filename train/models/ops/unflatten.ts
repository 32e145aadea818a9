/** `unflatten`: `[N, F]` -> `[N, W, C]`, the inverse of `flatten`. */
import * as tf from '@tensorflow/tfjs';
import { int64Tensor } from '../../export/proto.ts';
import { expectShape, type LayerOp } from './op.ts';

/** Unflatten layer spec. */
export interface UnflattenLayer { op: 'unflatten'; window: number; channels: number }

/** The unflatten op. */
export const unflatten: LayerOp<UnflattenLayer> = {
  op: 'unflatten',
  outShape(l, input, where) {
    expectShape(input.length === 1 && input[0] === l.window * l.channels, where, `${l.window * l.channels}`, input);
    return [l.window, l.channels];
  },
  forward: (l, h, { n }) => tf.reshape(h, [n, l.window, l.channels]),
  emitOnnx(l, g, i) {
    const shapeName = g.fresh(`shape${i}`);
    g.addInit(int64Tensor(shapeName, [-1, ...g.shapes[i]]));
    g.apply('Reshape', [g.h, shapeName], l.op);
    g.layout = 'NWC';
  },
};
