/**
 * Adam over all variables at once: gradients are concatenated into one flat vector, the moment updates run as a
 * handful of kernels on it, and one split hands each variable its step. tfjs' own Adam issues ~12 kernels per
 * variable, which on small autoencoders costs more in dispatch than the arithmetic does.
 */
import * as tf from '@tensorflow/tfjs';

/** Settings, as in Kingma & Ba (epsilon as tfjs uses by default). */
export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam's moment decays and epsilon (tfjs' epsilon), for this optimizer and the ONNX Runtime engine's. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** A flat Adam optimizer bound to a fixed list of variables. */
export class FlatAdam {
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly sizes: number[];
  private t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly o: AdamOptions,
  ) {
    this.sizes = vars.map((v) => v.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = tf.variable(tf.zeros([total]), false);
    this.v = tf.variable(tf.zeros([total]), false);
    this.b1 = o.beta1 ?? ADAM_DEFAULTS.beta1;
    this.b2 = o.beta2 ?? ADAM_DEFAULTS.beta2;
    this.eps = o.epsilon ?? ADAM_DEFAULTS.epsilon;
  }

  /** One step on `loss()`; returns the loss value (a scalar the caller disposes). */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    this.t++;
    tf.tidy(() => {
      const g = tf.concat(this.vars.map((v) => tf.reshape(grads[v.name], [-1])));
      const m = tf.add(tf.mul(this.m, this.b1), tf.mul(g, 1 - this.b1));
      const v = tf.add(tf.mul(this.v, this.b2), tf.mul(tf.square(g), 1 - this.b2));
      this.m.assign(m);
      this.v.assign(v);
      // Bias corrections folded into the step size: lr * sqrt(1 - b2^t) / (1 - b1^t).
      const lrT = (this.o.learningRate * Math.sqrt(1 - this.b2 ** this.t)) / (1 - this.b1 ** this.t);
      const epsT = this.eps * Math.sqrt(1 - this.b2 ** this.t);
      const step = tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), epsT));
      const parts = tf.split(step, this.sizes);
      this.vars.forEach((variable, i) => variable.assign(tf.sub(variable, tf.reshape(parts[i], variable.shape))));
    });
    tf.dispose(Object.values(grads));
    return value;
  }

  /** Free the moment vectors. */
  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
