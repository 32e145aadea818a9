/**
 * Run every window of a CSV through a model with ONNX Runtime (no tfjs): the shared first step of
 * `vigil latent`, `vigil denoise` and `vigil encode`. Windows end at every row from `window - 1` on (stride 1
 * unless asked otherwise), are scaled with the card's scaler and come back with their reconstruction, the code
 * (the exported `latent` output) and the runtime's window scores.
 */
import { existsSync } from 'node:fs';
import { loadModel, openModel, readCsv, type FillPolicy, type LoadedModel, type ModelCard, type Series } from '@vigil/runtime';
import { applyScaler } from '@vigil/runtime/scaling/scaler.ts';
import { rowCount } from '@vigil/runtime/data/series.ts';
import { scoreInOrder } from '@vigil/runtime/scoring/score-in-order.ts';
import { slidingWindows, type WindowSet } from '@vigil/runtime/window/sliding.ts';
import { defaultAt } from '@vigil/runtime/config/defaults.ts';
import { FLAGS } from '@vigil/runtime/config/flags.ts';

/** Options shared by the autoencoder-use commands. */
export interface WindowRunOptions {
  /** Missing or non-numeric cells (default: --fill's, error). */
  fill?: FillPolicy;
  /** Extra text columns to keep (e.g. a label column). */
  extraColumns?: string[];
  /** Rows between windows (default 1). */
  stride?: number;
  /** Execution providers in priority order (default: the config schema's inference.providers, cpu, wasm). */
  providers?: string[];
  /** Windows per inference call (default 1024). */
  batch?: number;
}

/** Every window of a series with what the model made of it. */
export interface WindowRun {
  model: LoadedModel;
  card: ModelCard;
  series: Series;
  /** Scaled windows (`ends[i]` = row the window ends at). */
  windows: WindowSet;
  /** Reconstruction of each window, scaled units, same layout as `windows.data`. */
  recon: Float32Array;
  /** Codes, `count x codeSize`, or null when the model has no `latent` output. */
  latent: Float32Array | null;
  codeSize: number;
  /** Window scores exactly as the runtime computes them (card scoring). */
  scores: Float32Array;
  /** Provider that ran, e.g. `ort-node/cpu`. */
  provider: string;
}

/** Read the model's channels from a CSV; a file with too few rows gets an error that says how many are needed. */
export function readForModel(card: ModelCard, data: string, o: Pick<WindowRunOptions, 'fill' | 'extraColumns'> = {}): Series {
  if (!existsSync(data)) throw new Error(`data file not found: ${data} (expected a CSV with a timestamp column, then ${card.channels.join(', ')})`);
  const series = readCsv(data, { channels: card.channels, fill: o.fill ?? (FLAGS.fill.default as FillPolicy), extraColumns: o.extraColumns });
  if (rowCount(series) < card.window) {
    throw new Error(`${data}: ${rowCount(series)} rows, but model '${card.name}' needs at least ${card.window} (its window)`);
  }
  return series;
}

/** Load a model, run every window of `data` (a CSV path or a series in card channel order) through it. */
export async function runWindows(modelPath: string, data: string | Series, o: WindowRunOptions = {}): Promise<WindowRun> {
  const model = loadModel(modelPath);
  const { card } = model;
  const series = typeof data === 'string' ? readForModel(card, data, o) : data;
  const stride = o.stride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`stride must be an integer >= 1, got ${stride}`);
  const C = card.channels.length;
  const W = card.window;
  const windows = slidingWindows(applyScaler(card.scaler, series.data), C, W, stride);
  const opened = await openModel(model, { providers: o.providers ?? (defaultAt('inference.providers') as string[]), warmup: [1] });
  const per = W * C;
  const recon = new Float32Array(windows.count * per);
  const codeShape = card.onnx.extraOutputs?.latent;
  const codeSize = codeShape ? codeShape.slice(1).reduce((a, b) => a * b, 1) : 0;
  const latent = codeSize > 0 ? new Float32Array(windows.count * codeSize) : null;
  const session = opened.resolved.session;
  // Windows holding a row the CSV reader filled (--fill) are not judged stuck, as the live window stage does.
  const filled = series.filledRows;
  const unjudged = filled && ((i: number) => filled.subarray(i * stride, i * stride + W).includes(1));
  let scores: Float32Array;
  try {
    // In order, with the tracked state `vigil score` and `vigil run` keep (runtime/scoring/score-in-order.ts).
    scores = await scoreInOrder(windows.data, windows.count, W, C, card.scoring, (input, n) => session.run(input, n), {
      batch: o.batch ?? 1024,
      unjudged,
      onBatch: (s, n, out) => {
        recon.set(out.reconstruction.subarray(0, n * per), s * per);
        if (!latent) return;
        const code = out.extra.latent;
        if (!code || code.length < n * codeSize) throw new Error(`model '${card.name}' lists a latent output of ${codeSize} values per window but returned ${code?.length ?? 0} for ${n} windows`);
        latent.set(code.subarray(0, n * codeSize), s * codeSize);
      },
    });
  } finally {
    await opened.ref.close();
  }
  return { model, card, series, windows, recon, latent, codeSize, scores, provider: opened.resolved.provider };
}
