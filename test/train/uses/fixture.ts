/**
 * A small seeded data set and real trained models for the autoencoder-use tests: three smooth channels
 * (sines sharing one slow phase, so they are strongly related) with light noise, and a labelled fault
 * (a level shift on one channel) near the end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Series } from '@vigil/runtime';
import { mulberry32 as rng } from '../../../runtime/util/prng.ts';
import { trainModel, type TrainOptions } from '../../../train/index.ts';


/** Rows of the clean signal, the noise added to it, and where the fault is. */
export interface Fixture {
  dir: string;
  /** Noisy data with the fault, as written to `csv` (label column included). */
  series: Series;
  /** The same rows without noise and without the fault. */
  clean: Float32Array;
  label: Uint8Array;
  csv: string;
  trainCsv: string;
  fault: { start: number; end: number };
}

/** Build the data set: `rows` rows, fault in [start, end]; the first `trainRows` rows are fault-free. */
export function makeFixture(rows = 900, trainRows = 600, noise = 0.15, seed = 7): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ae-uses-'));
  const r = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const C = 3;
  const clean = new Float32Array(rows * C);
  const data = new Float32Array(rows * C);
  const label = new Uint8Array(rows);
  const fault = { start: Math.round(trainRows + (rows - trainRows) * 0.4), end: Math.round(trainRows + (rows - trainRows) * 0.6) };
  for (let t = 0; t < rows; t++) {
    const ph = (2 * Math.PI * t) / 40;
    const v = [Math.sin(ph), 0.8 * Math.sin(ph + 1), 0.5 + 0.6 * Math.cos(ph)];
    for (let c = 0; c < C; c++) {
      clean[t * C + c] = v[c];
      data[t * C + c] = v[c] + noise * gauss();
    }
    if (t >= fault.start && t <= fault.end) {
      data[t * C + 1] += 1.5;
      label[t] = 1;
    }
  }
  const timestamps = Float64Array.from({ length: rows }, (_, t) => Date.UTC(2024, 0, 1) + t * 1000);
  const series: Series = { timestamps, channels: ['a', 'b', 'c'], data };
  const line = (t: number, withLabel: boolean): string =>
    [new Date(timestamps[t]).toISOString(), ...Array.from(data.subarray(t * C, (t + 1) * C), (x) => x.toFixed(6)), ...(withLabel ? [label[t]] : [])].join(',');
  const csv = join(dir, 'data.csv');
  writeFileSync(csv, `timestamp,a,b,c,label\n${Array.from({ length: rows }, (_, t) => line(t, true)).join('\n')}\n`);
  const trainCsv = join(dir, 'train.csv');
  writeFileSync(trainCsv, `timestamp,a,b,c\n${Array.from({ length: trainRows }, (_, t) => line(t, false)).join('\n')}\n`);
  return { dir, series, clean, label, csv, trainCsv, fault };
}

/** Train a small model on the fixture's training file; returns its path (DIR/NAME). */
export async function trainSmall(f: Fixture, name: string, o: Partial<TrainOptions> = {}): Promise<string> {
  const out = join(f.dir, name);
  const r = await trainModel({ data: f.trainCsv, out, window: 16, epochs: 60, patience: 8, seed: 3, ...o });
  r.model.dispose();
  return out;
}
