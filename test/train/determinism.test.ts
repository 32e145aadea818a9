/** Same data + seed + backend -> bit-identical weights; a different seed -> different weights. */
import { describe, expect, it, beforeAll } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { buildSpec } from '../../train/models/architectures.ts';
import { Autoencoder } from '../../train/models/autoencoder.ts';
import { fit } from '../../train/fit.ts';
import { Rng } from '../../runtime/util/prng.ts';
import { trainModel } from '../../train/train.ts';
import { pumpSeries } from '@vigil/fixtures/pump.ts';
import { tempDir } from './helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const W = 24, C = 3, N = 96;
const rng = new Rng(3);
const data = Float32Array.from({ length: N * W * C }, () => rng.normal());

async function train(arch: 'conv' | 'denoising', seed: number): Promise<Float32Array> {
  const spec = buildSpec({ arch, window: W, channels: C, code: 2, hidden: [8], kernel: 5, base: 'conv', loss: 'mse', noise: { kind: 'gaussian', level: 0.2 }, l1: 0, beta: 0 });
  const m = new Autoencoder(spec, seed);
  await fit(m, { data: data.subarray(0, 72 * W * C), count: 72 }, { data: data.subarray(72 * W * C), count: 24 }, { epochs: 4, batchSize: 16, learningRate: 0.01, patience: 99, seed });
  const flat = m.weights().flatMap((w) => (w ? [...w.kernel, ...w.bias] : []));
  m.dispose();
  return Float32Array.from(flat);
}

describe('seeded training', () => {
  for (const arch of ['conv', 'denoising'] as const) {
    it(`${arch}: same seed and backend give identical weights, another seed does not`, async () => {
      const a = await train(arch, 5);
      const b = await train(arch, 5);
      const c = await train(arch, 6);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    });
  }
  it('trainModel end to end: the same seed writes a byte-identical .onnx (same name, other folder)', async () => {
    const dir = tempDir();
    const data = pumpSeries(150, 9).series;
    const sums: string[] = [];
    for (const name of ['a', 'b']) {
      const r = await trainModel({ data, out: `${dir}/${name}/pump`, window: 16, epochs: 4, seed: 11, backend: 'wasm' });
      r.model.dispose();
      sums.push(r.card.onnx.sha256);
    }
    expect(sums[0]).toBe(sums[1]);
  });
});
