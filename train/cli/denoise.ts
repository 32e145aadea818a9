/**
 * `vigil denoise`: the model's reconstruction of a CSV, one row per input row, in the input's units (the
 * card's scaler inverted). What an autoencoder keeps is the structure it learnt; noise and faults it has not
 * seen are left out.
 */
import type { FillPolicy } from '@vigil/runtime';
import { reconstructRows, rmsePerChannel, type DenoiseMode } from '../uses/reconstruct.ts';
import { runWindows, type WindowRun } from '../uses/windows.ts';
import { numberCell, timestampText, writeCsvLines } from '../uses/write-csv.ts';
import { parseUseArgs, useCommand, USE_DEFAULTS, withRunOptions } from './use-options.ts';

/** Options and their defaults, in one table. */
const OPTIONS = { mode: 'last' as DenoiseMode, ...USE_DEFAULTS };

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
    for (let c = 0; c < C; c++) cells.push(numberCell(clean[r * C + c]));
    return cells.join(',');
  });
  return { run, clean, rmse: rmsePerChannel(series.data, clean, C) };
}

/** CLI entry. */
export async function run(args: string[]): Promise<number> {
  const cmd = withRunOptions(useCommand('vigil denoise',
    'Write the model\'s reconstruction of a CSV: one row per input row, same columns, original units.',
    { flag: '--out <csv>', help: 'output CSV: timestamp,<channels in card order>' })
    .option('--mode <how>', 'last: row t from the window ending at t (causal, what the live runtime sees) | mean: average of every window covering the row (offline, smoother)', OPTIONS.mode))
    .addHelpText('after', `
The first (window - 1) rows have no window of their own ending there; they take the first window's
reconstruction in both modes. Values are unscaled with the card's scaler, so they are in the input's units.

Example:
  vigil denoise --model models/pump --data data/pump-00001.csv --out clean.csv --mode mean`);
  const v = parseUseArgs<{ mode: string }>(cmd, args);
  const t0 = performance.now();
  const r = await denoiseCsv({ ...v, mode: v.mode as DenoiseMode });
  if (!v.quiet) {
    const ch = r.run.card.channels;
    process.stdout.write([
      `${r.run.series.timestamps.length} rows, ${r.run.windows.count} windows, mode ${v.mode}`,
      `RMSE input vs reconstruction (input units): ${ch.map((c, i) => `${c} ${numberCell(r.rmse[i])}`).join(', ')}`,
      `wrote ${v.out} (${r.run.provider}, ${((performance.now() - t0) / 1000).toFixed(2)} s)`,
    ].join('\n') + '\n');
  }
  return 0;
}
