/** Small builders over onnx-proto (protobufjs) messages: tensors, attributes, nodes, value infos, the model. */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };
type P = typeof onnx;

/** The onnx namespace of onnx-proto. */
export const ONNX: P = onnx;

/** An attribute value: int, float, ints or floats (the only kinds our graphs use). */
export type AttrValue = number | number[] | { f: number } | { floats: number[] };

/** A float32 initializer. */
export function floatTensor(name: string, dims: number[], data: Float32Array): import('onnx-proto').onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    // raw little-endian bytes keep large weights compact and exact.
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  };
}

/** An int64 initializer (shapes, slice bounds). */
export function int64Tensor(name: string, values: number[]): import('onnx-proto').onnx.ITensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

function attribute(name: string, v: AttrValue): import('onnx-proto').onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('f' in v) return { name, type: T.FLOAT, f: v.f };
  return { name, type: T.FLOATS, floats: v.floats };
}

/** A graph node. */
export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): import('onnx-proto').onnx.INodeProto {
  return { opType, input: inputs, output: outputs, name: name ?? outputs[0], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
}

/** A float32 graph input/output with symbolic batch dimension `N` where a dim is -1. */
export function floatValueInfo(name: string, dims: number[]): import('onnx-proto').onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (d < 0 ? { dimParam: 'N' } : { dimValue: d })) },
      },
    },
  };
}

/** Encode a whole model (IR 8, default-domain opset) to bytes. */
export function encodeModel(
  graph: import('onnx-proto').onnx.IGraphProto,
  opset: number,
  meta: Record<string, string>,
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'vigil',
    producerVersion: meta.vigil ?? '',
    graph,
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
