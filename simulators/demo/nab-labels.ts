/** The bundled NAB file's labelled incidents (windows and the labelled instant), read from the data folder. */
import { readFileSync } from 'node:fs';
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';

/** One labelled incident: the NAB window around it and the labelled instant, epoch ms. */
export interface Incident {
  start: number;
  end: number;
  at: number;
}

/** Read `<file>.labels.json` (written from NAB's combined_windows.json and combined_labels.json). */
export function readIncidents(labelsFile: string): Incident[] {
  const j = JSON.parse(readFileSync(labelsFile, 'utf8')) as { windows: [string, string][]; labels: string[] };
  if (!Array.isArray(j.windows) || !Array.isArray(j.labels) || j.windows.length !== j.labels.length) {
    throw new Error(`${labelsFile}: expected {"windows": [[start, end], ...], "labels": [instant, ...]} with one label per window`);
  }
  const ts = (s: string) => parseTimestamp(s.replace(/\.0+$/, ''));
  return j.windows.map(([s, e], i) => ({ start: ts(s), end: ts(e), at: ts(j.labels[i]) }));
}
