/**
 * The VAE's `samples` output `[N, L, R, C]`: the decoder run a second time (same weights) on L fixed draws
 * z_l = mean + exp(logvar / 2) * eps[l] from q(z|x), for the reconstruction-probability score, only for the
 * trailing R rows the score reads.
 */
import type { LayerWeights } from '../models/ops/index.ts';
import { opOf } from '../models/ops/index.ts';
import type { ModelSpec } from '../models/spec.ts';
import type { GraphBuilder } from './builder.ts';
import { floatTensor, int64Tensor, node } from './proto.ts';

/** What the caller bakes in: the draws (L x code), the output's name and the rows it keeps. */
export interface SamplesOptions {
  eps: Float32Array;
  outputName?: string;
  rows?: number;
}

/** Append the sampled decoder to `g` (after the mean path); returns the output's name and dims. */
export function emitSamples(g: GraphBuilder, spec: ModelSpec, weights: (LayerWeights | undefined)[], opts: SamplesOptions): { name: string; dims: number[] } {
  const head = g.head;
  if (!head) throw new Error(`exportOnnx: samples need a VAE (a 'sample' layer); ${spec.arch} has none`);
  const { eps } = opts;
  const L = eps.length / head.size;
  if (!Number.isInteger(L) || L < 1) throw new Error(`exportOnnx: samples.eps has ${eps.length} values; expected L x ${head.size}`);
  const name = opts.outputName ?? 'samples';
  const R = opts.rows ?? spec.window;
  if (!Number.isInteger(R) || R < 1 || R > spec.window) throw new Error(`exportOnnx: samples.rows must be an integer in 1..${spec.window}, got ${R}`);
  const c = (base: string, vals: number[]) => {
    const t = g.fresh(base);
    g.addInit(int64Tensor(t, vals));
    return t;
  };
  const mean = g.fresh('s_mean');
  const logvar = g.fresh('s_logvar');
  g.nodes.push(node('Slice', [head.name, c('s0', [0]), c('s1', [head.size]), c('ax', [1])], [mean]));
  g.nodes.push(node('Slice', [head.name, c('s1', [head.size]), c('s2', [2 * head.size]), c('ax', [1])], [logvar]));
  const half = g.fresh('half');
  g.addInit(floatTensor(half, [], new Float32Array([0.5])));
  const epsName = g.fresh('eps');
  g.addInit(floatTensor(epsName, [L, head.size], eps));
  const unsq = c('unsq', [1]);
  const t = (op: string, ins: string[], base: string) => g.apply(op, ins, base);
  // z [N, L, code] = mean [N, 1, code] + exp(logvar / 2) [N, 1, code] * eps [L, code]; decoded as N*L windows.
  const std = t('Exp', [t('Mul', [logvar, half], 's_halflv')], 's_std');
  const z = t('Add', [t('Unsqueeze', [mean, unsq], 's_mean3'), t('Mul', [t('Unsqueeze', [std, unsq], 's_std3'), epsName], 's_noise')], 's_z');
  t('Reshape', [z, c('s_zshape', [-1, head.size])], 's_zflat');
  g.layout = 'NWC';
  const dims = [-1, L, R, spec.channels];
  const n = spec.layers.length;
  const emit = (i: number) => {
    const l = spec.layers[i];
    opOf(l).emitOnnx(l, g, i, weights[i]);
  };
  const last = spec.layers[n - 2];
  const wc = spec.window * spec.channels;
  if (R < spec.window && last?.op === 'dense' && last.units === wc && spec.layers[n - 1].op === 'unflatten') {
    // Dense decoder: its output layer computes only the trailing R rows' columns (kernel [in, W*C] is row-major).
    for (let i = head.index + 1; i < n - 2; i++) emit(i);
    const from = wc - R * spec.channels;
    const kernel = new Float32Array(last.in * R * spec.channels);
    const w = weights[n - 2]!;
    for (let r = 0; r < last.in; r++) kernel.set(w.kernel.subarray(r * wc + from, (r + 1) * wc), r * R * spec.channels);
    g.addInit(floatTensor(`l${n - 2}_kernel_tail`, [last.in, R * spec.channels], kernel), floatTensor(`l${n - 2}_bias_tail`, [R * spec.channels], w.bias.subarray(from)));
    t('Gemm', [g.h, `l${n - 2}_kernel_tail`, `l${n - 2}_bias_tail`], 's_dense_tail');
    g.act(last.activation);
    g.nodes.push(node('Reshape', [g.h, c('s_outshape', dims)], [name]));
  } else {
    for (let i = head.index + 1; i < n; i++) emit(i);
    g.toLayout('NWC');
    const full = t('Reshape', [g.h, c('s_fullshape', [-1, L, spec.window, spec.channels])], 's_full');
    g.nodes.push(node('Slice', [full, c('s_r0', [spec.window - R]), c('s_r1', [spec.window]), c('s_rax', [2])], [name]));
  }
  return { name, dims };
}
