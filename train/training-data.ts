/**
 * The training series, chosen by the same rule as every command (runtime/data/csv.ts): label columns set
 * aside unless named in --channels, --ignore columns dropped, cells finite float32 numbers, rows in increasing
 * time order (or sorted with --sort, a repeated timestamp's later rows dropped as the live window stage would).
 */
import { gapsNote, timestampGaps } from '@vigil/runtime/data/sampling.ts';
import { readCsv, type FillPolicy, type Series } from '@vigil/runtime';
import { dropRepeatedTimestamps, selectChannels, sliceRows } from '@vigil/runtime/data/series.ts';
import { float32RangeText, isFloat32 } from '@vigil/runtime/data/float32.ts';
import { outOfRange, outOfRangeText, type Ranges } from '@vigil/runtime/model/ranges.ts';
import { handleOutliers, type OutlierPolicy } from './outliers.ts';
import { labelColumn, UNMARKED } from '@vigil/runtime/data/labels.ts';
import type { WindowSet } from '@vigil/runtime/window/sliding.ts';

/** How to read it. */
export interface TrainingDataOptions {
  fill: FillPolicy;
  channels?: string[];
  ignore?: string[];
  /** Sort rows by time instead of failing on the first out of order. */
  sort?: boolean;
  /** Only these data rows, [from, to) counted from 0 (after sorting): `--rows`. */
  rows?: { from: number; to: number };
  /** Physical ranges (`--range`): a row with a channel outside is an error naming its line (row) and channel. */
  ranges?: Ranges;
  /** Gross outliers (train/outliers.ts): refused (default), forward-filled, or kept. */
  outliers?: OutlierPolicy;
  /** Told what was set aside, filled, sorted or dropped. */
  onNote?: (note: string) => void;
}

/** A training channel with more than this share of its cells filled (--fill) is refused: no signal to learn. */
const MAX_FILLED_SHARE = 0.5;

/** Read a CSV (or check a given series) for training. */
export function trainingSeries(data: string | Series, o: TrainingDataOptions): Series {
  if (typeof data !== 'string') {
    const s = o.channels ? selectChannels(data, o.channels) : data;
    const C = s.channels.length;
    for (let i = 0; i < s.data.length; i++) {
      if (!isFloat32(s.data[i])) {
        throw new Error(`training series: row ${Math.floor(i / C)} channel '${s.channels[i % C]}' is ${s.data[i]}; expected a finite number (not ${float32RangeText()})`);
      }
    }
    if (o.ranges) checkSeriesRanges(s, o.ranges);
    return handleOutliers(s, o.outliers ?? 'error', 'training series', o.onNote);
  }
  const read = readCsv(data, { fill: o.fill, channels: o.channels, ignore: o.ignore, order: o.sort ? 'sort' : 'strict', ranges: o.ranges, rangeSource: 'option', outOfRange: 'error', onNote: o.onNote, maxFilledShare: MAX_FILLED_SHARE, ignorable: true });
  let series = read;
  if (o.sort) {
    const { series: unique, dropped } = dropRepeatedTimestamps(read);
    if (dropped) o.onNote?.(`${data}: ${dropped} row(s) repeating an earlier timestamp dropped (the first row of each timestamp is kept, as vigil run and vigil score do)`);
    series = unique;
  }
  if (o.rows) series = someRows(series, o.rows, data, o.onNote);
  series = handleOutliers(series, o.outliers ?? 'error', data, o.onNote);
  const gaps = timestampGaps(series.timestamps);
  if (gaps) o.onNote?.(gapsNote(data, gaps, 'training windows span them as if the rows were consecutive (split the file at long gaps, or fill them, if that is not how the machine runs)'));
  return series;
}

/** `--rows`: the data rows [from, to) of a file's series, said in a note with their time range. */
function someRows(s: Series, rows: { from: number; to: number }, file: string, onNote?: (note: string) => void): Series {
  const n = s.timestamps.length;
  if (rows.from >= n) throw new Error(`--rows ${rows.from}:${rows.to}: ${file} has ${n} data rows; expected FROM below ${n}`);
  const to = Math.min(rows.to, n);
  const iso = (t: number) => new Date(t).toISOString();
  // The row after them is where a judgement of the rest begins (`vigil evaluate labels --from`): said outright, so
  // nobody has to add one interval to the last training time (a probe).
  const after = to < n ? `; the rows after them start at ${iso(s.timestamps[to])} (vigil evaluate labels --from '${iso(s.timestamps[to])}')` : '';
  onNote?.(`${file}: training on data rows ${rows.from} to ${to - 1} of ${n} (${iso(s.timestamps[rows.from])} .. ${iso(s.timestamps[to - 1])})${to < rows.to ? `; the file ends before row ${rows.to}` : after}`);
  return sliceRows(s, rows.from, to);
}

/** Parse `--rows`: `N` (the first N data rows) or `FROM:TO` (TO not included), whole numbers, FROM < TO. */
export function parseRows(text: string): { from: number; to: number } {
  const m = /^\s*(?:(\d+)\s*:\s*)?(\d+)\s*$/.exec(text);
  const from = m ? Number(m[1] ?? 0) : Number.NaN;
  const to = m ? Number(m[2]) : Number.NaN;
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from < to)) throw new Error(`--rows: expected N (the first N data rows) or FROM:TO with FROM < TO (rows counted from 0, TO not included), e.g. 400 or 100:500; got '${text}'`);
  return { from, to };
}

/** A given series' rows must lie in the ranges: the first row outside is an error naming the row and channel. */
function checkSeriesRanges(s: Series, ranges: Ranges): void {
  const C = s.channels.length;
  const values: Record<string, number> = {};
  for (let r = 0; r < s.timestamps.length; r++) {
    for (let c = 0; c < C; c++) values[s.channels[c]] = s.data[r * C + c];
    const o = outOfRange(values, ranges);
    if (o) throw new Error(`training series: row ${r}: ${outOfRangeText(o, 'option')}; rows outside a physical range are not normal operation (remove them, or widen the range)`);
  }
}

/**
 * One line per channel whose scale was floored because it was constant in training. `data` (rows x C, as the scaler
 * saw it) tells a channel that never moved from one whose moves are too small for float32 at its magnitude (a meter
 * counting on from 1e8 moves in steps of 8 there): that one needs its offset taken off before vigil, not more data.
 */
export function constantChannelNotes(channels: string[], floored: number[] | undefined, scale: number[], offset: number[], data?: Float32Array): string[] {
  const C = channels.length;
  return (floored ?? []).map((c) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = c; data && i < data.length; i += C) {
      lo = Math.min(lo, data[i]);
      hi = Math.max(hi, data[i]);
    }
    const ignore = channels[c].includes(',') ? `--ignore (not by this name: --ignore splits at commas; rename the column)` : `--ignore ${shellWord(channels[c])}`;
    if (hi > lo && Math.abs(offset[c]) <= 1) {
      // Floored against 1, not its size: a channel in large units (amperes for a leak of 2e-7 A), not an offset (a review).
      return `channel '${channels[c]}' moves by ${(hi - lo).toPrecision(3)} around ${offset[c].toPrecision(6)}, under a millionth of one unit: it counts as constant, its scale floored at ${scale[c].toPrecision(4)} (see the card's scaler.method), and its moves are not seen; ` +
        `send it in smaller units (uA for A, ppm) for them to count, or leave it out with ${ignore}`;
    }
    if (hi > lo) {
      const step = 2 ** (Math.floor(Math.log2(Math.abs(offset[c]))) - 23);
      return `channel '${channels[c]}' moves by ${(hi - lo).toPrecision(3)} around ${offset[c].toPrecision(6)}, under a millionth of its size, where float32 (the models' numbers) holds it in steps of ${step.toPrecision(3)}: it counts as constant, its scale floored at ${scale[c].toPrecision(4)} (see the card's scaler.method), and its moves are not seen; ` +
        `send it with its offset taken off (or as its change per reading) for them to count, or leave it out with ${ignore}`;
    }
    return `channel '${channels[c]}' is constant in the training data (${offset[c].toPrecision(6)}): its scale is floored at ${scale[c].toPrecision(4)} (see the card's scaler.method) ` +
      `so a small change later does not swamp the other channels; train on data where it moves, or leave it out with ${ignore}`;
  });
}

/** A name as one shell word, quoted when it holds anything a shell would split or expand ("Volume Flow RateRMS"). */
export function shellWord(name: string): string {
  return /^[\w.,:@%+=/-]+$/.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`;
}

/** The series' values (rows x C) without the rows `flags` marks: all of them when it marks none (or every one). */
export function unlabelledRows(series: Series, flags: Uint8Array | undefined): Float32Array {
  if (!flags || !flags.includes(1) || !flags.includes(0)) return series.data;
  const C = series.channels.length;
  const out = new Float32Array((flags.length - flags.reduce((n, f) => n + f, 0)) * C);
  for (let r = 0, k = 0; r < flags.length; r++) if (!flags[r]) out.set(series.data.subarray(r * C, (r + 1) * C), C * k++);
  return out;
}

/**
 * The windows touching no row `flags` marks (the series' label column: `labelFlags`): a fault someone labelled is
 * left out of training, said in a note, since a model learns whatever it is trained on as normal (a probe: 1,160
 * labelled rows trained on with only "label column set aside" said). All of them when nothing is marked.
 */
export function unlabelledWindows(all: WindowSet, series: Series, flags: Uint8Array | undefined, source: string, onNote?: (note: string) => void): WindowSet {
  const first = flags ? flags.indexOf(1) : -1;
  if (!flags || first < 0) return all;
  // Marked rows up to each row, so a window's rows [end - W + 1, end] are tested at once.
  const upTo = new Int32Array(flags.length + 1);
  for (let r = 0; r < flags.length; r++) upTo[r + 1] = upTo[r] + flags[r];
  const per = all.window * all.channels;
  const keep: number[] = [];
  for (let i = 0; i < all.count; i++) {
    const end = all.ends[i];
    if (upTo[end + 1] - upTo[Math.max(0, end - all.window + 1)] === 0) keep.push(i);
  }
  const { name, cells } = labelColumn(series)!;
  const marked = upTo[flags.length];
  if (keep.length === 0) {
    throw new Error(`${source}: every training window touches a row marked in column '${name}' (${marked} of ${flags.length} rows, first '${cells[first]}' at ${new Date(series.timestamps[first]).toISOString()}); expected normal rows to train on (a model learns what it is trained on as normal; a label cell marks nothing when it is 0, empty or one of ${[...UNMARKED].filter(Boolean).join(', ')})`);
  }
  onNote?.(`${source}: ${marked} row(s) marked anomalous in column '${name}' (first at ${new Date(series.timestamps[first]).toISOString()}): the ${all.count - keep.length} window(s) touching them are left out of training (a model learns what it is trained on as normal)`);
  const data = new Float32Array(keep.length * per);
  keep.forEach((i, k) => data.set(all.data.subarray(i * per, (i + 1) * per), k * per));
  return { ...all, data, count: keep.length, ends: Int32Array.from(keep, (i) => all.ends[i]) };
}
