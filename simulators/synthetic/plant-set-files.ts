/**
 * The plant set on disk and in a picture: per run `train.csv`, `test.csv` and `labels.csv` (the synthetic fleet's
 * interval format, rows counted in `test.csv`), `plant-set.json` with the options, and an SVG of one run with
 * the training stretch marked and every labelled fault shaded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '@vigil/runtime/data/series.ts';
import { LABELS_HEADER, labelLine, seriesCsv } from './files.ts';
import { renderSensorSvg } from './plot.ts';
import type { PlantRun, PlantSetOptions } from './plant-set.ts';

/** One run, training and test rows together, as an SVG: faults shaded, the end of training marked. */
export function plantRunSvg(run: PlantRun, opts: { width?: number } = {}): string {
  const C = run.train.channels.length;
  const n0 = run.train.timestamps.length;
  const n1 = run.test.timestamps.length;
  const data = new Float32Array((n0 + n1) * C);
  data.set(run.train.data, 0);
  data.set(run.test.data, n0 * C);
  const timestamps = new Float64Array(n0 + n1);
  timestamps.set(run.train.timestamps, 0);
  timestamps.set(run.test.timestamps, n0);
  const series: Series = { timestamps, channels: run.train.channels, data };
  const labels = run.labels.map((l) => ({ ...l, startRow: l.startRow + n0, endRow: l.endRow + n0 }));
  const points = run.operatingPoints.map((p) => `${Math.round(p.speed * 100)}% / ${p.flow} m³/h`).join(', ');
  return renderSensorSvg({ id: run.id, series, labels }, {
    width: opts.width,
    title: `${run.id}: ${n0} training + ${n1} test rows at 1 Hz, operating points ${points}; ${run.labels.length} labelled faults`,
    marks: [{ row: n0, text: 'end of training' }],
  });
}

/** Write every run into `dir/<run id>/`, the options and a picture of the first run; returns the files written. */
export function writePlantSetCsv(runs: PlantRun[], options: PlantSetOptions, dir: string): string[] {
  const files: string[] = [];
  const put = (file: string, text: string) => {
    writeFileSync(file, text);
    files.push(file);
  };
  for (const run of runs) {
    const runDir = join(dir, run.id);
    mkdirSync(runDir, { recursive: true });
    put(join(runDir, 'train.csv'), seriesCsv(run.train));
    put(join(runDir, 'test.csv'), seriesCsv(run.test));
    const lines = run.labels.map((l) => labelLine({
      sensor: run.id, type: l.type, channels: l.channels, startRow: l.startRow, endRow: l.endRow,
      start: run.test.timestamps[l.startRow], end: run.test.timestamps[l.endRow],
    }));
    put(join(runDir, 'labels.csv'), [LABELS_HEADER, ...lines].join('\n') + '\n');
  }
  put(join(dir, 'plant-set.json'), `${JSON.stringify({ generator: 'vigil simulate synthetic --set plant', options }, null, 2)}\n`);
  if (runs.length > 0) put(join(dir, `${runs[0].id}.svg`), plantRunSvg(runs[0]));
  return files;
}
