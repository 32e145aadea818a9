/** Write a Series as the CSV `vigil train` and `vigil score` read: `timestamp,<channels...>`, ISO 8601 timestamps. */
import type { Series } from '@vigil/runtime';
import { timestampText, writeCsvLines } from '../../train/uses/write-csv.ts';

/** Write `s` to `path`; values keep the float32 they hold, so reading the file back gives the same numbers. */
export async function writeSeriesCsv(path: string, s: Series): Promise<void> {
  const C = s.channels.length;
  await writeCsvLines(path, ['timestamp', ...s.channels], s.timestamps.length, (r) => {
    const cells = [timestampText(undefined, s.timestamps, r)];
    for (let c = 0; c < C; c++) cells.push(String(s.data[r * C + c]));
    return cells.join(',');
  });
}
