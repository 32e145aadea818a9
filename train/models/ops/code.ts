/**
 * `code`: marks the code. Its input is the latent: recorded by the forward pass (the sparse penalty applies to it)
 * and exported as the `latent` output. Passes its input through.
 */
import type { LayerOp } from './op.ts';

/** Code marker spec. */
export interface CodeLayer { op: 'code' }

/** The code op. */
export const code: LayerOp<CodeLayer> = {
  op: 'code',
  outShape: (_l, input) => input,
  forward(_l, h, { marks }) {
    marks.code = h;
    return h;
  },
  emitOnnx(_l, g, i) {
    g.latent ??= { name: g.h, shape: g.shapeBefore(i), layout: g.layout };
  },
};
