/** The exported graph uses ordinary ONNX ops (Gemm for dense, Conv/ConvTranspose for conv) at opset >= 13. */
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { buildSpec } from '../../train/models/architectures.ts';
import { Autoencoder } from '../../train/models/autoencoder.ts';
import { exportOnnx } from '../../train/export/graph.ts';
import { selectBackend } from '../../train/backend.ts';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };

async function decode(arch: 'dense' | 'conv') {
  await selectBackend('wasm');
  const spec = buildSpec({ arch, window: 32, channels: 8, code: 4, hidden: [16], kernel: 5, base: 'dense', loss: 'mse', noise: { kind: 'gaussian', level: 0 }, l1: 0, beta: 0 });
  const m = new Autoencoder(spec, 1);
  const g = exportOnnx(spec, m.weights());
  m.dispose();
  return { g, model: onnx.ModelProto.decode(g.bytes) };
}

const dims = (v: import('onnx-proto').onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));

describe('ONNX graph', () => {
  it('dense: Reshape + Gemm + Relu, [N, W, C] in and out, latent output', async () => {
    const { g, model } = await decode('dense');
    const ops = model.graph!.node!.map((n) => n.opType);
    expect(Number(model.opsetImport![0].version)).toBeGreaterThanOrEqual(13);
    expect(ops.filter((o) => o === 'Gemm')).toHaveLength(4);
    expect(ops).toContain('Reshape');
    expect(ops).not.toContain('Conv');
    expect(dims(model.graph!.input![0])).toEqual(['N', 32, 8]);
    expect(model.graph!.output!.map((o) => o.name)).toEqual([g.outputName, 'latent']);
    expect(dims(model.graph!.output![0])).toEqual(['N', 32, 8]);
    expect(g.extraOutputs.latent).toEqual([-1, 4]);
  });
  it('conv: one Transpose in, Conv x2, ConvTranspose x2 with output padding, Transpose out', async () => {
    const { model } = await decode('conv');
    const ops = model.graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(2);
    expect(ops.filter((o) => o === 'ConvTranspose')).toHaveLength(2);
    expect(ops.filter((o) => o === 'Transpose').length).toBeGreaterThanOrEqual(2);
    expect(ops).not.toContain('MatMul');
    const convT = model.graph!.node!.find((n) => n.opType === 'ConvTranspose')!;
    expect(convT.attribute!.map((a) => a.name).sort()).toEqual(['kernel_shape', 'output_padding', 'pads', 'strides']);
  });
});
