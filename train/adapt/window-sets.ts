/**
 * The windows an adaptation works on, all scaled with the serving model's scaler (adaptation changes weights,
 * never the scaler, so the runtime's input side stays as it was):
 * - recent: the new normal data, split in time: the earlier part fine-tunes, the last `holdout` fraction is held
 *   back to check that the error there falls;
 * - original: the model's own training data, split exactly as `vigil train` split it (card `training`): a seeded
 *   sample of its training windows is replayed beside the recent ones so the model does not forget, its
 *   validation windows check that the error there does not rise;
 * - canaries: windows of past alerts that must still be flagged.
 */
import { existsSync } from 'node:fs';
import type { ModelCard, Series } from '@vigil/runtime';
import { applyScaler } from '@vigil/runtime/scaling/scaler.ts';
import { labelColumn, labelFlags, labelMarks } from '@vigil/runtime/data/labels.ts';
import { rowCount, sliceRows } from '@vigil/runtime/data/series.ts';
import { rowsSha256 } from '@vigil/runtime/model/training-data.ts';
import { slidingWindows, type WindowSet } from '@vigil/runtime/window/sliding.ts';
import { defaultStride } from '../defaults.ts';
import type { WindowBatch } from '../fit.ts';
import { Rng } from '@vigil/runtime/util/prng.ts';
import { trainingSeries, unlabelledWindows, type TrainingDataOptions } from '../training-data.ts';

/** Windows plus the timestamp of each one's last row. */
export interface TimedWindows extends WindowBatch {
  /** Epoch ms of each window's last row. */
  ends: Float64Array;
  /** Each window's sensor (reservoir windows; absent: one sensor, as a CSV is). */
  sensors?: string[];
}

/** One canary: the windows ending inside one labelled run (or the whole file when it has no label column). */
export interface CanaryEvent {
  from: number;
  to: number;
  windows: TimedWindows;
}

/** Everything an adaptation reads. */
export interface AdaptWindows {
  recent: { file: string; rows: number; from: number; to: number; fit: TimedWindows; heldOut: TimedWindows };
  original: { file: string; replay: WindowBatch; validation: WindowBatch; trainWindows: number };
  canaries?: { file: string; events: CanaryEvent[] };
}

/** How to cut them. */
export interface WindowSetOptions {
  /** Last fraction of the recent rows held back. */
  holdout: number;
  /** Replayed original windows per recent fine-tuning window. */
  replayRatio: number;
  seed: number;
  read: Omit<TrainingDataOptions, 'channels'>;
}

function take(w: WindowSet, ts: Float64Array, from: number, to: number): TimedWindows {
  const per = w.window * w.channels;
  const ends = new Float64Array(to - from);
  for (let i = from; i < to; i++) ends[i - from] = ts[w.ends[i]];
  return { data: w.data.subarray(from * per, to * per), count: to - from, ends };
}

/** Index of the first window ending at or after `row`. */
function firstEndingAt(w: WindowSet, row: number): number {
  let i = 0;
  while (i < w.count && w.ends[i] < row) i++;
  return i;
}

function read(card: ModelCard, file: string, o: WindowSetOptions['read'], what: string): Series {
  if (!existsSync(file)) throw new Error(`${what} ${file}: file not found; expected a CSV with a timestamp column, then ${card.channels.join(', ')}`);
  const s = trainingSeries(file, { ...o, channels: card.channels });
  if (rowCount(s) < card.window + 1) throw new Error(`${what} ${file}: ${rowCount(s)} rows; model '${card.name}' needs at least ${card.window + 1} (its window + 1)`);
  return s;
}

/** Recent windows, split in time: earlier ones fine-tune, the last `holdout` fraction of rows is held back. */
export function recentWindows(card: ModelCard, file: string, o: WindowSetOptions): AdaptWindows['recent'] {
  const s = read(card, file, o.read, '--data');
  const rows = rowCount(s);
  const w = slidingWindows(applyScaler(card.scaler, s.data), card.channels.length, card.window, defaultStride(rows));
  const split = firstEndingAt(w, Math.round(rows * (1 - o.holdout)));
  if (split < 1 || split >= w.count) {
    throw new Error(`--data ${file}: ${w.count} windows leave none to fine-tune on or none to hold back at --holdout ${o.holdout}; give more rows (at least a few window lengths)`);
  }
  return { file, rows, from: s.timestamps[0], to: s.timestamps[rows - 1], fit: take(w, s.timestamps, 0, split), heldOut: take(w, s.timestamps, split, w.count) };
}

/**
 * The rows of the original training file the card says it was trained on (`card.data`), where the file holds them:
 * `vigil train --rows 400` trained on a file's first 400 rows, and a replay of the whole file took the rest (a later
 * operating point, a fault) for the original training and validation windows, and refused a normal adaptation for
 * what those rows held (a probe). Exactly those rows when the card's hash of them matches; else the file's rows in
 * their time (another export of those hours), said in a note; a file with too few of them (another period) whole.
 */
function trainedRows(card: ModelCard, s: Series, file: string, onNote?: (note: string) => void): Series {
  const d = card.data;
  if (!d) return s;
  const from = Date.parse(d.from);
  const to = Date.parse(d.to);
  // The card's times are whole milliseconds; a file's may carry fractions (epoch seconds with microseconds).
  const t = s.timestamps;
  let a = 0;
  while (a < t.length && Math.trunc(t[a]) < from) a++;
  if (a + d.rows <= t.length) {
    const exact = sliceRows(s, a, a + d.rows);
    if (rowsSha256(exact) === d.sha256) return exact;
  }
  let b = a;
  while (b < t.length && Math.trunc(t[b]) <= to) b++;
  const span = `${d.from} .. ${d.to}`;
  if (b - a < card.window + 1) {
    onNote?.(`--replay ${file}: ${b - a === 0 ? 'none' : `only ${b - a}`} of its rows in the time the model was trained on (${span}); replaying all ${t.length} (pass the training file as --replay to replay what it learnt)`);
    return s;
  }
  onNote?.(`--replay ${file}: its ${b - a} rows in the time the model was trained on (${span}) are not the ${d.rows} it was trained on (another export, or other values); replaying them`);
  return sliceRows(s, a, b);
}

/**
 * The original training data, split as `vigil train` split it (its rows, `trainedRows`; chronological,
 * `training.validationSplit`, windows at `card.stride`); `count` of its training windows drawn without replacement, seeded.
 */
export function originalWindows(card: ModelCard, file: string, count: number, o: WindowSetOptions): AdaptWindows['original'] {
  const s = trainedRows(card, read(card, file, o.read, '--replay'), file, o.read.onNote);
  const rows = rowCount(s);
  // Without the windows touching labelled rows, as vigil train left them out (a fault is never replayed as normal).
  const w = unlabelledWindows(slidingWindows(applyScaler(card.scaler, s.data), card.channels.length, card.window, card.stride), s, labelFlags(s), `--replay ${file}`, o.read.onNote);
  const vs = typeof card.training.validationSplit === 'number' ? card.training.validationSplit : 0;
  const nTrain = vs > 0 ? firstEndingAt(w, Math.round(rows * (1 - vs))) : w.count;
  const per = card.window * card.channels.length;
  const n = Math.min(count, nTrain);
  const order = new Rng(o.seed ^ 0x7e91a).permutation(nTrain);
  const pick = Array.from(order.subarray(0, n)).sort((a, b) => a - b);
  const replay = new Float32Array(n * per);
  pick.forEach((k, i) => replay.set(w.data.subarray(k * per, (k + 1) * per), i * per));
  // Without validation windows in the original split, its training windows stand in (they were fitted: a weaker check).
  const validation = nTrain < w.count ? { data: w.data.subarray(nTrain * per), count: w.count - nTrain } : { data: w.data, count: w.count };
  return { file, replay: { data: replay, count: n }, validation, trainWindows: nTrain };
}

/**
 * Canary windows: with a label column (`label`, `anomaly`, ...; which cells mark a row: runtime/data/labels.ts), each
 * run of labelled rows is one canary, its windows those ending inside the run; without one, the whole file is
 * one canary (the rows of one past alert).
 */
export function canaryWindows(card: ModelCard, file: string, o: WindowSetOptions): NonNullable<AdaptWindows['canaries']> {
  const s = read(card, file, o.read, '--canaries');
  const rows = rowCount(s);
  const w = slidingWindows(applyScaler(card.scaler, s.data), card.channels.length, card.window, 1);
  const label = labelColumn(s);
  const whole = (): CanaryEvent => ({ from: s.timestamps[card.window - 1], to: s.timestamps[rows - 1], windows: take(w, s.timestamps, 0, w.count) });
  if (!label) return { file, events: [whole()] };
  const on = (r: number) => labelMarks(label.cells[r]);
  const events: CanaryEvent[] = [];
  let i = 0;
  while (i < w.count) {
    if (!on(w.ends[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < w.count && on(w.ends[j]) && (j === i || w.ends[j] === w.ends[j - 1] + 1)) j++;
    events.push({ from: s.timestamps[w.ends[i]], to: s.timestamps[w.ends[j - 1]], windows: take(w, s.timestamps, i, j) });
    i = j;
  }
  if (events.length === 0) throw new Error(`--canaries ${file}: its '${label.name}' column labels no row after the first ${card.window - 1} (a window needs ${card.window} rows); label the alert rows, or drop the column to use the whole file`);
  return { file, events };
}

/** Concatenate window batches (N x W x C each) into one. */
export function concatWindows(parts: WindowBatch[], per: number): WindowBatch {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const data = new Float32Array(count * per);
  let at = 0;
  for (const p of parts) {
    data.set(p.data.subarray(0, p.count * per), at * per);
    at += p.count;
  }
  return { data, count };
}
