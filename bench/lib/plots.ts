/**
 * The plots of bench results: one file name per figure, written beside the page that shows them, and the
 * folder kept to what current results draw. Every writer of `plots/` (SUMMARY.md, COMPARE.md, standalone result
 * pages) goes through here, so one figure is one file and no file is left from figures that are gone.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './result.ts';
import { renderFigure } from './svg.ts';

type Drawn = Pick<BenchResult, 'name' | 'figures'>;

const safe = (file: string): string => file.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * `RESULT-FIGURE.svg` for a figure of a result. Figure ids often repeat the result's name (`sustained-p99` in
 * `sustained`): that leading `RESULT-` is dropped, so the name carries the prefix once (`sustained-p99.svg`).
 */
export function plotFileName(result: string, figureId: string): string {
  const id = figureId === result ? '' : figureId.startsWith(`${result}-`) ? figureId.slice(result.length + 1) : figureId;
  return safe(`${id ? `${result}-${id}` : result}.svg`);
}

/**
 * The file of every figure of `results` (per result, in figure order): `plotFileName`, except where figures of
 * two results would share a file (`burst` + `burst-kill-windows` and `burst-kill` + `burst-kill-windows`): those
 * keep the whole `RESULT-ID.svg`. Throws when two figures still share a file.
 */
export function assignPlotFiles(results: Drawn[]): string[][] {
  const owners = new Map<string, Set<string>>();
  for (const r of results) for (const f of r.figures) {
    const file = plotFileName(r.name, f.id);
    owners.set(file, (owners.get(file) ?? new Set()).add(r.name));
  }
  const files = results.map((r) => r.figures.map((f) => {
    const file = plotFileName(r.name, f.id);
    return owners.get(file)!.size > 1 ? safe(`${r.name}-${f.id}.svg`) : file;
  }));
  const seen = new Map<string, string>();
  results.forEach((r, i) => r.figures.forEach((f, j) => {
    const at = `${r.name} figure ${f.id}`;
    const other = seen.get(files[i][j]);
    if (other) throw new Error(`plots/${files[i][j]} would hold both ${other} and ${at}; give one of them another id`);
    seen.set(files[i][j], at);
  }));
  return files;
}

/**
 * Make `dir/plots` hold exactly the figures of `results`: write each (names from `assignPlotFiles`) and remove
 * every other `.svg` there (figures a result no longer has, results that are gone, files under an older name).
 * Returns the files per result, in figure order.
 */
export function writePlots(dir: string, results: Drawn[]): string[][] {
  const plots = join(dir, 'plots');
  const files = assignPlotFiles(results);
  mkdirSync(plots, { recursive: true });
  results.forEach((r, i) => r.figures.forEach((f, j) => writeFileSync(join(plots, files[i][j]), renderFigure(f))));
  const keep = new Set(files.flat());
  for (const f of readdirSync(plots)) if (f.endsWith('.svg') && !keep.has(f)) rmSync(join(plots, f));
  return files;
}
