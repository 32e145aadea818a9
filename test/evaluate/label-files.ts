/** Files and times the labelled-evaluation tests build their cases from: rows 1 s apart from T0. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const T0 = Date.UTC(2024, 0, 1);

/** Row i's timestamp as a CSV cell. */
export const ts = (i: number): string => new Date(T0 + i * 1000).toISOString().replace('T', ' ').slice(0, 19);

/** A file of `text` in a fresh temp folder. */
export function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'labels-'));
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
