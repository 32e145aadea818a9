/**
 * `vigil latent`: a 2-D map of every window's code. The code itself when it is 2-D, otherwise its first two
 * principal components. Coloured by time or by a label column; windows the card's default threshold flags
 * (through `scoreSeries`, the pipeline `vigil score` runs) ringed in red.
 */
import { basename } from 'node:path';
import { openModel, scoreSeries, type FillPolicy } from '@vigil/runtime';
import { LABEL_COLUMNS } from '@vigil/runtime/data/csv.ts';
import { fitPca, projectPca } from '../uses/pca.ts';
import { latentMapSvg } from '../uses/latent-svg.ts';
import { checkPicturePath, writePicture } from '../uses/render.ts';
import { runWindows, type WindowRun } from '../uses/windows.ts';
import { parseUseArgs, useCommand, USE_DEFAULTS, withRunOptions } from './use-options.ts';

/** Options and their defaults, in one table. */
const OPTIONS = { color: 'time', labelColumn: 'label', ...USE_DEFAULTS };

/** Options of `latentMap`. */
export interface LatentOptions {
  model: string;
  data: string;
  out: string;
  color?: 'time' | 'label';
  labelColumn?: string;
  fill?: FillPolicy;
  providers?: string[];
}

/** What the map shows, for the summary line and tests. */
export interface LatentResult {
  run: WindowRun;
  /** `windows x 2` positions. */
  xy: Float64Array;
  /** Per window, flagged by the card's default threshold. */
  flagged: Uint8Array;
  /** `code` when the code is 2-D, else `pca`. */
  projection: 'code' | 'pca';
  /** Share of the code's variance the two axes carry (1 for a 2-D code). */
  explained: number;
  labels?: string[];
}

/** Compute the map and write it. */
export async function latentMap(o: LatentOptions): Promise<LatentResult> {
  checkPicturePath(o.out);
  const color = o.color ?? 'time';
  if (color !== 'time' && color !== 'label') throw new Error(`--color: expected time or label, got '${String(color)}'`);
  const labelColumn = o.labelColumn ?? OPTIONS.labelColumn;
  // Every label column is set aside (the shared rule of runtime/data/csv.ts), and --label-column too.
  const run = await runWindows(o.model, o.data, { fill: o.fill, providers: o.providers, extraColumns: [...LABEL_COLUMNS, labelColumn] });
  const { card, windows, latent, codeSize, series } = run;
  if (!latent) throw new Error(`model '${card.name}' has no latent output (card.onnx.extraOutputs.latent); re-export it with a current vigil train`);
  const n = windows.count;
  let xy: Float64Array;
  let projection: LatentResult['projection'];
  let explained = 1;
  let axes: [string, string];
  if (codeSize === 2) {
    xy = Float64Array.from(latent);
    projection = 'code';
    axes = ['code 1', 'code 2'];
  } else if (codeSize === 1) {
    // A 1-D code: plot it against time so the one axis still reads.
    xy = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) { xy[2 * i] = windows.ends[i]; xy[2 * i + 1] = latent[i]; }
    projection = 'code';
    axes = ['row (window end)', 'code'];
  } else {
    const p = fitPca(latent, n, codeSize, 2);
    xy = projectPca(p, latent, n);
    projection = 'pca';
    explained = p.totalVariance > 0 ? (p.variances[0] + p.variances[1]) / p.totalVariance : 0;
    const pct = (v: number): string => `${((100 * v) / (p.totalVariance || 1)).toFixed(0)}%`;
    axes = [`PC1 (${pct(p.variances[0])} of code variance)`, `PC2 (${pct(p.variances[1])})`];
  }

  // Flags come from the same pipeline and threshold state machine as `vigil score`.
  const opened = await openModel(run.model, { providers: o.providers ?? OPTIONS.providers.split(','), warmup: [1] });
  const scored = await scoreSeries(series, opened.ref, { sensor: basename(o.data), threshold: card.threshold.default }).finally(() => opened.ref.close());
  const flagged = new Uint8Array(n);
  for (let i = 0; i < n; i++) flagged[i] = scored.anomalies[windows.ends[i]];

  let labels: string[] | undefined;
  if (color === 'label') {
    const col = series.extra?.[labelColumn] ?? series.extra?.[labelColumn.toLowerCase()];
    const found = Object.keys(series.extra ?? {});
    if (!col) throw new Error(`--color label: ${o.data} has no column '${labelColumn}' (give one with --label-column${found.length ? `; label columns found: ${found.join(', ')}` : ''})`);
    labels = Array.from(windows.ends, (r) => (col[r] ?? '').trim() || '0');
  }
  const times = Float64Array.from(windows.ends, (r) => series.timestamps[r]);
  const svg = latentMapSvg({
    xy, times, flagged, labels,
    title: `Latent map: ${basename(o.data)}`,
    subtitle: `model ${card.name} (${card.architecture?.kind ?? '?'}, window ${card.window} x ${card.channels.length} channels, code ${codeSize})` +
      `, ${projection === 'pca' ? `PCA of the code, ${(100 * explained).toFixed(0)}% of its variance` : 'the code itself'}`,
    xLabel: axes[0],
    yLabel: axes[1],
  });
  await writePicture(o.out, svg, `vigil latent: ${basename(o.data)}`, [
    `Each dot is one window of ${card.window} rows (its last row's time gives the colour). Windows that look alike sit together; ` +
      'a cluster away from the main cloud is a regime the model separates, a path leaving the cloud is a drift.',
    `Red rings: windows flagged by the card's default threshold (${JSON.stringify(card.threshold.default)}), through the same pipeline as vigil score.`,
  ]);
  return { run, xy, flagged, projection, explained, labels };
}

/** CLI entry. */
export async function run(args: string[]): Promise<number> {
  const cmd = withRunOptions(useCommand('vigil latent',
    'Draw every window of a CSV as a dot in the model\'s latent space (2-D code, or its first two principal components).',
    { flag: '--out <file>', help: 'picture: .png, .svg, or .html (self-contained)' })
    .option('--color <by>', 'colour dots by time | label', OPTIONS.color)
    .option('--label-column <name>', 'column holding labels for --color label (e.g. 0/1 or fault names)', OPTIONS.labelColumn))
    .addHelpText('after', `
Windows end at every row from row (window - 1) on. Flagged windows (red rings) are those the card's default
threshold marks anomalous when the file is scored exactly as \`vigil score\` would.

Examples:
  vigil latent --model models/pump --data data/pump-00001.csv --out latent.png
  vigil latent --model models/pump --data data/pump-00001.csv --out latent.html --color label`);
  const v = parseUseArgs<{ color: string; labelColumn: string }>(cmd, args);
  const t0 = performance.now();
  const r = await latentMap({ ...v, color: v.color as 'time' });
  if (!v.quiet) {
    const fl = r.flagged.reduce((a, b) => a + b, 0);
    process.stdout.write([
      `${r.run.windows.count} windows, code size ${r.run.codeSize}, ${r.projection === 'pca' ? `PCA: the two axes carry ${(100 * r.explained).toFixed(1)}% of the code's variance` : 'plotted as is'}`,
      `flagged by the default threshold: ${fl} windows (${((100 * fl) / Math.max(1, r.run.windows.count)).toFixed(1)}%)`,
      `wrote ${v.out} (${r.run.provider}, ${((performance.now() - t0) / 1000).toFixed(2)} s)`,
    ].join('\n') + '\n');
  }
  return 0;
}
