/**
 * The serving model back in tfjs (train/adapt/serving-model.ts): the card's layer list and the ONNX initializers
 * rebuild the exact trained weights, so re-exporting them gives the same ONNX bytes, for every body (conv, dense,
 * VAE with its sampled decodes).
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '@vigil/runtime';
import { trainModel, type TrainOptions } from '../../train/train.ts';
import { exportOnnx } from '../../train/export/graph.ts';
import { reconProbNoise } from '../../train/models/recon-prob.ts';
import { servingAutoencoder, specFromCard, weightsFromOnnx } from '../../train/adapt/serving-model.ts';
import { pumpSeries } from '@vigil/fixtures/pump.ts';
import { OrtNodeBackend } from '../../runtime/inference/ort-node.ts';
import { ONNX } from '../../train/export/proto.ts';
import { REPO, maxAbsDiff, tempDir } from './helpers.ts';

describe('serving model rebuilt from card + ONNX', () => {
  const dir = tempDir('vigil-adapt-import-');
  const data = pumpSeries(200, 3).series;
  const cases: [string, Partial<TrainOptions>][] = [
    ['conv', { arch: 'conv' }],
    ['dense', { arch: 'dense' }],
    ['vae', { arch: 'vae', score: 'recon-prob', samples: 4 }],
  ];
  for (const [name, opts] of cases) {
    it(`${name}: same weights (re-export gives identical bytes) and same reconstruction`, async () => {
      const res = await trainModel({ data, out: `${dir}/${name}`, epochs: 2, backend: 'wasm', ...opts });
      const loaded = loadModel(`${dir}/${name}`);
      const spec = specFromCard(loaded);
      const w = weightsFromOnnx(spec, loaded.onnx);
      const want = res.model.weights();
      w.forEach((l, i) => {
        expect(l?.kernel).toEqual(want[i]?.kernel);
        expect(l?.bias).toEqual(want[i]?.bias);
      });
      const rp = loaded.card.scoring.reconProb;
      const sample = spec.layers.find((l) => l.op === 'sample');
      const eps = rp && sample?.op === 'sample' ? reconProbNoise(rp.samples, sample.size, Number(loaded.card.training.seed)) : undefined;
      const again = exportOnnx(spec, w, { meta: { vigil: loaded.card.versions.vigil, name }, ...(eps ? { samples: { eps, rows: rp!.rows } } : {}) });
      expect(Buffer.from(again.bytes).equals(Buffer.from(loaded.onnx))).toBe(true);
      const model = servingAutoencoder(loaded);
      const x = new Float32Array(3 * spec.window * spec.channels).map((_, i) => Math.sin(i / 7));
      expect(maxAbsDiff(model.predict(x, 3), res.model.predict(x, 3))).toBe(0);
      model.dispose();
      res.model.dispose();
    });
  }

  it('a model exported with ONNX ConvTranspose (before the polyphase export: the demo model) rebuilds and reproduces ONNX Runtime', async () => {
    const loaded = loadModel(`${REPO}/models/machine_temperature`);
    expect(ONNX.ModelProto.decode(loaded.onnx).graph!.node!.filter((n) => n.opType === 'ConvTranspose')).toHaveLength(2);
    const model = servingAutoencoder(loaded);
    const { window: w, channels: c } = model.spec;
    const x = new Float32Array(4 * w * c).map((_, i) => Math.sin(i / 5));
    const s = await new OrtNodeBackend('cpu').open({ onnx: loaded.onnx, inputName: loaded.card.onnx.inputName, outputName: loaded.card.onnx.outputName, window: w, channels: c });
    const out = await s.run(x, 4);
    await s.close();
    expect(maxAbsDiff(model.predict(x, 4), out.reconstruction)).toBeLessThanOrEqual(1e-5);
    // Re-exported, it takes the polyphase form and still computes the same.
    const again = exportOnnx(model.spec, model.weights());
    expect(ONNX.ModelProto.decode(again.bytes).graph!.node!.map((n) => n.opType)).not.toContain('ConvTranspose');
    const s2 = await new OrtNodeBackend('cpu').open({ onnx: again.bytes, inputName: again.inputName, outputName: again.outputName, window: w, channels: c });
    expect(maxAbsDiff((await s2.run(x, 4)).reconstruction, out.reconstruction)).toBeLessThanOrEqual(1e-5);
    await s2.close();
    model.dispose();
  });

  it('a card without a layer list says why it cannot be adapted', async () => {
    const res = await trainModel({ data, out: `${dir}/old`, epochs: 1, backend: 'wasm' });
    res.model.dispose();
    const loaded = loadModel(`${dir}/old`);
    delete (loaded.card.architecture.params as Record<string, unknown>).layers;
    expect(() => specFromCard(loaded)).toThrow(/architecture\.params\.layers is missing/);
  });
});
