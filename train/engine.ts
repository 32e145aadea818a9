/**
 * What trains an autoencoder's weights, step by step: ONNX Runtime on the exported graph and its gradient
 * (`grad/ort-engine.ts`, the default where it loads and indexes the model's weights) or tfjs (`tfjs-engine.ts`,
 * `--engine tfjs`, and the fallback). Both start from the model's seeded weights, draw the
 * same shuffles, and hand back plain weights; the model exported is the same layer list either way.
 */
import type { Autoencoder, LayerWeights } from './models/autoencoder.ts';
import { unsupportedReason } from './grad/training-graph.ts';

/** Windows N x W x C in one Float32Array. */
export interface WindowBatch {
  data: Float32Array;
  count: number;
}

/** Engines by name; `auto` takes onnxruntime where it can. */
export const TRAIN_ENGINES = ['auto', 'onnxruntime', 'tfjs'] as const;
export type TrainEngineName = (typeof TRAIN_ENGINES)[number];

/** One optimiser bound to one model's weights. */
export interface StepEngine {
  /** What ran, for the card and the log, e.g. `onnxruntime-node 1.30.0 (cpu, 1 thread)`. */
  readonly name: string;
  /** One Adam step on the first `m` windows of `batch` (training terms on, noise seeded by `seed`); the batch's loss. */
  step(batch: Float32Array, m: number, seed: number): Promise<number>;
  /** Mean loss over a set in inference mode (no noise). */
  evaluate(set: WindowBatch): Promise<number>;
  /** Each window's mean squared reconstruction error in inference mode. */
  windowErrors(data: Float32Array, n: number): Promise<Float32Array>;
  weights(): (LayerWeights | undefined)[];
  setWeights(w: (LayerWeights | undefined)[]): void;
  dispose(): void;
}

/** Engine settings. */
export interface EngineOptions {
  engine?: TrainEngineName;
  learningRate: number;
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
}

/** The engine for `model`: onnxruntime when asked or (auto) when the architecture has gradients there and it loads. */
export async function createEngine(model: Autoencoder, o: EngineOptions): Promise<StepEngine> {
  const want = o.engine ?? 'auto';
  let fallback: string | undefined;
  if (want !== 'tfjs') {
    const reason = unsupportedReason(model.spec);
    if (reason && want === 'onnxruntime') throw new Error(`--engine onnxruntime: ${reason}; use --engine tfjs`);
    if (!reason) {
      try {
        const { OrtEngine } = await import('./grad/ort-engine.ts');
        return await OrtEngine.create(model.spec, model.weights(), o);
      } catch (err) {
        if (want === 'onnxruntime') throw err;
        // Reported in the engine's name (the log and the card), not swallowed.
        fallback = `onnxruntime failed: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }
  const { TfjsEngine } = await import('./tfjs-engine.ts');
  return new TfjsEngine(model, o.learningRate, fallback);
}
