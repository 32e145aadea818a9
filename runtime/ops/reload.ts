/**
 * Model hot reload: watch the model's directory for changes to NAME.json / NAME.onnx (editors and `cp` replace
 * files by rename, so the directory is watched, not the files), debounce, then validate the new pair with
 * `loadModel` (card schema, sha256, shapes), open a session on the same providers, and swap it in atomically.
 * Anything wrong (corrupt file, checksum mismatch, different window or channels, provider failure) is logged
 * clearly and the old model keeps serving.
 */
import { lstatSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { loadModel, type LoadedModel } from '../model/load.ts';
import type { ModelCard } from '../model/card.ts';
import type { BatchRunner, ModelRef } from '../inference/model-ref.ts';
import { openSession, warmUp } from '../inference/open-model.ts';

/** What a reload attempt did. */
export type ReloadOutcome =
  | { kind: 'swapped'; from: ModelCard; to: ModelCard; provider: string; /** The ONNX file that now serves. */ onnxPath: string; /** Its warm-up (ms), at the batch sizes of `warmup`. */ warmupMs: number }
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
  let warmupMs: number;
  try {
    resolved = await openSession(loaded, { providers: opts.providers, threads: opts.threads, spinning: opts.spinning, worker: opts.worker });
  } catch (err) {
    return { kind: 'refused', reason: (err as Error).message };
  }
  try {
    ({ warmupMs } = await warmUp(resolved, loaded, opts.warmup));
    await opts.prepare?.(loaded.card, resolved.session);
  } catch (err) {
    await resolved.session.close().catch(() => {});
    return { kind: 'refused', reason: (err as Error).message };
  }
  try {
    const from = opts.ref.swap(loaded.card, resolved.session);
    return { kind: 'swapped', from, to: loaded.card, provider: resolved.provider, onnxPath: loaded.onnxPath, warmupMs };
  } catch (err) {
    await resolved.session.close().catch(() => {});
    return { kind: 'refused', reason: (err as Error).message };
  }
}

/** `onnx.file` of the card at `cardPath` as it is on disk now (undefined when it cannot be read yet). */
function onnxNamedOnDisk(cardPath: string): string | undefined {
  try {
    const file = (JSON.parse(readFileSync(cardPath, 'utf8')) as { onnx?: { file?: unknown } }).onnx?.file;
    return typeof file === 'string' ? basename(file) : undefined;
  } catch {
    return undefined;
  }
}

/** The folders on the way to `dir` (itself included) that are symlinks, each as the folder holding it and its name. */
function symlinkedFolders(dir: string): { parent: string; name: string }[] {
  const links: { parent: string; name: string }[] = [];
  for (let p = resolve(dir); dirname(p) !== p; p = dirname(p)) {
    try {
      if (lstatSync(p).isSymbolicLink()) links.push({ parent: dirname(p), name: basename(p) });
    } catch {
      // gone meanwhile: nothing to watch there
    }
  }
  return links;
}

/** Watch the model files and reload on change; returns a stop function. */
export function watchModel(opts: ReloadOptions): () => void {
  const card = loadModel(opts.model);
  const cardFile = basename(card.cardPath);
  // The files that matter: the card, the ONNX file that serves, and the one the card on disk names now (a pair copied
  // in card first, its ONNX file under a new name second: the card's reload is refused for the missing file, and
  // only the file's arrival can complete it; a probe saw it refused until a restart).
  // NAME.onnx beside the card too, which loadModel serves when its sha256 is the card's (a review: a card copied in
  // first and its ONNX file second as NAME.onnx stayed refused).
  const served = new Set([basename(card.onnxPath), cardFile.replace(/\.json$/, '.onnx')]);
  const relevant = (file: string) => file === cardFile || served.has(file) || file === onnxNamedOnDisk(card.cardPath);
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
      .then(
        (o) => {
          if (o.kind === 'swapped') served.add(basename(o.onnxPath));
          opts.onOutcome(o);
        },
        (err: Error) => opts.onOutcome({ kind: 'refused', reason: err.message }),
      )
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(run, opts.debounceMs);
  };
  const quiet = (w: FSWatcher) => (w.on('error', () => {}), w.unref(), w);
  // The folder as its path names it now (a watch follows the folder a symlink named when it was made).
  const watchFolder = (): FSWatcher | undefined => {
    try {
      return quiet(watch(dirname(card.cardPath), (_event, file) => (!file || relevant(String(file))) && soon()));
    } catch {
      return undefined; // a link switched to a folder not there (yet): watched again at the link's next switch
    }
  };
  let watcher = watchFolder();
  // A release switched by a symlinked folder on the way (`ln -sfn v2 current`) changes no file in the folder watched:
  // the switch is seen where the link lives, and the folder is watched again through it (a probe: never reloaded).
  const links = symlinkedFolders(dirname(card.cardPath)).map(({ parent, name }) =>
    quiet(
      watch(parent, (_event, file) => {
        if (file && String(file) !== name) return;
        watcher?.close();
        watcher = watchFolder();
        soon();
      }),
    ),
  );
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher?.close();
    for (const w of links) w.close();
  };
}
