/**
 * Tennessee Eastman (Braatz data, ../shared/datasets/tep): train on d00.dat (stored transposed, 52 x 500), test
 * on d00_te.dat and dNN_te.dat (960 x 52, fault NN introduced after sample 160), samples 180 s apart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Series } from '@vigil/runtime';
import type { LabelledRun, LabelledSet } from './labelled-run.ts';

/** Default location of the data, beside the repository. */
export const TEP_ROOT = resolve(import.meta.dirname, '../../../shared/datasets/tep');
/** Seconds between samples. */
export const TEP_STEP_S = 180;
/** Rows before the fault in each test run. */
export const TEP_FAULT_ROW = 160;
/** Faults left out of the average detection rate (nearly invisible in the data). */
export const TEP_UNOBSERVABLE = [3, 9, 15];
/** Faults of a quick run: steps, random variation, drift, sticking valve, unknown, valve fixed. */
export const TEP_QUICK_FAULTS = [1, 2, 5, 7, 10, 11, 13, 14, 17, 21];
const ALL_FAULTS = Array.from({ length: 21 }, (_, i) => i + 1);
const T0 = Date.UTC(2000, 0, 1);

/** Channel names: XMEAS(1..41), then XMV(1..11). */
export const TEP_CHANNELS = [
  ...Array.from({ length: 41 }, (_, i) => `xmeas_${String(i + 1).padStart(2, '0')}`),
  ...Array.from({ length: 11 }, (_, i) => `xmv_${String(i + 1).padStart(2, '0')}`),
];

function readMatrix(file: string): number[][] {
  if (!existsSync(file)) throw new Error(`${file}: not found; expected the Braatz TEP files (see ../shared/datasets/tep/README.md)`);
  return readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).map(Number));
}

function toSeries(rows: number[][], file: string): Series {
  const C = TEP_CHANNELS.length;
  const data = new Float32Array(rows.length * C);
  rows.forEach((r, i) => {
    if (r.length !== C || r.some((v) => !Number.isFinite(v))) throw new Error(`${file}: row ${i + 1} has ${r.length} numbers; expected ${C}`);
    data.set(r, i * C);
  });
  return { timestamps: Float64Array.from(rows, (_, i) => T0 + i * TEP_STEP_S * 1000), channels: TEP_CHANNELS, data };
}

/** d00.dat, transposed to 500 rows x 52 channels. */
export function tepTrain(root = TEP_ROOT): Series {
  const file = join(root, 'd00.dat');
  const m = readMatrix(file);
  const rows = m[0].length === TEP_CHANNELS.length ? m : m[0].map((_, j) => m.map((r) => r[j]));
  return toSeries(rows, file);
}

/**
 * Every training file end to end, d00 (normal) then d01-d21 (each fault from its 21st sample): 10,580 rows x 52.
 * Not normal data: for timing `vigil train` at the size issue 18 names, not for detection.
 */
export function tepAllTraining(root = TEP_ROOT): Series {
  const all: number[][] = [];
  for (let f = 0; f <= 21; f++) {
    const file = join(root, `d${String(f).padStart(2, '0')}.dat`);
    const m = readMatrix(file);
    all.push(...(m[0].length === TEP_CHANNELS.length ? m : m[0].map((_, j) => m.map((r) => r[j]))));
  }
  return toSeries(all, join(root, 'd00-d21.dat'));
}

/** The test runs: d00_te (normal) and the given faults. */
export function tepSet(opts: { root?: string; faults?: number[] } = {}): LabelledSet {
  const root = opts.root ?? TEP_ROOT;
  const train = tepTrain(root);
  const faults = opts.faults ?? ALL_FAULTS;
  const runs: LabelledRun[] = ['00', ...faults.map((f) => String(f).padStart(2, '0'))].map((nn) => {
    const file = join(root, `d${nn}_te.dat`);
    const test = toSeries(readMatrix(file), file);
    const rows = test.timestamps.length;
    return {
      id: `d${nn}_te`, trainKey: 'd00', train, test, judgeFrom: 0,
      events: nn === '00' ? [] : [{ startRow: TEP_FAULT_ROW, endRow: rows - 1, type: `fault ${Number(nn)}` }],
    };
  });
  return {
    name: 'tep',
    title: 'Tennessee Eastman (Braatz), trained on d00.dat',
    runs,
    notes: [
      `${runs.length} test runs of 960 samples (${faults.length} faults + d00_te), 52 channels, 180 s apart; fault after sample ${TEP_FAULT_ROW}.`,
      `Average detection rate leaves out faults ${TEP_UNOBSERVABLE.join(', ')}; FAR = flagged share of d00_te and the first ${TEP_FAULT_ROW} rows of every run.`,
    ],
  };
}

/** Fault number of a TEP run id ('d07_te' -> 7; 0 for the normal run). */
export function tepFault(id: string): number {
  return Number(/^d(\d+)_te$/.exec(id)?.[1] ?? NaN);
}
