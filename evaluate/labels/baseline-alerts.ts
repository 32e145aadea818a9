/**
 * Baseline verdicts for `vigil evaluate labels --baselines`: fit the classical baselines on a training CSV (normal
 * operation), score the data CSV that produced the scores, and line their verdicts up with the scored rows by
 * timestamp, so vigil and the baselines are judged on the same rows and labels.
 */
import { readCsv, type FillPolicy } from '@vigil/runtime/data/csv.ts';
import { fitBaselines, runBaselines } from '../baselines/index.ts';

/** One baseline's verdict on the scored rows. */
export interface BaselineAlerts {
  name: string;
  description: string;
  alert: Uint8Array;
}

/** Fit on `trainCsv`, score `dataCsv`, and return one verdict per timestamp of `timestamps`. */
export function baselineAlerts(trainCsv: string, dataCsv: string, timestamps: Float64Array, read: { fill?: FillPolicy; ignore?: string[] } = {}): BaselineAlerts[] {
  const fill = read.fill ?? 'error';
  const train = readCsv(trainCsv, { fill, ...(read.ignore ? { ignore: read.ignore } : {}) });
  const data = readCsv(dataCsv, { fill, channels: train.channels, ...(read.ignore ? { ignore: read.ignore } : {}) });
  const rowOf = new Map<number, number>();
  data.timestamps.forEach((t, r) => rowOf.set(t, r));
  const rows = Int32Array.from(timestamps, (t) => {
    const r = rowOf.get(t);
    if (r === undefined) throw new Error(`${dataCsv}: no row at ${new Date(t).toISOString()}, which the scores file has; --data must be the file that was scored`);
    return r;
  });
  const fitted = fitBaselines({ data: train.data, channels: train.channels.length });
  return runBaselines(fitted, { data: data.data, channels: data.channels.length }).map((b) => ({
    name: b.name,
    description: b.description,
    alert: Uint8Array.from(rows, (r) => b.alert[r]),
  }));
}
