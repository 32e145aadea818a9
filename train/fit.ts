/**
 * The training loop: Adam on shuffled mini-batches, validation loss each epoch, early stopping that restores
 * the best weights. Seeded shuffles and noise: same data + seed + backend -> same weights.
 */
import type { Autoencoder, LayerWeights } from './models/autoencoder.ts';
import { Rng } from '@vigil/runtime/util/prng.ts';
import { createEngine, type TrainEngineName, type WindowBatch } from './engine.ts';
import { gather, keptIndices, setAside, WARMUP_EPOCHS, type SetAsideRule } from './robust.ts';

export type { WindowBatch } from './engine.ts';
export { evaluate } from './tfjs-engine.ts';

/** Loop settings. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Stop after this many epochs without a validation improvement of at least `minDelta`. */
  patience: number;
  /** Relative improvement that counts as progress for early stopping (default 0.01 = 1 %). */
  minDelta?: number;
  seed: number;
  /** Called after every epoch; may be async (lets a progress bar repaint). */
  onEpoch?: (e: EpochInfo) => void | Promise<void>;
  /**
   * Robust fit (train/robust.ts): after `WARMUP_EPOCHS`, each epoch ranks the windows by error and leaves the
   * ones the rule sets aside out of that epoch's gradient steps and validation loss. Absent: every window, always.
   */
  trim?: SetAsideRule;
  /** What computes the steps (`engine.ts`); default auto: ONNX Runtime where the architecture allows. */
  engine?: TrainEngineName;
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
  /** Told which engine computes the steps, before the first one. */
  onEngine?: (name: string) => void;
}

/** One epoch's outcome. */
export interface EpochInfo {
  epoch: number;
  epochs: number;
  loss: number;
  /** Validation loss, or NaN without validation windows. */
  valLoss: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Wall and process CPU time of the gradient steps alone (CPU time is robust on a busy machine). */
  stepSeconds: number;
  stepCpuSeconds: number;
  windowsPerSecond: number;
  /** Whether this epoch is the best so far. */
  best: boolean;
  /** Robust fit: training and validation windows left out of this epoch (0 during the warm-up). */
  setAside?: { train: number; validation: number };
}

/** What training produced. */
export interface FitResult {
  history: EpochInfo[];
  bestEpoch: number;
  bestLoss: number;
  stoppedEarly: boolean;
  seconds: number;
  /** The engine that computed the steps (`StepEngine.name`). */
  engine: string;
}


/** Train `model` in place; returns the history and restores the weights of the best validation epoch. */
export async function fit(model: Autoencoder, train: WindowBatch, val: WindowBatch, o: FitOptions): Promise<FitResult> {
  if (train.count === 0) throw new Error('no training windows: the data has fewer rows than the window length');
  const { window: w, channels: c } = model.spec;
  const per = w * c;
  const rng = new Rng(o.seed ^ 0x5eed);
  const engine = await createEngine(model, o);
  const buf = new Float32Array(o.batchSize * per);
  const history: EpochInfo[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  // The best weights follow every improvement; patience only resets on a real one, so a loss that creeps
  // down by 0.1 % an epoch does not keep training for hundreds of epochs.
  let progress = Infinity;
  let progressEpoch = 0;
  const minDelta = o.minDelta ?? 0.01;
  let bestWeights: (LayerWeights | undefined)[] = [];
  let stoppedEarly = false;
  const t0 = performance.now();
  try {
    o.onEngine?.(engine.name);
    bestWeights = engine.weights();
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const te = performance.now();
      const cpu0 = process.cpuUsage();
      // Ranking draws no random numbers and a permutation of all windows is the plain one: a robust fit that
      // sets nothing aside trains exactly the plain model.
      const trimmed = o.trim && epoch > WARMUP_EPOCHS ? setAside(await engine.windowErrors(train.data, train.count), o.trim) : undefined;
      const kept = trimmed && trimmed.count > 0 ? keptIndices(trimmed.mask) : undefined;
      const n = kept ? kept.length : train.count;
      const perm = rng.permutation(n);
      const order = kept ? perm.map((i) => kept[i]) : perm;
      let sum = 0;
      for (let s = 0; s < n; s += o.batchSize) {
        const m = Math.min(o.batchSize, n - s);
        for (let i = 0; i < m; i++) buf.set(train.data.subarray(order[s + i] * per, (order[s + i] + 1) * per), i * per);
        sum += (await engine.step(buf, m, rng.int())) * m;
      }
      const stepSeconds = (performance.now() - te) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const stepCpuSeconds = (cpu.user + cpu.system) / 1e6;
      const loss = sum / n;
      if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch} (loss ${loss}); lower --lr or check the data scaling`);
      const valTrim = trimmed && val.count > 0 ? setAside(await engine.windowErrors(val.data, val.count), o.trim!) : undefined;
      const valKept = valTrim && valTrim.count > 0 && valTrim.count < val.count ? keptIndices(valTrim.mask) : undefined;
      const valSet = valKept ? { data: gather(val.data, valKept, per), count: valKept.length } : val;
      const valLoss = val.count > 0 ? await engine.evaluate(valSet) : NaN;
      // Without validation windows, early stopping watches the training loss instead.
      const watched = val.count > 0 ? valLoss : loss;
      const improved = watched < best;
      if (improved) {
        best = watched;
        bestEpoch = epoch;
        bestWeights = engine.weights();
      }
      if (watched < progress * (1 - minDelta)) {
        progress = watched;
        progressEpoch = epoch;
      }
      const seconds = (performance.now() - te) / 1000;
      const info: EpochInfo = { epoch, epochs: o.epochs, loss, valLoss, seconds, stepSeconds, stepCpuSeconds, windowsPerSecond: n / stepSeconds, best: improved };
      if (o.trim) info.setAside = { train: train.count - n, validation: val.count - valSet.count };
      history.push(info);
      await o.onEpoch?.(info);
      if (epoch - progressEpoch >= o.patience) {
        stoppedEarly = epoch < o.epochs;
        break;
      }
    }
  } finally {
    engine.dispose();
  }
  model.setWeights(bestWeights);
  return { history, bestEpoch, bestLoss: best, stoppedEarly, seconds: (performance.now() - t0) / 1000, engine: engine.name };
}
