/**
 * The labelled stretches of a series, for drawing beside its scores (`vigil score --report`): rows whose label
 * column (the first of `LABEL_COLUMNS` the CSV has, in any case: `label`, `anomaly`, `is_anomaly`, `changepoint`,
 * `fault`) marks them. A cell marks its row when it is a number other than 0 (`1`, `1.0`, a fault number) or a word
 * other than `false`, `no` or `normal`; empty cells, `0`, `0.0` and those words do not.
 */
import { LABEL_COLUMNS } from './csv.ts';
import type { Series } from './series.ts';

const UNMARKED = new Set(['', 'false', 'no', 'normal']);

/** Whether a label cell marks its row. */
export function labelMarks(cell: string | undefined): boolean {
  const v = (cell ?? '').trim().toLowerCase();
  if (UNMARKED.has(v)) return false;
  const x = Number(v);
  return Number.isNaN(x) || x !== 0;
}

/** The label column a series carries, by `LABEL_COLUMNS` order; undefined without one. */
export function labelColumn(series: Pick<Series, 'extra'>): string[] | undefined {
  const extra = series.extra ?? {};
  const byLower = new Map(Object.keys(extra).map((k) => [k.toLowerCase(), k]));
  for (const name of LABEL_COLUMNS) {
    const key = byLower.get(name);
    if (key) return extra[key];
  }
  return undefined;
}

/** Consecutive marked rows as [first, last] timestamp spans. */
export function labelSpans(series: Pick<Series, 'extra' | 'timestamps'>): { start: number; end: number }[] {
  const label = labelColumn(series);
  const spans: { start: number; end: number }[] = [];
  if (!label) return spans;
  let open = false;
  for (let r = 0; r < label.length; r++) {
    if (!labelMarks(label[r])) {
      open = false;
      continue;
    }
    const ts = series.timestamps[r];
    if (open) spans[spans.length - 1].end = ts;
    else spans.push({ start: ts, end: ts });
    open = true;
  }
  return spans;
}
