/**
 * The layer op registry. A new op is a file beside this one implementing `LayerOp` (shape, weights, forward
 * pass, ONNX emission) and one entry in `OPS`; the model, the exporter and `vigil adapt` find it here.
 */
import { code } from './code.ts';
import { conv } from './conv.ts';
import { convT } from './conv-transpose.ts';
import { dense } from './dense.ts';
import { flatten } from './flatten.ts';
import type { LayerOp } from './op.ts';
import { sample } from './sample.ts';
import { unflatten } from './unflatten.ts';

/** Every op by its name. */
export const OPS = { flatten, unflatten, dense, conv, convT, code, sample } as const;

/** Any layer spec: the union of what the registered ops accept. */
export type LayerSpec = { [K in keyof typeof OPS]: (typeof OPS)[K] extends LayerOp<infer L> ? L : never }[keyof typeof OPS];

/** The op that implements a layer. */
export function opOf<L extends LayerSpec>(l: L): LayerOp<L> {
  const op = (OPS as Record<string, LayerOp<{ op: string }>>)[l.op];
  if (!op) throw new Error(`unknown layer op '${l.op}'; expected one of ${Object.keys(OPS).join(', ')}`);
  return op as unknown as LayerOp<L>;
}

export type { Activation, ForwardContext, ForwardMarks, LayerOp, LayerVars, LayerWeights, WeightShapes } from './op.ts';
export { convOutLength } from './conv.ts';
export { convTOutLength } from './conv-transpose.ts';
