/**
 * Static shapes of every tensor in an exported autoencoder graph (batch dimension -1), for the gradient rules
 * that need a length the graph only knows at run time (a slice's input, a convolution's input). Covers exactly
 * the ops the layer ops emit for dense and conv bodies; any other op is refused by name.
 */
import type { onnx } from 'onnx-proto';

/** Shapes by tensor name, and the values of int64 constants (reshape targets, slice bounds). */
export interface GraphShapes {
  shapes: Map<string, number[]>;
  consts: Map<string, number[]>;
}

/** An int or ints attribute of a node, or `fallback`. */
export function attr(n: onnx.INodeProto, name: string, fallback: number[] = []): number[] {
  const a = n.attribute?.find((x) => x.name === name);
  if (!a) return fallback;
  if (a.ints && a.ints.length) return a.ints.map(Number);
  return [Number(a.i)];
}

/** Where a Slice along one axis of length `len` starts and ends, ONNX's clamping of negative and outsize bounds. */
export function sliceBounds(len: number, start: number, end: number): [number, number] {
  const s = Math.max(0, Math.min(len, start < 0 ? start + len : start));
  return [s, Math.max(s, Math.min(len, end < 0 ? end + len : end))];
}

/** Output length of a 1-D convolution. */
export function convLength(L: number, k: number, stride: number, pads: number[]): number {
  return Math.floor((L + pads[0] + pads[1] - k) / stride) + 1;
}

/** Shapes of a graph's tensors from its inputs' and initializers' shapes, node by node. */
export function inferShapes(nodes: onnx.INodeProto[], inputs: Map<string, number[]>, inits: onnx.ITensorProto[]): GraphShapes {
  const shapes = new Map(inputs);
  const consts = new Map<string, number[]>();
  for (const t of inits) {
    shapes.set(t.name!, (t.dims ?? []).map(Number));
    if (t.int64Data && t.int64Data.length) consts.set(t.name!, t.int64Data.map(Number));
  }
  const get = (name: string): number[] => {
    const s = shapes.get(name);
    if (!s) throw new Error(`gradient graph: no shape for tensor '${name}'`);
    return s;
  };
  const constOf = (name: string): number[] => {
    const c = consts.get(name);
    if (!c) throw new Error(`gradient graph: '${name}' is not an int64 constant`);
    return c;
  };
  for (const n of nodes) {
    const x = get(n.input![0]);
    let out: number[];
    switch (n.opType) {
      case 'Identity':
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Exp':
        out = x;
        break;
      case 'Add':
      case 'Mul': {
        // Elementwise on equal shapes, or by a scalar.
        const y = get(n.input![1]);
        if (y.length !== 0 && y.join() !== x.join()) throw new Error(`gradient graph: ${n.opType} of [${x}] and [${y}] (only equal shapes or a scalar)`);
        out = x;
        break;
      }
      case 'Reshape': {
        const target = constOf(n.input![1]);
        if (target[0] !== -1 || target.slice(1).some((d) => d <= 0)) throw new Error(`gradient graph: reshape to [${target}] (only [-1, fixed...])`);
        out = target;
        break;
      }
      case 'Transpose':
        out = attr(n, 'perm').map((p) => x[p]);
        break;
      case 'Gemm': {
        if (attr(n, 'transA', [0])[0] || attr(n, 'transB', [0])[0]) throw new Error('gradient graph: Gemm with transposed inputs');
        out = [x[0], get(n.input![1])[1]];
        break;
      }
      case 'Conv': {
        const w = get(n.input![1]);
        if (x.length !== 3 || attr(n, 'group', [1])[0] !== 1 || attr(n, 'dilations', [1]).some((d) => d !== 1)) throw new Error('gradient graph: only 1-D, ungrouped, undilated Conv');
        out = [x[0], w[0], convLength(x[2], w[2], attr(n, 'strides', [1])[0], attr(n, 'pads', [0, 0]))];
        break;
      }
      case 'Slice': {
        const [starts, ends, axes] = [1, 2, 3].map((i) => constOf(n.input![i]));
        if (n.input![4] && constOf(n.input![4]).some((s) => s !== 1)) throw new Error('gradient graph: Slice with steps');
        out = [...x];
        axes.forEach((a, j) => {
          const [s, e] = sliceBounds(x[a], starts[j], ends[j]);
          out[a] = e - s;
        });
        break;
      }
      default:
        throw new Error(`gradient graph: no gradient rule for ONNX op ${n.opType}`);
    }
    shapes.set(n.output![0], out);
  }
  return { shapes, consts };
}
