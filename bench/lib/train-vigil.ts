/**
 * vigil side of bench/train.ts: train vigil's autoencoder with vigil's own loop (train/fit.ts) on the engine the
 * config names (onnxruntime, the default, or tfjs) from the config bench/train_torch.py reads, print one JSON line
 * with the same fields. Run as its own process so the parent can pin it to cores (taskset) and both frameworks
 * start equally cold.
 * Usage: node bin/run-ts.mjs bench/lib/train-vigil.ts CONFIG.json
 */
import { readFileSync } from 'node:fs';
import { selectBackend } from '../../train/backend.ts';
import { evaluate, fit } from '../../train/fit.ts';
import { buildSpec } from '../../train/models/architectures.ts';
import { Autoencoder, type LayerWeights } from '../../train/models/autoencoder.ts';
import { weightShapes } from '../../train/models/spec.ts';
import { threadCpu, threadUse } from './threads.ts';

/** What bench/train.ts writes for each run (both frameworks read the same file). */
export interface TrainCaseConfig {
  arch: 'conv' | 'dense';
  window: number;
  channels: number;
  hidden: number[];
  code: number;
  kernel: number;
  train: string;
  val: string;
  init: string;
  epochs: number;
  batch: number;
  lr: number;
  eps: number;
  seed: number;
  threads: number;
  /** vigil's engine (train/engine.ts); PyTorch ignores it. */
  engine: 'onnxruntime' | 'tfjs';
}

const f32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8')) as TrainCaseConfig;
const choice = await selectBackend('wasm');
const spec = buildSpec({ ...cfg, base: 'dense', loss: 'mse', noise: { kind: 'gaussian', level: 0 }, l1: 0, beta: 0 });
const model = new Autoencoder(spec, cfg.seed);
const init = f32(cfg.init);
let at = 0;
const take = (n: number): Float32Array => init.slice(at, (at += n));
model.setWeights(spec.layers.map((l): LayerWeights | undefined => {
  const s = weightShapes(l);
  return s ? { kernel: take(s.kernel.reduce((a, b) => a * b, 1)), bias: take(s.bias[0]) } : undefined;
}));
const per = cfg.window * cfg.channels;
const train = f32(cfg.train);
const val = f32(cfg.val);
const valSet = { data: val, count: val.length / per };
const initValLoss = evaluate(model, valSet);
const t0 = threadCpu();
const res = await fit(model, { data: train, count: train.length / per }, valSet, { epochs: cfg.epochs, batchSize: cfg.batch, learningRate: cfg.lr, patience: 1e9, seed: cfg.seed, engine: cfg.engine, threads: cfg.threads });
const use = threadUse(t0, threadCpu());
console.log(JSON.stringify({
  framework: cfg.engine === 'tfjs' ? `tfjs ${choice.description}` : res.engine,
  initValLoss,
  epochs: res.history.map((h) => ({ wall: h.stepSeconds, cpu: h.stepCpuSeconds, valLoss: h.valLoss })),
  threads: { [cfg.engine]: cfg.engine === 'tfjs' ? 1 : cfg.threads, ...use },
}));
