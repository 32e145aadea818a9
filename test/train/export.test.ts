/** The exported graph uses ordinary ONNX ops (Gemm for dense, Conv for conv, transposed convs in polyphase form) at opset >= 13. */
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { buildSpec } from '../../train/models/architectures.ts';
import { Autoencoder } from '../../train/models/autoencoder.ts';
import { exportOnnx } from '../../train/export/graph.ts';
import { selectBackend } from '../../train/backend.ts';
import { OrtNodeBackend } from '../../runtime/inference/ort-node.ts';
import { Rng } from '../../runtime/util/prng.ts';
import { maxAbsDiff } from './helpers.ts';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };

const specOf = (arch: 'dense' | 'conv', kernel = 5, window = 32) =>
  buildSpec({ arch, window, channels: 8, code: 4, hidden: [16], kernel, base: 'dense', loss: 'mse', noise: { kind: 'gaussian', level: 0 }, l1: 0, beta: 0 });

async function decode(arch: 'dense' | 'conv') {
  await selectBackend('wasm');
  const spec = specOf(arch);
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
  it('conv: one Transpose in, Conv x2, each transposed conv as a phase Conv + interleave + crop, Transpose out', async () => {
    const { model } = await decode('conv');
    const ops = model.graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(4);
    expect(ops).not.toContain('ConvTranspose');
    expect(ops).not.toContain('MatMul');
    // stride 2, kernel 5: 3 taps per phase, 2 x 16 and 2 x 8 output channels.
    const inits = new Map(model.graph!.initializer!.map((t) => [t.name!, t.dims!.map(Number)]));
    const phaseConvs = model.graph!.node!.filter((n) => n.opType === 'Conv' && n.output![0].startsWith('convT'));
    expect(phaseConvs.map((n) => inits.get(n.input![1]))).toEqual([[32, 4, 3], [16, 16, 3]]);
    // NWC -> NCW in, one interleave per transposed conv, NCW -> NWC out, and the latent output's.
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(5);
  });

  // Every odd kernel against stride 2 (taps that do not fill the last phase, odd windows that crop).
  for (const [kernel, window] of [[1, 32], [3, 45], [5, 29], [7, 33], [9, 64]]) {
    it(`conv kernel ${kernel}, window ${window}: ONNX Runtime reproduces tfjs`, async () => {
      await selectBackend('wasm');
      const spec = specOf('conv', kernel, window);
      const m = new Autoencoder(spec, kernel);
      const rng = new Rng(kernel);
      const x = Float32Array.from({ length: 5 * window * 8 }, () => rng.normal());
      const g = exportOnnx(spec, m.weights());
      const s = await new OrtNodeBackend('cpu').open({ onnx: g.bytes, inputName: g.inputName, outputName: g.outputName, window, channels: 8 });
      const out = await s.run(x, 5);
      await s.close();
      expect(maxAbsDiff(m.predict(x, 5), out.reconstruction)).toBeLessThanOrEqual(1e-5);
      m.dispose();
    });
  }
});
