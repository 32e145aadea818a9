/**
 * `vigil encode`: the code of every window (feature extraction, compression). Prints the compression ratio
 * (values in a window / values in its code) and how well the code reconstructs the data.
 */
import { InvalidArgumentError } from 'commander';
import type { FillPolicy } from '@vigil/runtime';
import { runWindows, type WindowRun } from '../uses/windows.ts';
import { numberCell, timestampText, writeCsvLines } from '../uses/write-csv.ts';
import { parseUseArgs, useCommand, USE_DEFAULTS, withRunOptions } from './use-options.ts';

/** Options and their defaults, in one table. */
const OPTIONS = { stride: 1, ...USE_DEFAULTS };

/** Options of `encodeCsv`. */
export interface EncodeOptions {
  model: string;
  data: string;
  out: string;
  stride?: number;
  fill?: FillPolicy;
  providers?: string[];
}

/** Codes and what they cost and keep. */
export interface EncodeResult {
  run: WindowRun;
  /** Values per window / code values per window. */
  ratio: number;
  /** With stride = window the codes replace the series: input values / code values over the file. */
  fileRatio: number;
  /** RMSE of the reconstruction in scaled units (z-scores for a standard scaler), over all windows. */
  rmseScaled: number;
  /** RMSE per channel in the input's units. */
  rmse: number[];
}

/** Encode every window and write `timestamp,code_1..code_k,score`. */
export async function encodeCsv(o: EncodeOptions): Promise<EncodeResult> {
  const run = await runWindows(o.model, o.data, { fill: o.fill, providers: o.providers, stride: o.stride ?? OPTIONS.stride });
  const { card, windows, latent, codeSize, recon, series, scores } = run;
  if (!latent) throw new Error(`model '${card.name}' has no latent output (card.onnx.extraOutputs.latent); re-export it with a current vigil train`);
  const C = card.channels.length;
  const per = card.window * C;
  const header = ['timestamp', ...Array.from({ length: codeSize }, (_, k) => `code_${k + 1}`), 'score'];
  await writeCsvLines(o.out, header, windows.count, (i) => {
    const cells = [timestampText(series.rawTimestamps, series.timestamps, windows.ends[i])];
    for (let k = 0; k < codeSize; k++) cells.push(numberCell(latent[i * codeSize + k]));
    cells.push(numberCell(scores[i]));
    return cells.join(',');
  });
  let sq = 0;
  const perCh = new Float64Array(C);
  for (let i = 0; i < windows.count * per; i++) {
    const d = windows.data[i] - recon[i];
    sq += d * d;
    perCh[i % C] += d * d;
  }
  const values = Math.max(1, windows.count * card.window);
  // scaled = (x - offset) / scale, so an error of e scaled units is e x scale in the input's units.
  const unit = (c: number): number => card.scaler.scale[c];
  return {
    run,
    ratio: per / codeSize,
    fileRatio: (series.timestamps.length * C) / (Math.ceil(series.timestamps.length / card.window) * codeSize),
    rmseScaled: Math.sqrt(sq / Math.max(1, windows.count * per)),
    rmse: Array.from(perCh, (s, c) => Math.sqrt(s / values) * unit(c)),
  };
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1, got '${v}'`);
  return n;
};

/** CLI entry. */
export async function run(args: string[]): Promise<number> {
  const cmd = withRunOptions(useCommand('vigil encode',
    'Write the latent code of every window of a CSV (features for other tools, or a compressed form of the series).',
    { flag: '--out <csv>', help: 'output CSV: timestamp (of the window\'s last row),code_1..code_k,score' })
    .option('--stride <rows>', 'rows between windows; 1 = every window, the model\'s window = non-overlapping (compression)', int('--stride'), OPTIONS.stride))
    .addHelpText('after', `
score is the window's anomaly score exactly as vigil score computes it (card scoring). The code is the
exported 'latent' output: conv models give code channels x steps, time-major (code_1..code_k are step 1's
channels, then step 2's...). Reconstruction error is measured on the windows written.

Example:
  vigil encode --model models/pump --data data/pump-00001.csv --out codes.csv --stride 32`);
  const v = parseUseArgs<{ stride: number }>(cmd, args);
  const t0 = performance.now();
  const r = await encodeCsv(v);
  if (!v.quiet) {
    const { card, codeSize, windows } = r.run;
    process.stdout.write([
      `${windows.count} windows of ${card.window} rows x ${card.channels.length} channels -> ${codeSize} code values each`,
      `compression: ${numberCell(r.ratio)}:1 per window; ${numberCell(r.fileRatio)}:1 for the whole file at --stride ${card.window} (non-overlapping windows)`,
      `reconstruction RMSE: ${numberCell(r.rmseScaled)} in scaled units; per channel (input units): ${card.channels.map((c, i) => `${c} ${numberCell(r.rmse[i])}`).join(', ')}`,
      `wrote ${v.out} (${r.run.provider}, ${((performance.now() - t0) / 1000).toFixed(2)} s)`,
    ].join('\n') + '\n');
  }
  return 0;
}
