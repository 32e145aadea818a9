/** Streamed CSV writing for the autoencoder-use commands (large files without building one big string). */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Short text for a number: integers as is, others with 7 significant digits. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return '';
  return x === 0 ? '0' : Number.isInteger(x) ? String(x) : x.toPrecision(7).replace(/\.?0+(e|$)/, '$1');
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
