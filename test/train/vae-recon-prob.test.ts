/**
 * VAE reconstruction probability end to end: `--arch vae --score recon-prob` trains, exports L seeded decodes
 * as output `samples` and writes a card that says how to score them; ONNX Runtime's scores equal a tfjs
 * reference; the `vigil score` loop uses them; the mean-path `reconstruction` is unchanged; and injected spikes
 * score above every normal window. Also prints recon-prob vs reconstruction error on labelled data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadModel, openModel, parseCard, scoreSeries, type LoadedModel, type ModelCard, type Series } from '@vigil/runtime';
import { applyScaler } from '../../runtime/scaling/scaler.ts';
import { reconProbFloor, reconProbScores } from '../../runtime/scoring/recon-prob.ts';
import { reconstructionScores } from '../../runtime/scoring/reconstruction.ts';
import { resolveSession } from '../../runtime/inference/resolve.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import { slidingWindows } from '../../runtime/window/sliding.ts';
import { OrtWebBackend } from '../../runtime/inference/ort-web.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { selectBackend } from '../../train/backend.ts';
import { calibrateStatic } from '../../train/calibrate.ts';
import { run as trainCli } from '../../train/cli.ts';
import type { Autoencoder } from '../../train/models/autoencoder.ts';
import { reconProbNoise } from '../../train/models/recon-prob.ts';
import { exportOnnx } from '../../train/export/graph.ts';
import { trainModel } from '../../train/train.ts';
import { maxAbsDiff, tempDir } from './helpers.ts';
import { pumpSeries, type Injection } from '@vigil/fixtures/pump.ts';

const SEED = 3;
const L = 16;
const dir = tempDir('vigil-vae-rp-');
let tfModel: Autoencoder;
let rp: LoadedModel;
let err: LoadedModel;
let test: { series: Series; labels: Uint8Array };
const KINDS: Injection['kind'][] = ['spike', 'level_shift', 'drift', 'stuck', 'variance_burst', 'broken_correlation'];
const INJ: Injection[] = Array.from({ length: 12 }, (_, i) => ({ kind: KINDS[i % 6], start: 100 + 150 * i, length: i % 6 === 0 ? 1 : 30 }));

/** Windows of a series scaled with the card, and the model's outputs for them. */
async function outputsOf(m: LoadedModel, s: Series) {
  const { card } = m;
  const C = card.channels.length;
  const w = slidingWindows(applyScaler(card.scaler, s.data), C, card.window, 1);
  const { session } = await resolveSession(['cpu'], { onnx: m.onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: C });
  const out = await session.run(w.data, w.count).finally(() => session.close());
  return { w, out };
}

/** tfjs reference: -mean over samples and span rows of log N(x | decode(z_l), sigma_c^2), minus the floor. */
function tfReference(x: Float32Array, n: number, card: ModelCard): { scores: Float32Array; perChannel: Float32Array } {
  const W = card.window;
  const C = card.channels.length;
  const span = card.scoring.span;
  const variance = card.scoring.reconProb!.variance;
  const samples = tfModel.decodeSamples(x, n, reconProbNoise(L, tfModel.encode(x, 1).size, SEED));
  return tf.tidy(() => {
    const xs = tf.tensor4d(x, [n, 1, W, C]).slice([0, 0, W - span, 0], [n, 1, span, C]);
    const mu = tf.tensor4d(samples, [n, L, W, C]).slice([0, 0, W - span, 0], [n, L, span, C]);
    const v = tf.tensor1d(Float32Array.from(variance));
    const logp = tf.sub(tf.neg(tf.mul(0.5, tf.log(tf.mul(2 * Math.PI, v)))), tf.div(tf.squaredDifference(xs, mu), tf.mul(2, v)));
    const perChannel = tf.sub(tf.neg(tf.mean(logp, [1, 2])), tf.tensor1d(Float32Array.from(reconProbFloor(variance))));
    return { scores: tf.mean(perChannel, 1).dataSync() as Float32Array, perChannel: perChannel.dataSync() as Float32Array };
  });
}

beforeAll(async () => {
  await selectBackend('wasm');
  const train = pumpSeries(400, 100 + SEED).series;
  const res = await trainModel({ data: train, out: `${dir}/rp`, arch: 'vae', score: 'recon-prob', samples: L, seed: SEED, backend: 'wasm' });
  tfModel = res.model;
  (await trainModel({ data: train, out: `${dir}/err`, arch: 'vae', score: 'error', seed: SEED, backend: 'wasm' })).model.dispose();
  rp = loadModel(`${dir}/rp`);
  err = loadModel(`${dir}/err`);
  test = pumpSeries(1950, 200 + SEED, INJ);
}, 60_000);

afterAll(() => tfModel?.dispose());

describe('VAE reconstruction probability', () => {
  it('writes a card that says how to score, and old cards still parse', () => {
    const { card } = rp;
    const C = card.channels.length;
    expect(card.scoring.error).toBe('recon-prob');
    expect(card.scoring.reconProb).toMatchObject({ output: 'samples', samples: L, rows: 4 });
    expect(card.scoring.reconProb!.variance).toHaveLength(C);
    // Samples cover only the scored rows: the graph's output layer computes just their columns.
    expect(card.onnx.extraOutputs).toEqual({ latent: [-1, 8], samples: [-1, L, 4, C] });
    expect(card.training.exportMaxAbsDiff as number).toBeLessThan(1e-4);
    // The variances are the validation residuals' own MLE, so validation windows average 1/2 nat per reading.
    expect(card.scoring.reconProb!.method).toMatch(/validation windows/);
    expect(card.errorStats.validation!.mean).toBeCloseTo(0.5, 4);
    expect(err.card.scoring).toMatchObject({ error: 'mse', span: 4 });
    expect(err.card.scoring.reconProb).toBeUndefined();

    const json = JSON.parse(JSON.stringify(card));
    const broken = (edit: (c: typeof json) => void) => {
      const c = structuredClone(json);
      edit(c);
      return () => parseCard(c, 'card');
    };
    expect(broken((c) => delete c.scoring.reconProb)).toThrow(/'recon-prob' needs scoring.reconProb/);
    expect(broken((c) => c.scoring.reconProb.variance.pop())).toThrow(/variance has 7 values; expected 8/);
    expect(broken((c) => (c.scoring.reconProb.variance[0] = 0))).toThrow(/scoring.reconProb.variance.0/);
    expect(broken((c) => delete c.onnx.extraOutputs.samples)).toThrow(/'samples' must be listed in onnx.extraOutputs with shape \[-1,16,4,8\]/);
    expect(broken((c) => (c.scoring.span = 8))).toThrow(/reconProb.rows 4 must be in span..window \(8..32\)/);
    expect(broken((c) => (c.scoring.error = 'likelihood'))).toThrow(/scoring.error/);
  });

  it('keeps the mean-path reconstruction unchanged: same weights, same output as the error-scored VAE', async () => {
    const a = await outputsOf(rp, test.series);
    const b = await outputsOf(err, test.series);
    expect(maxAbsDiff(a.out.reconstruction, b.out.reconstruction)).toBe(0);
    expect(Object.keys(b.out.extra)).toEqual(['latent']);
    expect(a.out.extra.samples).toHaveLength(a.w.count * L * 4 * 8);
    // The reconstruction error of the recon-prob model is still there for anyone who asks the card for mse.
    const mse = scoreOutputs(a.w.data, a.out, a.w.count, rp.card.window, 8, { error: 'mse', span: 4 }).scores;
    expect(maxAbsDiff(mse, reconstructionScores(b.w.data, b.out.reconstruction, b.w.count, err.card.window, 8, err.card.scoring).scores)).toBe(0);
    expect(() => reconstructionScores(a.w.data, a.out.reconstruction, a.w.count, rp.card.window, 8, rp.card.scoring)).toThrow(/use scoreOutputs/);
    expect(() => scoreOutputs(b.w.data, b.out, b.w.count, rp.card.window, 8, rp.card.scoring)).toThrow(/needs the model output 'samples'.*retrain with --arch vae --score recon-prob/);
  });

  it('scores in ONNX Runtime (node cpu and web wasm) equal a tfjs reference', async () => {
    const { card } = rp;
    const { w, out } = await outputsOf(rp, test.series);
    const n = 400;
    const x = w.data.subarray(0, n * card.window * 8);
    const ort = reconProbScores(x, out.extra.samples, n, card.window, 8, card.scoring);
    const ref = tfReference(x, n, card);
    const rel = (a: Float32Array, b: Float32Array) => maxAbsDiff(a, b) / Math.max(...b);
    expect(rel(ort.scores, ref.scores)).toBeLessThan(1e-4);
    expect(rel(ort.perChannel, ref.perChannel)).toBeLessThan(1e-4);
    expect(Math.max(...ref.scores)).toBeGreaterThan(5); // the range includes injected anomalies, not only quiet windows

    const web = await new OrtWebBackend().open({ onnx: rp.onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: 8 });
    const wout = await web.run(x, n).finally(() => web.close());
    expect(rel(scoreOutputs(x, wout, n, card.window, 8, { ...card.scoring, spread: undefined }).scores, ref.scores)).toBeLessThan(1e-4);
  });

  it('exports samples of the full window (generic path) and of the trailing rows (sliced output layer) like tfjs', async () => {
    const { card } = rp;
    const W = card.window;
    const eps = reconProbNoise(6, 8, 11);
    const { w } = await outputsOf(rp, test.series);
    const n = 64;
    const x = w.data.subarray(0, n * W * 8);
    for (const rows of [W, 3]) {
      const g = exportOnnx(tfModel.spec, tfModel.weights(), { samples: { eps, rows } });
      expect(g.extraOutputs.samples).toEqual([-1, 6, rows, 8]);
      const { session } = await resolveSession(['cpu'], { onnx: g.bytes, inputName: g.inputName, outputName: g.outputName, window: W, channels: 8 });
      const out = await session.run(x, n).finally(() => session.close());
      expect(maxAbsDiff(out.extra.samples, tfModel.decodeSamples(x, n, eps, rows))).toBeLessThan(1e-4);
    }
    expect(() => exportOnnx(tfModel.spec, tfModel.weights(), { samples: { eps, rows: W + 1 } })).toThrow(/rows must be an integer in 1..32/);
  });

  it('is what the vigil score loop computes when the card says recon-prob, and plain error when it does not', async () => {
    const { w, out } = await outputsOf(rp, test.series);
    const direct = scoreOutputs(w.data, out, w.count, rp.card.window, 8, rp.card.scoring).scores;
    const opened = await openModel(rp, { providers: ['cpu'] });
    const res = await scoreSeries(test.series, opened.ref, { sensor: 'pump', threshold: rp.card.threshold.default }).finally(() => opened.ref.close());
    const looped = Float32Array.from(w.ends, (e) => res.scores[e]);
    expect(maxAbsDiff(looped, direct) / Math.max(...direct)).toBeLessThan(1e-6);
    expect(res.events.length).toBeGreaterThan(0);

    // The same .onnx under a card asking for the error: the VAE still runs unchanged with the reconstruction error.
    const mseCard = { ...rp.card, scoring: { error: 'mse' as const, span: 4 } };
    const session = (await resolveSession(['cpu'], { onnx: rp.onnx, inputName: 'window', outputName: 'reconstruction', window: rp.card.window, channels: 8 })).session;
    const plain = await scoreSeries(test.series, new ModelRef(mseCard, session), { sensor: 'pump', threshold: { kind: 'static', value: 1 } }).finally(() => session.close());
    const mse = reconstructionScores(w.data, out.reconstruction, w.count, rp.card.window, 8, mseCard.scoring).scores;
    expect(maxAbsDiff(Float32Array.from(w.ends, (e) => plain.scores[e]), mse) / Math.max(...mse)).toBeLessThan(1e-6);
  });

  it('flags injected spikes above normal windows, and compares with the reconstruction error', async () => {
    const { card } = rp;
    const W = card.window;
    const span = card.scoring.span;
    const kinds = { 'recon-prob': card.scoring, error: { error: 'mse' as const, span } };
    // 12 single-row spikes (0.35-0.7 of the channel's span, as the simulators inject them, on a random channel each).
    const spikes: Injection[] = Array.from({ length: 12 }, (_, i) => ({ kind: 'spike', start: 200 + 100 * i, length: 1 }));
    const spiky = await outputsOf(rp, pumpSeries(1450, 300 + SEED, spikes).series);
    const mixed = await outputsOf(rp, test.series);
    const calib = await outputsOf(rp, pumpSeries(500, 100 + SEED).series);
    const report: Record<string, unknown>[] = [];
    for (const [name, scoring] of Object.entries(kinds)) {
      const { w, out } = spiky;
      const scores = scoreOutputs(w.data, out, w.count, W, 8, scoring).scores;
      const normal = Float32Array.from(scores.filter((_, i) => w.ends[i] >= 150 && !spikes.some((j) => w.ends[i] >= j.start && w.ends[i] - W < j.start))).sort();
      const q99 = normal[Math.floor(0.99 * (normal.length - 1))];
      const maxNormal = normal[normal.length - 1];
      const peaks = Float32Array.from(spikes, (j) => Math.max(...scores.filter((_, i) => w.ends[i] >= j.start && w.ends[i] < j.start + span))).sort();
      const median = (peaks[5] + peaks[6]) / 2;
      if (name === 'recon-prob') {
        expect(median).toBeGreaterThan(maxNormal);
        expect(peaks.filter((p) => p > q99).length).toBeGreaterThanOrEqual(10);
      }
      // Point-wise F1 on every fault kind, at the static threshold calibrated on normal data (as the card does).
      const m = scoreOutputs(mixed.w.data, mixed.out, mixed.w.count, W, 8, scoring).scores;
      const thr = calibrateStatic(scoreOutputs(calib.w.data, calib.out, calib.w.count, W, 8, scoring).scores).value;
      let tp = 0, fp = 0, fn = 0;
      mixed.w.ends.forEach((e, i) => {
        const hit = m[i] > thr;
        if (test.labels[e]) hit ? tp++ : fn++;
        else if (hit) fp++;
      });
      report.push({
        scoring: name, spikesOverQ99: peaks.filter((p) => p > q99).length, spikesOverMaxNormal: peaks.filter((p) => p > maxNormal).length,
        medianSpikeOverMaxNormal: +(median / maxNormal).toFixed(2), f1AllKinds: +((2 * tp) / (2 * tp + fp + fn)).toFixed(3), falseAlarms: fp, missedRows: fn,
      });
    }
    console.table(report);
  });

  it('vigil train refuses --score recon-prob where it cannot apply', async () => {
    const args = ['--data', 'unused.csv', '--out', `${dir}/x`];
    const fake = `${dir}/p.csv`;
    const { writeFileSync } = await import('node:fs');
    const { toCsv } = await import('@vigil/fixtures/pump.ts');
    writeFileSync(fake, toCsv(pumpSeries(60, 1).series));
    args[1] = fake;
    await expect(trainCli([...args, '--score', 'recon-prob'])).rejects.toThrow(/--score recon-prob needs --arch vae.*got --arch conv/);
    await expect(trainCli([...args, '--arch', 'vae', '--score', 'likelihood'])).rejects.toThrow(/--score must be mahalanobis, error or recon-prob/);
    await expect(trainCli([...args, '--arch', 'vae', '--score', 'recon-prob', '--loss', 'bce', '--scaler', 'minmax'])).rejects.toThrow(/Gaussian; use --loss mse/);
    await expect(trainCli([...args, '--arch', 'vae', '--score', 'recon-prob', '--samples', '0'])).rejects.toThrow(/--samples must be an integer in 1\.\.256/);
  });
});
