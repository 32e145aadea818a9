/**
 * The state an ONNX graph is written into, one layer op at a time (`../models/ops/`): nodes and initializers
 * in order, the tensor the next node reads, its 3-D layout, and the marks (code, VAE head) later outputs read.
 * Names come from one counter, so the same layer list always gives the same bytes.
 */
import type { onnx } from 'onnx-proto';
import type { Activation } from '../models/ops/op.ts';
import { node, type AttrValue } from './proto.ts';

const ACT_OP: Record<Exclude<Activation, 'linear'>, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

/** A graph under construction. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inits: onnx.ITensorProto[] = [];
  // The sampled decoder reuses the mean path's weights: each initializer is added once.
  private readonly initNames = new Set<string>();
  private counter = 0;
  /** 3-D tensors travel as NWC between dense-side layers and NCW between conv layers; `toLayout` transposes on change. */
  layout: 'NWC' | 'NCW' = 'NWC';
  /** The code (input of the `code` layer), for the `latent` output. */
  latent?: { name: string; shape: number[]; layout: 'NWC' | 'NCW' };
  /** The VAE head (mean and log-variance, input of the `sample` layer), for the `samples` output. */
  head?: { name: string; index: number; size: number };
  /** Training graph of a VAE: the mean and log-variance tensors the KL term reads. */
  moments?: { mean: string; logvar: string };

  /**
   * @param h the tensor the next node reads (starts as the graph input)
   * @param shapes per-sample shape after each layer (`traceShapes`)
   * @param inputShape per-sample input shape `[W, C]`
   */
  constructor(
    public h: string,
    readonly shapes: number[][],
    readonly inputShape: number[],
  ) {}

  /** A name no other tensor has: `base_<counter>`. */
  fresh(base: string): string {
    return `${base}_${this.counter++}`;
  }

  /** Add initializers, each name once. */
  addInit(...ts: onnx.ITensorProto[]): void {
    for (const t of ts) if (!this.initNames.has(t.name!)) (this.initNames.add(t.name!), this.inits.push(t));
  }

  /** Append a node reading `inputs` into a fresh tensor named after `base`, which the next node reads. */
  apply(opType: string, inputs: string[], base: string, attrs?: Record<string, AttrValue>): string {
    const t = this.fresh(base);
    this.nodes.push(node(opType, inputs, [t], attrs));
    this.h = t;
    return t;
  }

  /** Transpose the current 3-D tensor to `want` unless it is already laid out so. */
  toLayout(want: 'NWC' | 'NCW'): void {
    if (this.layout === want) return;
    this.apply('Transpose', [this.h], want === 'NCW' ? 'to_ncw' : 'to_nwc', { perm: [0, 2, 1] });
    this.layout = want;
  }

  /** The activation node after a layer (none for linear). */
  act(a: Activation): void {
    if (a !== 'linear') this.apply(ACT_OP[a], [this.h], a);
  }

  /** Per-sample shape entering layer `i`. */
  shapeBefore(i: number): number[] {
    return i === 0 ? this.inputShape : this.shapes[i - 1];
  }
}
