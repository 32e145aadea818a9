/**
 * Model hot reload: watch the model's directory for changes to NAME.json / NAME.onnx (editors and `cp` replace
 * files by rename, so the directory is watched, not the files), debounce, then validate the new pair with
 * `loadModel` (card schema, sha256, shapes), open a session on the same providers, and swap it in atomically.
 * Anything wrong (corrupt file, checksum mismatch, different window or channels, provider failure) is logged
 * clearly and the old model keeps serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadModel, type LoadedModel } from '../model/load.ts';
import type { ModelCard } from '../model/card.ts';
import type { BatchRunner, ModelRef } from '../inference/model-ref.ts';
import { openSession, warmUp } from '../inference/open-model.ts';

/** What a reload attempt did. */
export type ReloadOutcome =
  | { kind: 'swapped'; from: ModelCard; to: ModelCard; provider: string }
  | { kind: 'unchanged' }
  | { kind: 'refused'; reason: string };

/** Options of the reloader. */
export interface ReloadOptions {
  /** Model path as configured (`models/NAME`). */
  model: string;
  ref: ModelRef;
  providers: string[];
  threads: number;
  spinning?: boolean;
  /** Run onnxruntime-node in a worker thread (config `inference.worker`; `'auto'`: device providers only). */
  worker?: boolean | 'auto';
  /** Batch sizes to warm the new session up at before it goes live. */
  warmup: number[];
  /** Called with the new model once it is warm, before it goes live (adaptation seeds its residual means). */
  prepare?: (card: ModelCard, session: BatchRunner) => Promise<void>;
  debounceMs: number;
  onOutcome: (o: ReloadOutcome) => void;
}

/** Validate and swap in the model at `opts.model` now. */
export async function reloadModel(opts: Omit<ReloadOptions, 'debounceMs' | 'onOutcome'>): Promise<ReloadOutcome> {
  let loaded: LoadedModel;
  try {
    loaded = loadModel(opts.model);
  } catch (err) {
    return { kind: 'refused', reason: (err as Error).message };
  }
  const current = opts.ref.current.card;
  if (loaded.card.onnx.sha256 === current.onnx.sha256 && JSON.stringify(loaded.card) === JSON.stringify(current)) return { kind: 'unchanged' };
  if (loaded.card.window !== current.window || loaded.card.channels.join(',') !== current.channels.join(',')) {
    return {
      kind: 'refused',
      reason: `new model has window ${loaded.card.window} x [${loaded.card.channels.join(', ')}]; the running one has ${current.window} x [${current.channels.join(', ')}] (restart to change the input shape)`,
    };
  }
  let resolved;
  try {
    resolved = await openSession(loaded, { providers: opts.providers, threads: opts.threads, spinning: opts.spinning, worker: opts.worker });
  } catch (err) {
    return { kind: 'refused', reason: (err as Error).message };
  }
  try {
    await warmUp(resolved, loaded, opts.warmup);
    await opts.prepare?.(loaded.card, resolved.session);
  } catch (err) {
    await resolved.session.close().catch(() => {});
    return { kind: 'refused', reason: (err as Error).message };
  }
  try {
    const from = opts.ref.swap(loaded.card, resolved.session);
    return { kind: 'swapped', from, to: loaded.card, provider: resolved.provider };
  } catch (err) {
    await resolved.session.close().catch(() => {});
    return { kind: 'refused', reason: (err as Error).message };
  }
}

/** Watch the model files and reload on change; returns a stop function. */
export function watchModel(opts: ReloadOptions): () => void {
  const card = loadModel(opts.model);
  const names = new Set([basename(card.cardPath), basename(card.onnxPath)]);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = reloadModel(opts)
      .then(opts.onOutcome, (err: Error) => opts.onOutcome({ kind: 'refused', reason: err.message }))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const watcher: FSWatcher = watch(dirname(card.cardPath), (_event, file) => {
    if (file && !names.has(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(run, opts.debounceMs);
  });
  watcher.on('error', () => {});
  watcher.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher.close();
  };
}
