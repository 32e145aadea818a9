/** Streamed CSV writing for the autoencoder-use commands (large files without building one big string). */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatNumber } from '@vigil/runtime/util/format-number.ts';

/** A CSV cell for a number (`formatNumber`: 7 significant digits, integers as is); empty when not finite. */
export function numberCell(x: number): string {
  return Number.isFinite(x) ? formatNumber(x) : '';
}

/** Quote a cell when it holds a separator, quote or newline. */
export function cell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Write `header` then `rows` lines produced by `line(i)`. */
export async function writeCsvLines(path: string, header: string[], rows: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header.map(cell).join(',')}\n`);
  for (let i = 0; i < rows; i++) if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** The timestamp text of a row as it was read (or ISO 8601). */
export function timestampText(rawTimestamps: string[] | undefined, timestamps: Float64Array, r: number): string {
  return cell(rawTimestamps ? rawTimestamps[r] : new Date(timestamps[r]).toISOString());
}

/** Write a Series as the CSV `vigil train` and `vigil score` read: `timestamp,<channels...>`, ISO 8601 timestamps; values keep the float32 they hold, so reading the file back gives the same numbers. */
export async function writeSeriesCsv(path: string, s: import('@vigil/runtime').Series): Promise<void> {
  const C = s.channels.length;
  await writeCsvLines(path, ['timestamp', ...s.channels], s.timestamps.length, (r) => {
    const cells = [timestampText(undefined, s.timestamps, r)];
    for (let c = 0; c < C; c++) cells.push(String(s.data[r * C + c]));
    return cells.join(',');
  });
}
