/**
 * The onnxruntime training engine: its gradients are tfjs' (the reference autodiff) for every architecture it
 * takes, it trains to the same loss, it is deterministic, and it refuses what it cannot differentiate.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { createEngine } from '../../train/engine.ts';
import { fit } from '../../train/fit.ts';
import { OrtEngine } from '../../train/grad/ort-engine.ts';
import { trainingGraphs, unsupportedReason } from '../../train/grad/training-graph.ts';
import { ARCHITECTURES, buildSpec, type ArchOptions } from '../../train/models/architectures.ts';
import { Autoencoder } from '../../train/models/autoencoder.ts';
import { OPS } from '../../train/models/ops/index.ts';
import { Rng } from '../../runtime/util/prng.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const base: Omit<ArchOptions, 'arch' | 'window' | 'channels'> = { code: 3, hidden: [8], kernel: 5, base: 'conv', loss: 'mse', noise: { kind: 'gaussian', level: 0 }, l1: 0, beta: 0 };

function windows(n: number, per: number, seed: number, unit = false): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * per }, () => (unit ? rng.uniform() : rng.normal()));
}

/** tfjs' gradient of the loss, flat in variables() order. */
function tfjsGradient(m: Autoencoder, data: Float32Array, n: number): { loss: number; grad: Float32Array } {
  const { window: w, channels: c } = m.spec;
  const vars = m.variables();
  const { value, grads } = tf.variableGrads(() => m.loss(tf.tensor3d(data, [n, w, c])), vars);
  const grad = Float32Array.from(vars.flatMap((v) => [...grads[v.name].dataSync()]));
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grad };
}

describe('onnxruntime engine gradients equal tfjs', () => {
  const cases: { label: string; o: ArchOptions }[] = [];
  for (const arch of ARCHITECTURES.filter((a) => a !== 'vae')) {
    for (const body of ['dense', 'conv'] as const) {
      // [9, 2, 1]: a conv that never reads the last input row (the kernel gradient's crop, a non-zero output_padding).
      for (const [window, channels, kernel] of [[24, 3, 5], [33, 2, 3], [9, 2, 1]]) {
        const noise = { kind: 'gaussian' as const, level: arch === 'denoising' ? 0.1 : 0 };
        cases.push({ label: `${arch}/${body} ${window}x${channels} k${kernel}`, o: { ...base, arch, base: body, window, channels, kernel, noise, l1: arch === 'sparse' ? 0.05 : 0 } });
      }
    }
  }
  cases.push({ label: 'dense bce', o: { ...base, arch: 'dense', base: 'dense', window: 16, channels: 3, loss: 'bce' } });
  cases.push({ label: 'conv bce, two hidden widths', o: { ...base, arch: 'conv', window: 32, channels: 4, hidden: [8, 6], loss: 'bce' } });

  for (const { label, o } of cases) {
    it(label, async () => {
      const spec = buildSpec(o);
      // Corruption draws from different streams in tfjs and here: compare the gradients of the clean pass.
      if (spec.terms.noise) spec.terms.noise = { ...spec.terms.noise, level: 0 };
      expect(unsupportedReason(spec)).toBeUndefined();
      const m = new Autoencoder(spec, 3);
      const n = 7;
      const data = windows(n, spec.window * spec.channels, 9, o.loss === 'bce');
      const want = tfjsGradient(m, data, n);
      const e = await OrtEngine.create(spec, m.weights(), { learningRate: 0.01 });
      const got = await e.gradient(data, n, 1);
      e.dispose();
      m.dispose();
      expect(got.loss).toBeCloseTo(want.loss, 5);
      expect(got.grad.length).toBe(want.grad.length);
      const scale = Math.max(...want.grad.map(Math.abs));
      let worst = 0;
      for (let i = 0; i < want.grad.length; i++) worst = Math.max(worst, Math.abs(got.grad[i] - want.grad[i]));
      expect(worst / scale).toBeLessThan(1e-4);
    });
  }
});

describe('onnxruntime engine gradients of a VAE equal tfjs', () => {
  const o: ArchOptions = { ...base, arch: 'vae', base: 'dense', window: 16, channels: 3, hidden: [12], code: 3, beta: 0.7 };

  /** tfjs' gradient of the VAE loss with the sample taken from the given draws (tfjs draws its own in training). */
  function tfjsVaeGradient(m: Autoencoder, data: Float32Array, n: number, eps: Float32Array): Float32Array {
    const { window: w, channels: c, layers } = m.spec;
    const at = layers.findIndex((l) => l.op === 'sample');
    const size = (layers[at] as { size: number }).size;
    const apply = (m as unknown as { apply(i: number, h: tf.Tensor, ctx: object): tf.Tensor }).apply.bind(m);
    const vars = m.variables();
    const { grads } = tf.variableGrads(() => {
      const x = tf.tensor3d(data, [n, w, c]);
      const ctx = { n, training: false, seed: 0, marks: {} };
      let h: tf.Tensor = x;
      for (let i = 0; i < at; i++) h = apply(i, h, ctx);
      const mean = tf.slice(h, [0, 0], [n, size]);
      const logvar = tf.slice(h, [0, size], [n, size]);
      h = tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.tensor2d(eps, [n, size])));
      for (let i = at + 1; i < layers.length; i++) h = apply(i, h, ctx);
      const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.exp(logvar), tf.square(mean)), tf.add(logvar, 1)), 1), 0.5);
      return tf.add(tf.mean(tf.squaredDifference(h, x)), tf.mul(tf.div(tf.mean(kl), w * c), m.spec.terms.beta!)) as tf.Scalar;
    }, vars);
    const out = Float32Array.from(vars.flatMap((v) => [...grads[v.name].dataSync()]));
    tf.dispose(Object.values(grads));
    return out;
  }

  for (const drawn of [false, true]) {
    it(drawn ? 'with drawn samples (the reparameterisation gradient)' : 'with zero draws (the mean path and the KL term, as tfjs scores it)', async () => {
      const spec = buildSpec(o);
      const m = new Autoencoder(spec, 3);
      const n = 6;
      const data = windows(n, 16 * 3, 9);
      const eps = drawn ? windows(n, 3, 21) : new Float32Array(n * 3);
      const want = drawn ? tfjsVaeGradient(m, data, n, eps) : tfjsGradient(m, data, n).grad;
      const e = await OrtEngine.create(spec, m.weights(), { learningRate: 0.01 });
      const got = await e.gradient(data, n, 1, eps);
      e.dispose();
      m.dispose();
      const scale = Math.max(...want.map(Math.abs));
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.grad[i] - want[i]));
      expect(worst / scale).toBeLessThan(1e-4);
    });
  }
});

describe('onnxruntime engine training', () => {
  const o: ArchOptions = { ...base, arch: 'conv', window: 24, channels: 3 };
  const per = 24 * 3;
  const data = windows(96, per, 4);
  const train = { data: data.subarray(0, 72 * per), count: 72 };
  const val = { data: data.subarray(72 * per), count: 24 };

  async function trained(engine: 'onnxruntime' | 'tfjs', seed = 5, arch: ArchOptions = o) {
    const m = new Autoencoder(buildSpec(arch), seed);
    const r = await fit(m, train, val, { epochs: 6, batchSize: 16, learningRate: 0.01, patience: 99, seed, engine });
    const w = Float32Array.from(m.weights().flatMap((x) => (x ? [...x.kernel, ...x.bias] : [])));
    m.dispose();
    return { r, w };
  }

  it('reaches the loss tfjs reaches from the same start and shuffles', async () => {
    const a = await trained('onnxruntime');
    const b = await trained('tfjs');
    expect(a.r.engine).toMatch(/^onnxruntime-node /);
    expect(b.r.engine).toBe('tfjs wasm');
    const va = a.r.history.map((h) => h.valLoss);
    const vb = b.r.history.map((h) => h.valLoss);
    for (let i = 0; i < va.length; i++) expect(Math.abs(va[i] - vb[i]) / vb[i]).toBeLessThan(0.01);
    expect(va.at(-1)!).toBeLessThan(va[0]);
  });

  it('is deterministic: the same seed gives the same weights, another seed others', async () => {
    const a = await trained('onnxruntime', 5);
    const b = await trained('onnxruntime', 5);
    const c = await trained('onnxruntime', 6);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(b.w.buffer))).toBe(true);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(c.w.buffer))).toBe(false);
  });

  it('corrupts the input of a denoising model (seeded), and scores its loss against the clean windows', async () => {
    const spec = buildSpec({ ...o, arch: 'denoising', noise: { kind: 'mask', level: 0.5 } });
    const m = new Autoencoder(spec, 3);
    const e = await OrtEngine.create(spec, m.weights(), { learningRate: 0.01 });
    const clean = tfjsGradient(m, data.subarray(0, 8 * per), 8);
    const a = await e.gradient(data, 8, 11);
    const aLoss = a.loss;
    const b = await e.gradient(data, 8, 11);
    const c = await e.gradient(data, 8, 12);
    e.dispose();
    m.dispose();
    expect(b.loss).toBe(aLoss);
    expect(c.loss).not.toBe(aLoss);
    expect(Math.abs(aLoss - clean.loss)).toBeGreaterThan(1e-3);
  });

  it('trains the VAE too, its draws seeded', async () => {
    const m = new Autoencoder(buildSpec({ ...o, arch: 'vae', base: 'dense', beta: 1 }), 1);
    expect(unsupportedReason(m.spec)).toBeUndefined();
    const e = await createEngine(m, { learningRate: 0.01 });
    expect(e.name).toMatch(/^onnxruntime-node /);
    const a = await (e as OrtEngine).gradient(data, 8, 3);
    const aLoss = a.loss;
    expect((await (e as OrtEngine).gradient(data, 8, 3)).loss).toBe(aLoss);
    expect((await (e as OrtEngine).gradient(data, 8, 4)).loss).not.toBe(aLoss);
    e.dispose();
    m.dispose();
  });

  it('refuses a model past the weights it can index: auto falls back to tfjs, by name it says why', async () => {
    const spec = buildSpec({ ...base, arch: 'dense', base: 'dense', window: 4096, channels: 64, hidden: [64], code: 4 });
    expect(unsupportedReason(spec)).toMatch(/^\d+ parameters \(the engine indexes at most 16\.7 M\)$/);
    expect(() => trainingGraphs(spec)).toThrow(/ONNX Runtime training: \d+ parameters/);
    // The engine decides before any weight exists: a stand-in model carrying the spec is enough.
    const m = { spec, weights: () => [], variables: () => [] } as unknown as Autoencoder;
    await expect(createEngine(m, { learningRate: 0.01, engine: 'onnxruntime' })).rejects.toThrow(/--engine onnxruntime: \d+ parameters .*use --engine tfjs/);
  });

  it('refuses an op whose export is not a copy of its stored weights, instead of training it wrong', () => {
    const dense = OPS.dense;
    const emit = dense.emitOnnx;
    dense.emitOnnx = (l, g, i, w) => emit(l, g, i, w && { kernel: w.kernel.map((v) => 2 * v), bias: w.bias });
    try {
      expect(() => trainingGraphs(buildSpec({ ...base, arch: 'dense', base: 'dense', window: 8, channels: 2 }))).toThrow(/l\d+_kernel is not a copy of the stored weights/);
    } finally {
      dense.emitOnnx = emit;
    }
    expect(() => trainingGraphs(buildSpec({ ...base, arch: 'dense', base: 'dense', window: 8, channels: 2 }))).not.toThrow();
  });
});
