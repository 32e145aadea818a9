/**
 * `sample`: the VAE head. Input `[N, 2*size]` = mean and log-variance; training samples
 * `mean + exp(logvar/2) * eps` (the loss adds beta x KL); inference, and the ONNX graph, pass the mean only.
 * The exporter's `samples` output (`../../export/samples.ts`) decodes fixed draws from the head it marks.
 */
import * as tf from '@tensorflow/tfjs';
import { floatTensor, int64Tensor } from '../../export/proto.ts';
import { expectShape, type LayerOp } from './op.ts';

/** Sample layer spec. */
export interface SampleLayer { op: 'sample'; size: number }

/** The sample op. */
export const sample: LayerOp<SampleLayer> = {
  op: 'sample',
  outShape(l, input, where) {
    expectShape(input.length === 1 && input[0] === 2 * l.size, where, `${2 * l.size}`, input);
    return [l.size];
  },
  forward(l, h, { n, training, seed, marks }) {
    const mean = tf.slice(h, [0, 0], [n, l.size]) as tf.Tensor2D;
    const logvar = tf.slice(h, [0, l.size], [n, l.size]) as tf.Tensor2D;
    marks.mean = mean;
    marks.logvar = logvar;
    return training ? tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.randomNormal([n, l.size], 0, 1, 'float32', seed + 1))) : mean;
  },
  emitOnnx(l, g, i) {
    // Deterministic path: the mean, i.e. the first half of the encoder head.
    g.head = { name: g.h, index: i, size: l.size };
    const names = [g.fresh('starts'), g.fresh('ends'), g.fresh('axes')];
    g.addInit(int64Tensor(names[0], [0]), int64Tensor(names[1], [l.size]), int64Tensor(names[2], [1]));
    g.apply('Slice', [g.h, ...names], 'mean');
  },
  emitTraining(l, g, i) {
    // z = mean + exp(logvar / 2) * eps, eps [N, size] a graph input the trainer draws each step.
    g.head = { name: g.h, index: i, size: l.size };
    const head = g.h;
    const ints = (base: string, v: number[]) => {
      const name = g.fresh(base);
      g.addInit(int64Tensor(name, v));
      return name;
    };
    const axis = ints('axes', [1]);
    const mean = g.apply('Slice', [head, ints('starts', [0]), ints('ends', [l.size]), axis], 'mean');
    const logvar = g.apply('Slice', [head, ints('starts', [l.size]), ints('ends', [2 * l.size]), axis], 'logvar');
    const half = g.fresh('half');
    g.addInit(floatTensor(half, [], Float32Array.of(0.5)));
    const std = g.apply('Exp', [g.apply('Mul', [logvar, half], 'half_logvar')], 'std');
    g.moments = { mean, logvar };
    g.apply('Add', [mean, g.apply('Mul', [std, 'eps'], 'noise')], 'z');
  },
};
