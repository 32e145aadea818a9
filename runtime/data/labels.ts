/**
 * Ground-truth labels in a series: which column holds them (the first of `LABEL_COLUMNS` the CSV has, in any case:
 * `label`, `anomaly`, `is_anomaly`, `changepoint`, `fault`) and which rows a cell marks. A cell marks its row when it
 * is a number other than 0 (`1`, `1.0`, a fault number) or a word other than those of `UNMARKED` (`false`, `no`,
 * `normal`, `ok`, `none`, ...); empty cells, `0`, `0.0` and those words do not. One rule for the report's label bands (`vigil score --report`, the dashboard's
 * dropped file) and the canaries of `vigil adapt`.
 */
import { LABEL_COLUMNS } from './csv.ts';
import type { Series } from './series.ts';

/** Cells that mark nothing besides 0: the words exports write for a normal row or for no label (a review: `ok`, `none`). */
export const UNMARKED = new Set(['', 'false', 'no', 'normal', 'ok', 'none', 'nominal', 'good', 'pass', 'passed', 'healthy', 'nan', 'n/a', 'na', 'null', '-']);

/** Whether a label cell marks its row. */
export function labelMarks(cell: string | undefined): boolean {
  const v = (cell ?? '').trim().toLowerCase();
  if (UNMARKED.has(v)) return false;
  const x = Number(v);
  return Number.isNaN(x) || x !== 0;
}

/** The label column a series carries (its name as in the file, and its cells), by `LABEL_COLUMNS` order; undefined without one. */
export function labelColumn(series: Pick<Series, 'extra'>): { name: string; cells: string[] } | undefined {
  const extra = series.extra ?? {};
  const byLower = new Map(Object.keys(extra).map((k) => [k.toLowerCase(), k]));
  for (const label of LABEL_COLUMNS) {
    const name = byLower.get(label);
    if (name) return { name, cells: extra[name] };
  }
  return undefined;
}

/** 1 on the rows the label column marks, 0 elsewhere; undefined without a label column. */
export function labelFlags(series: Pick<Series, 'extra'>): Uint8Array | undefined {
  const col = labelColumn(series);
  return col && Uint8Array.from(col.cells, (cell) => (labelMarks(cell) ? 1 : 0));
}
