/**
 * `vigil denoise`: the model's reconstruction of a CSV, one row per input row, in the input's units (the
 * card's scaler inverted). What an autoencoder keeps is the structure it learnt; noise and faults it has not
 * seen are left out.
 */
import { Command } from 'commander';
import type { FillPolicy } from '@vigil/runtime';
import { reconstructRows, rmsePerChannel, type DenoiseMode } from '../uses/reconstruct.ts';
import { runWindows, type WindowRun } from '../uses/windows.ts';
import { num, timestampText, writeCsvLines } from '../uses/write-csv.ts';

/** Options and their defaults, in one table. */
const OPTIONS = { mode: 'last' as DenoiseMode, fill: 'error', providers: 'cpu,wasm' };

/** Options of `denoiseCsv`. */
export interface DenoiseOptions {
  model: string;
  data: string;
  out: string;
  mode?: DenoiseMode;
  fill?: FillPolicy;
  providers?: string[];
}

/** The reconstructed table and how far it is from the input. */
export interface DenoiseResult {
  run: WindowRun;
  /** rows x channels, original units. */
  clean: Float32Array;
  /** RMSE per channel between input and output, original units. */
  rmse: number[];
}

/** Reconstruct every row and write `timestamp,<channels>`. */
export async function denoiseCsv(o: DenoiseOptions): Promise<DenoiseResult> {
  const mode = o.mode ?? OPTIONS.mode;
  if (mode !== 'last' && mode !== 'mean') throw new Error(`--mode: expected last or mean, got '${String(mode)}'`);
  const run = await runWindows(o.model, o.data, { fill: o.fill, providers: o.providers });
  const { card, series } = run;
  const rows = series.timestamps.length;
  const C = card.channels.length;
  const clean = reconstructRows(card, run.windows, run.recon, rows, mode);
  await writeCsvLines(o.out, ['timestamp', ...card.channels], rows, (r) => {
    const cells = [timestampText(series.rawTimestamps, series.timestamps, r)];
    for (let c = 0; c < C; c++) cells.push(num(clean[r * C + c]));
    return cells.join(',');
  });
  return { run, clean, rmse: rmsePerChannel(series.data, clean, C) };
}

/** CLI entry. */
export async function run(args: string[]): Promise<number> {
  const cmd = new Command('vigil denoise')
    .description('Write the model\'s reconstruction of a CSV: one row per input row, same columns, original units.')
    .requiredOption('--model <path>', 'model path without extension (DIR/NAME), or either file')
    .requiredOption('--data <csv>', 'CSV with the channels named in the model card')
    .requiredOption('--out <csv>', 'output CSV: timestamp,<channels in card order>')
    .option('--mode <how>', 'last: row t from the window ending at t (causal, what the live runtime sees) | mean: average of every window covering the row (offline, smoother)', OPTIONS.mode)
    .option('--fill <policy>', 'missing or non-numeric cells: error | ffill | zero', OPTIONS.fill)
    .option('--providers <list>', 'execution providers in priority order', OPTIONS.providers)
    .option('--quiet', 'print only errors')
    .addHelpText('after', `
The first (window - 1) rows have no window of their own ending there; they take the first window's
reconstruction in both modes. Values are unscaled with the card's scaler, so they are in the input's units.

Example:
  vigil denoise --model models/pump --data data/pump-00001.csv --out clean.csv --mode mean`)
    .exitOverride()
    .showHelpAfterError();
  cmd.parse(args, { from: 'user' });
  const v = cmd.opts<{ model: string; data: string; out: string; mode: string; fill: string; providers: string; quiet?: boolean }>();
  if (!['error', 'ffill', 'zero'].includes(v.fill)) throw new Error(`--fill: expected error, ffill or zero; got '${v.fill}'`);
  const t0 = performance.now();
  const r = await denoiseCsv({ model: v.model, data: v.data, out: v.out, mode: v.mode as DenoiseMode, fill: v.fill as FillPolicy, providers: v.providers.split(',') });
  if (!v.quiet) {
    const ch = r.run.card.channels;
    process.stdout.write([
      `${r.run.series.timestamps.length} rows, ${r.run.windows.count} windows, mode ${v.mode}`,
      `RMSE input vs reconstruction (input units): ${ch.map((c, i) => `${c} ${num(r.rmse[i])}`).join(', ')}`,
      `wrote ${v.out} (${r.run.provider}, ${((performance.now() - t0) / 1000).toFixed(2)} s)`,
    ].join('\n') + '\n');
  }
  return 0;
}
