/**
 * The train -> ONNX -> runtime boundary: ONNX Runtime (native CPU, and onnxruntime-web wasm under Node) must
 * reproduce tfjs predict to 1e-4 for every architecture, several window lengths and channel counts, on random
 * and real (NAB) inputs.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { loadModel, readCsv } from '@vigil/runtime';
import { applyScaler } from '../../runtime/scaling/scaler.ts';
import { slidingWindows } from '../../runtime/window/sliding.ts';
import { OrtNodeBackend } from '../../runtime/inference/ort-node.ts';
import { OrtWebBackend } from '../../runtime/inference/ort-web.ts';
import { selectBackend } from '../../train/backend.ts';
import { ARCHITECTURES, buildSpec, type ArchName } from '../../train/models/architectures.ts';
import { Autoencoder } from '../../train/models/autoencoder.ts';
import { exportOnnx } from '../../train/export/graph.ts';
import { fit } from '../../train/fit.ts';
import { Rng } from '../../runtime/util/prng.ts';
import { trainModel } from '../../train/train.ts';
import { HAS_NAB, maxAbsDiff, NAB_MACHINE_TEMP, tempDir } from './helpers.ts';

const TOL = 1e-4;

beforeAll(async () => {
  await selectBackend('wasm');
});

function randomWindows(n: number, w: number, c: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * w * c }, () => rng.normal() * 1.5);
}

/** A model trained a few epochs so weights are not just the init. */
async function briefly(arch: ArchName, w: number, c: number, loss: 'mse' | 'bce' = 'mse') {
  const spec = buildSpec({ arch, window: w, channels: c, code: 3, hidden: [12], kernel: 5, base: arch === 'sparse' ? 'conv' : 'dense', loss, noise: { kind: 'gaussian', level: 0.1 }, l1: 0.01, beta: 0.5 });
  const m = new Autoencoder(spec, 7);
  let data = randomWindows(64, w, c, 11);
  if (loss === 'bce') data = data.map((v) => 1 / (1 + Math.exp(-v)));
  await fit(m, { data, count: 64 }, { data: new Float32Array(0), count: 0 }, { epochs: 3, batchSize: 16, learningRate: 0.01, patience: 99, seed: 1 });
  return m;
}

async function compare(m: Autoencoder, x: Float32Array, n: number, web = false) {
  const { window: w, channels: c } = m.spec;
  const g = exportOnnx(m.spec, m.weights());
  const req = { onnx: g.bytes, inputName: g.inputName, outputName: g.outputName, window: w, channels: c };
  const want = m.predict(x, n);
  const native = await new OrtNodeBackend('cpu').open(req);
  const out = await native.run(x, n);
  await native.close();
  const res = { native: maxAbsDiff(want, out.reconstruction), latent: maxAbsDiff(m.encode(x, n).codes, out.extra.latent), web: 0 };
  if (web) {
    const s = await new OrtWebBackend().open(req);
    res.web = maxAbsDiff(want, (await s.run(x, n)).reconstruction);
    await s.close();
  }
  return res;
}

describe('ONNX export parity with tfjs', () => {
  const shapes: [number, number][] = [[32, 8], [60, 1], [45, 3], [64, 8]];
  for (const arch of ['dense', 'conv'] as const) {
    for (const [w, c] of shapes) {
      it(`${arch} ${w}x${c}: onnxruntime-node cpu and -web wasm agree with tfjs on random input`, async () => {
        const m = await briefly(arch, w, c);
        const d = await compare(m, randomWindows(9, w, c, w + c), 9, w === 60 || w === 64);
        m.dispose();
        expect(d.native).toBeLessThanOrEqual(TOL);
        expect(d.latent).toBeLessThanOrEqual(TOL);
        expect(d.web).toBeLessThanOrEqual(TOL);
      });
    }
  }

  // Every other registered architecture (a new one is covered here without listing it).
  for (const arch of ARCHITECTURES.filter((a) => a !== 'dense' && a !== 'conv')) {
    it(`${arch}: exports its deterministic path and agrees with tfjs`, async () => {
      const m = await briefly(arch, 40, 4);
      const d = await compare(m, randomWindows(5, 40, 4, 3), 5);
      m.dispose();
      expect(d.native).toBeLessThanOrEqual(TOL);
      expect(d.latent).toBeLessThanOrEqual(TOL);
    });
  }

  it('bce loss: sigmoid output in [0,1] agrees with tfjs', async () => {
    const m = await briefly('dense', 24, 2, 'bce');
    const x = randomWindows(6, 24, 2, 5).map((v) => 1 / (1 + Math.exp(-v)));
    const y = m.predict(x, 6);
    expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...y)).toBeLessThanOrEqual(1);
    expect((await compare(m, x, 6)).native).toBeLessThanOrEqual(TOL);
    m.dispose();
  });

  it.skipIf(!HAS_NAB)('real data: a conv model trained on NAB machine temperature agrees in both runtimes', async () => {
    const dir = tempDir();
    // The file repeats an hour (12 rows from line 10151 repeat the timestamps of 10139 on): --sort keeps the first of each.
    const res = await trainModel({ data: NAB_MACHINE_TEMP, out: `${dir}/nab`, arch: 'conv', window: 48, stride: 16, epochs: 3, seed: 1, sort: true });
    const { card } = loadModel(`${dir}/nab`);
    const s = readCsv(NAB_MACHINE_TEMP);
    const win = slidingWindows(applyScaler(card.scaler, s.data.subarray(0, 3000)), 1, 48, 7);
    const d = await compare(res.model, win.data, win.count, true);
    res.model.dispose();
    expect(win.count).toBeGreaterThan(300);
    expect(d.native).toBeLessThanOrEqual(TOL);
    expect(d.web).toBeLessThanOrEqual(TOL);
  });
});
