/**
 * Writing synthetic data and its ground truth to files: one wide CSV per sensor (`timestamp,<channels>`,
 * optionally a `label` column) and `labels.csv` with one row per injected interval.
 */
import { writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { csvRecords } from '@vigil/runtime/data/csv-records.ts';
import { formatTimestamp } from '@vigil/runtime/data/timestamp.ts';
import type { Series } from '@vigil/runtime/data/series.ts';
import type { SyntheticData } from './generate.ts';
import type { AnomalyLabel } from './anomalies.ts';
import { renderSensorSvg } from './plot.ts';
import { makeDirs } from '@vigil/runtime/util/make-dirs.ts';

/** Header of the ground-truth CSV. */
export const LABELS_HEADER = 'sensor,type,channels,start,end,start_row,end_row';

/** Format a timestamp for files: NAB style when whole seconds, ISO 8601 with milliseconds otherwise. */
export function fileTimestamp(ms: number): string {
  return ms % 1000 === 0 ? formatTimestamp(ms) : new Date(ms).toISOString();
}

/** One ground-truth row (channels joined with `|`); any kind name, so other labelled sets write the same format. */
export function labelLine(l: Omit<AnomalyLabel, 'type'> & { type: string }): string {
  return [l.sensor, l.type, l.channels.join('|'), fileTimestamp(l.start), fileTimestamp(l.end), l.startRow, l.endRow].join(',');
}

/** Write every sensor's CSV plus `labels.csv` and `synthetic.json` (the options) into `dir`; returns the files written. */
export function writeSyntheticCsv(data: SyntheticData, dir: string, opts: { labelColumn?: boolean } = {}): string[] {
  makeDirs(dir);
  const files: string[] = [];
  for (const s of data.sensors) {
    const file = join(dir, `${s.id}.csv`);
    writeFileSync(file, seriesCsv(s.series, opts.labelColumn ? s.rowLabels : undefined));
    files.push(file);
  }
  const labelsFile = join(dir, 'labels.csv');
  writeFileSync(labelsFile, [LABELS_HEADER, ...data.labels.map(labelLine)].join('\n') + '\n');
  const metaFile = join(dir, 'synthetic.json');
  writeFileSync(metaFile, `${JSON.stringify({ generator: 'vigil simulate synthetic', options: data.options }, null, 2)}\n`);
  // A picture of the first sensor, so a person can see what the data and its faults look like.
  const plotFile = join(dir, `${data.sensors[0].id}.svg`);
  writeFileSync(plotFile, renderSensorSvg(data.sensors[0]));
  return [...files, labelsFile, metaFile, plotFile];
}

/** A series as wide CSV text, `timestamp,<channels>`, plus a 0/1 `label` column when `label` is given. */
export function seriesCsv(series: Series, label?: Uint8Array): string {
  const C = series.channels.length;
  const lines: string[] = [['timestamp', ...series.channels, ...(label ? ['label'] : [])].join(',')];
  for (let r = 0; r < series.timestamps.length; r++) {
    const cells = [fileTimestamp(series.timestamps[r])];
    for (let j = 0; j < C; j++) cells.push(roundValue(series.data[r * C + j]));
    if (label) cells.push(String(label[r]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Four significant decimals keep files small while staying far below the noise of every channel. */
export function roundValue(v: number): string {
  return String(Math.round(v * 1e4) / 1e4);
}

/** Parse `labels.csv` back into labels (for scoring detections against ground truth). */
export function parseLabelsCsv(text: string): AnomalyLabel[] {
  const { records, lines } = csvRecords(text, { separator: ',', file: 'labels file' });
  const header = records[0]?.join(',');
  if (header !== LABELS_HEADER) throw new Error(`labels file: expected header '${LABELS_HEADER}'; got '${header ?? ''}'`);
  return records.slice(1).map((f, i) => {
    if (f.length !== 7) throw new Error(`labels file line ${lines[i + 1]}: ${f.length} fields; expected 7 (${LABELS_HEADER})`);
    return {
      sensor: f[0], type: f[1] as AnomalyLabel['type'], channels: f[2] ? f[2].split('|') : [],
      start: Date.parse(f[3].includes('T') ? f[3] : `${f[3].replace(' ', 'T')}Z`),
      end: Date.parse(f[4].includes('T') ? f[4] : `${f[4].replace(' ', 'T')}Z`),
      startRow: Number(f[5]), endRow: Number(f[6]),
    };
  });
}

/** An append-only ground-truth file for live streams: a label is written the moment its interval ends. */
export class LabelWriter {
  private readonly out: WriteStream;
  /** Labels written so far. */
  count = 0;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'w' });
    this.out.write(`${LABELS_HEADER}\n`);
  }

  /** Append one label. */
  write(l: AnomalyLabel): void {
    this.out.write(`${labelLine(l)}\n`);
    this.count++;
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
