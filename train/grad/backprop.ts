/**
 * Reverse-mode differentiation of an ONNX graph at build time: from the gradients of some tensors (the loss's
 * seeds), walk the forward nodes backwards and append each one's vector-Jacobian product (`vjp.ts`), summing
 * where a tensor feeds several nodes; returns the gradient tensor of each parameter. Only tensors that depend on a
 * parameter get a gradient.
 */
import type { onnx } from 'onnx-proto';
import { vjpOf, type GradSink } from './vjp.ts';

/** Append the backward pass of `forward` to `sink`; returns each parameter's gradient tensor name. */
export function backprop(forward: onnx.INodeProto[], seeds: Map<string, string>, params: string[], sink: GradSink): Map<string, string> {
  const needs = new Set(params);
  for (const n of forward) if (n.input!.some((i) => needs.has(i))) needs.add(n.output![0]);
  const parts = new Map<string, string[]>();
  const contribute = (name: string, g: string) => {
    const list = parts.get(name);
    if (list) list.push(g);
    else parts.set(name, [g]);
  };
  const total = (name: string): string | undefined => {
    const list = parts.get(name);
    if (!list) return undefined;
    const sum = list.length === 1 ? list[0] : sink.add('Sum', list, 'd_sum');
    parts.set(name, [sum]);
    return sum;
  };
  for (const [name, g] of seeds) if (needs.has(name)) contribute(name, g);
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i];
    const out = n.output![0];
    const dy = needs.has(out) ? total(out) : undefined;
    if (!dy) continue;
    const need = n.input!.map((x) => needs.has(x));
    vjpOf(n.opType!)(n, dy, need, sink).forEach((g, j) => {
      if (g && need[j]) contribute(n.input![j], g);
    });
  }
  const grads = new Map<string, string>();
  for (const p of params) {
    const g = total(p);
    if (!g) throw new Error(`gradient graph: parameter '${p}' does not reach the loss`);
    grads.set(p, g);
  }
  return grads;
}
