/**
 * What a model card says about the rows it was trained on (`card.data`): a SHA-256 of exactly those rows after
 * column selection (and fill, sort, dedupe), their time range and sampling interval. With it, "was this model
 * trained on this file?" has an answer (`trainingDataOf(readCsv(file, { channels: card.channels })).sha256`), and
 * a live feed sampled at another rate than training shows up by comparison with `intervalMs`. The schema lives in
 * card.ts (which the browser page bundles); this file needs node:crypto.
 */
import { createHash } from 'node:crypto';
import type { Series } from '../data/series.ts';
import type { TrainingData } from './card.ts';
import { medianStepMs } from '../data/sampling.ts';

export { medianStepMs };

/** How `sha256` is computed, written into the card so it can be reproduced without this code. */
export const TRAINING_DATA_HASH =
  'sha256 over the rows in order; each row: epoch-ms timestamp as float64 little-endian, then every card channel in card order as float32 little-endian';

const ROWS_PER_CHUNK = 4096;

/** SHA-256 of a series' rows (`TRAINING_DATA_HASH`); byte order fixed, so any machine gets the same digest. */
export function rowsSha256(s: Series): string {
  const C = s.channels.length;
  const n = s.timestamps.length;
  const rowBytes = 8 + 4 * C;
  const hash = createHash('sha256');
  const buf = new ArrayBuffer(rowBytes * Math.min(n, ROWS_PER_CHUNK));
  const view = new DataView(buf);
  for (let r0 = 0; r0 < n; r0 += ROWS_PER_CHUNK) {
    const r1 = Math.min(n, r0 + ROWS_PER_CHUNK);
    let o = 0;
    for (let r = r0; r < r1; r++) {
      view.setFloat64(o, s.timestamps[r], true);
      o += 8;
      for (let c = 0; c < C; c++, o += 4) view.setFloat32(o, s.data[r * C + c], true);
    }
    hash.update(new Uint8Array(buf, 0, o));
  }
  return hash.digest('hex');
}

const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '' : new Date(ms).toISOString());

/** The card's record of a training series. */
export function trainingDataOf(s: Series): TrainingData {
  const n = s.timestamps.length;
  return { sha256: rowsSha256(s), hash: TRAINING_DATA_HASH, rows: n, from: iso(s.timestamps[0]), to: iso(s.timestamps[n - 1]), intervalMs: medianStepMs(s.timestamps) };
}
