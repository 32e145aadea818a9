/** NAME.setaside.csv: the windows a robust fit (train/robust.ts) set aside, one line each, in time order. */
import type { Series } from '@vigil/runtime';
import { numberCell, timestampText } from './uses/write-csv.ts';

/** Header of NAME.setaside.csv. */
export const SETASIDE_HEADER = 'timestamp,error,set';

/**
 * One line per set-aside window: the timestamp of its last row (as read), its reconstruction error (mean squared,
 * scaled units, the quantity ranked), and the set it came from (training or validation).
 */
export function setAsideCsv(series: Series, ends: Int32Array, errors: Float32Array, mask: Uint8Array, nTrain: number): string {
  const lines = [SETASIDE_HEADER];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) lines.push(`${timestampText(series.rawTimestamps, series.timestamps, ends[i])},${numberCell(errors[i])},${i < nTrain ? 'training' : 'validation'}`);
  }
  return `${lines.join('\n')}\n`;
}
