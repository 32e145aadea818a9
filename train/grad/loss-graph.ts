/**
 * The training loss as ONNX nodes, as `Autoencoder.loss` computes it (mse or bce against the clean `target`, plus
 * the sparse L1 term on the code and the VAE's KL term), and the gradient of the loss with respect to the tensors it
 * reads (the seeds `backprop.ts` starts from). `inv` is 1 / (batch x W x C), so a short last batch is a mean too.
 */
import type { ModelSpec } from '../models/spec.ts';
import type { GradSink } from './vjp.ts';

/** The graph tensors the loss reads. */
export interface LossInputs {
  recon: string;
  /** The code (the sparse term's input). */
  code?: string;
  /** The VAE head `[N, 2 x size]` and, in the step graph, the mean and log-variance its sampling reads. */
  head?: { name: string; size: number };
  moments?: { mean: string; logvar: string };
}

/** Append the loss; returns its scalar tensor, the residual `diff` (recon - target) and, with `withGrads`, the seeds of its gradient. */
export function emitLoss(spec: ModelSpec, sink: GradSink, at: LossInputs, withGrads: boolean): { loss: string; seeds: Map<string, string>; diff: string } {
  const { recon, code } = at;
  const w = spec.window;
  const c = spec.channels;
  const seeds = new Map<string, string>();
  const diff = sink.add('Sub', [recon, 'target'], 'diff');
  let loss: string;
  if (spec.loss === 'mse') {
    loss = sink.add('Mul', [sink.add('ReduceSumSquare', [diff], 'sse', { keepdims: 0 }), 'inv'], 'mse');
    if (withGrads) seeds.set(recon, sink.add('Mul', [diff, sink.add('Mul', ['inv', sink.scalar(2)], 'inv2')], 'd_recon'));
  } else {
    const lo = sink.scalar(1e-7);
    const hi = sink.scalar(1 - 1e-7);
    const p = sink.add('Clip', [recon, lo, hi], 'p');
    const t = sink.add('Clip', ['target', sink.scalar(0), sink.scalar(1)], 't');
    const q = sink.add('Sub', [sink.scalar(1), p], 'q');
    const u = sink.add('Sub', [sink.scalar(1), t], 'u');
    const ll = sink.add('Add', [sink.add('Mul', [t, sink.add('Log', [p], 'logp')], 'tlogp'), sink.add('Mul', [u, sink.add('Log', [q], 'logq')], 'ulogq')], 'll');
    loss = sink.add('Mul', [sink.add('Neg', [sink.add('ReduceSum', [ll], 'sll', { keepdims: 0 })], 'nll'), 'inv'], 'bce');
    if (withGrads) {
      // d/dp of -(t log p + u log q), zero where the clip held recon.
      const dp = sink.add('Mul', [sink.add('Sub', [sink.add('Div', [u, q], 'uq'), sink.add('Div', [t, p], 'tp')], 'dll'), 'inv'], 'dp');
      const inside = sink.add('And', [sink.add('GreaterOrEqual', [recon, lo], 'ge'), sink.add('LessOrEqual', [recon, hi], 'le')], 'inside');
      seeds.set(recon, sink.add('Where', [inside, dp, sink.scalar(0)], 'd_recon'));
    }
  }
  const l1 = spec.terms.l1 ?? 0;
  if (l1 > 0 && code) {
    // l1 * mean |code|: the code has codeSize values per window where the reconstruction has W * C.
    const codeSize = sink.shapes.shapes.get(code)!.slice(1).reduce((a, b) => a * b, 1);
    const scale = sink.add('Mul', ['inv', sink.scalar((l1 * w * c) / codeSize)], 'l1_scale');
    loss = sink.add('Add', [loss, sink.add('Mul', [sink.add('ReduceSum', [sink.add('Abs', [code], 'abs')], 'sabs', { keepdims: 0 }), scale], 'l1')], 'loss_l1');
    // tfjs' |x| gradient is +1 above zero and -1 at or below it.
    if (withGrads) seeds.set(code, sink.add('Mul', [sink.add('Where', [sink.add('Greater', [code, sink.scalar(0)], 'pos'), sink.scalar(1), sink.scalar(-1)], 'sign'), scale], 'd_code'));
  }
  const beta = spec.terms.beta ?? 0;
  if (beta > 0 && at.head) {
    // KL(q(z|x) || N(0, 1)) = 0.5 sum(exp(lv) + m^2 - lv - 1) per window, beta x its mean over the batch / (W * C).
    const { head } = at;
    const { mean, logvar } = at.moments ?? {
      mean: sink.add('Slice', [head.name, sink.ints([0]), sink.ints([head.size]), sink.ints([1])], 'kl_mean'),
      logvar: sink.add('Slice', [head.name, sink.ints([head.size]), sink.ints([2 * head.size]), sink.ints([1])], 'kl_logvar'),
    };
    const scale = sink.add('Mul', ['inv', sink.scalar(beta)], 'kl_scale');
    const ev = sink.add('Exp', [logvar], 'kl_exp');
    const terms = sink.add('Sub', [sink.add('Add', [ev, sink.add('Mul', [mean, mean], 'kl_m2')], 'kl_a'), sink.add('Add', [logvar, sink.scalar(1)], 'kl_b')], 'kl_terms');
    const kl = sink.add('Mul', [sink.add('ReduceSum', [terms], 'kl_sum', { keepdims: 0 }), sink.add('Mul', [scale, sink.scalar(0.5)], 'kl_half')], 'kl');
    loss = sink.add('Add', [loss, kl], 'loss_kl');
    if (withGrads && at.moments) {
      seeds.set(mean, sink.add('Mul', [mean, scale], 'd_kl_mean'));
      seeds.set(logvar, sink.add('Mul', [sink.add('Sub', [ev, sink.scalar(1)], 'kl_ev1'), sink.add('Mul', [scale, sink.scalar(0.5)], 'kl_half2')], 'd_kl_logvar'));
    }
  }
  return { loss, seeds, diff };
}
