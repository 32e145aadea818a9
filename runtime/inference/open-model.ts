/**
 * Put a loaded model in service: resolve the execution provider list, warm the session up at the batch size
 * it will see (so the first live message does not pay for allocation and kernel selection), and report which
 * provider runs and why the others did not.
 */
import { holdingConstants } from '../scoring/constant-inputs.ts';
import type { LoadedModel } from '../model/load.ts';
import { scoreOutputs } from '../scoring/score-outputs.ts';
import type { ResolvedSession } from './backend.ts';
import { ModelRef } from './model-ref.ts';
import { backendFor, describeResolution, resolveSession, workerFor } from './resolve.ts';

/** Options of `openModel`. */
export interface OpenModelOptions {
  /** Providers in priority order (default `['cpu', 'wasm']`). */
  providers?: string[];
  /** Warm-up batch sizes run before returning (default `[1]`; pass the live batch size too). */
  warmup?: number[];
  /** Intra-op threads for ONNX Runtime's CPU kernels (0 or absent: library default, one per physical core). */
  threads?: number;
  /** Whether idle ONNX Runtime threads spin (absent: library default, on); `vigil run` turns it off (config schema). */
  spinning?: boolean;
  /**
   * Run onnxruntime-node in a worker thread, so intake is never blocked by a batch; `'auto'`: for device providers
   * only (resolve.ts `workerFor`). Absent: on the calling thread.
   */
  worker?: boolean | 'auto';
}

/** A model in service, how it was resolved, and the report line to log. */
export interface OpenedModel {
  ref: ModelRef;
  resolved: ResolvedSession;
  /** Wall time of the warm-up runs (ms). */
  warmupMs: number;
  report: string;
}

/** Open a session for a loaded model on the first provider that works, warmed up. */
export async function openModel(model: LoadedModel, opts: OpenModelOptions = {}): Promise<OpenedModel> {
  const resolved = await openSession(model, opts);
  const { warmupMs } = await warmUp(resolved, model, opts.warmup);
  return { ref: new ModelRef(model.card, resolved.session), resolved, warmupMs, report: `${describeResolution(resolved)}${threadNote(resolved, opts)}; warm-up ${warmupMs.toFixed(1)} ms` };
}

/** Where the session runs, for the report line: onnxruntime-node may run in a worker thread, wasm never does. */
export function threadNote(resolved: Pick<ResolvedSession, 'provider'>, opts: Pick<OpenModelOptions, 'worker'>): string {
  const [lib, name] = resolved.provider.split('/');
  return lib === 'ort-node' && workerFor(name, opts.worker) ? ' in a worker thread' : '';
}

/** Resolve a session for a model (hot reload uses this, then `ModelRef.swap`). */
export async function openSession(model: LoadedModel, opts: OpenModelOptions = {}): Promise<ResolvedSession> {
  const { card } = model;
  const resolved = await resolveSession(opts.providers ?? ['cpu', 'wasm'], {
    onnx: model.onnx,
    inputName: card.onnx.inputName,
    outputName: card.onnx.outputName,
    window: card.window,
    channels: card.channels.length,
    threads: opts.threads,
    spinning: opts.spinning,
  }, (name, req) => backendFor(name, { worker: opts.worker }).open(req));
  // Channels constant in training are fed to the model at their training value, whoever calls it (constant-inputs.ts).
  return { ...resolved, session: holdingConstants(resolved.session, card.scoring, card.window, card.channels.length) };
}

/** Run zero batches of the given sizes and check the output shape, so a broken model fails before going live. */
export async function warmUp(resolved: ResolvedSession, model: LoadedModel, sizes: number[] = [1]): Promise<{ warmupMs: number }> {
  const wc = model.card.window * model.card.channels.length;
  const t0 = performance.now();
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`warm-up batch size must be an integer >= 1, got ${n}`);
    const out = await resolved.session.run(new Float32Array(n * wc), n);
    if (out.reconstruction.length !== n * wc) {
      throw new Error(`model output '${model.card.onnx.outputName}' has ${out.reconstruction.length} values for a batch of ${n}; expected ${n * wc} (${n} x ${model.card.window} x ${model.card.channels.length}, same as the input)`);
    }
    // The card's scorer must find what it needs (e.g. a recon-prob card needs the VAE's samples output).
    scoreOutputs(new Float32Array(n * wc), out, n, model.card.window, model.card.channels.length, model.card.scoring);
  }
  return { warmupMs: performance.now() - t0 };
}

/**
 * Hot reload: open and warm up a session for a new model, then swap it into `ref` between batches. On any
 * failure (bad card, checksum, shape change, no provider) the model in service stays and the error says why.
 */
export async function reloadModel(ref: ModelRef, model: LoadedModel, opts: OpenModelOptions = {}): Promise<{ report: string; previous: string }> {
  const resolved = await openSession(model, opts);
  try {
    const { warmupMs } = await warmUp(resolved, model, opts.warmup);
    const old = ref.swap(model.card, resolved.session);
    return { report: `${describeResolution(resolved)}${threadNote(resolved, opts)}; warm-up ${warmupMs.toFixed(1)} ms`, previous: `${old.name} ${old.version}` };
  } catch (err) {
    await resolved.session.close().catch(() => {});
    throw err;
  }
}
