/**
 * Row order of a CSV read (runtime/data/csv.ts `order`): `strict` fails naming the first row earlier than the one
 * before or repeating an earlier timestamp, `sort` sorts rows stably; either names a clock that goes back about an
 * hour once, as local time across a daylight-saving change does.
 */
import { CsvError } from './csv-records.ts';
import type { Series } from './series.ts';

/** Local time across a daylight-saving change: the clock goes back by about an hour, once. */
const DST_BACK_MS = { min: 50 * 60_000, max: 61 * 60_000 };

/**
 * Check (or establish) time order. Rows earlier than the row before and rows repeating an earlier timestamp
 * are counted; `strict` fails naming the first, `sort` sorts rows stably (repeats stay, after the first).
 */
export function orderRows(s: Series, lineNos: number[], order: 'strict' | 'sort', file: string, onNote?: (note: string) => void): Series {
  const t = s.timestamps;
  const seen = new Set<number>();
  let backwards = 0;
  let repeats = 0;
  let first = -1;
  for (let r = 0; r < t.length; r++) {
    const repeat = seen.has(t[r]);
    if (repeat) repeats++;
    else if (r > 0 && t[r] < t[r - 1]) backwards++;
    if ((repeat || (r > 0 && t[r] < t[r - 1])) && first < 0) first = r;
    seen.add(t[r]);
  }
  if (first < 0) return s;
  const raw = s.rawTimestamps!;
  const counts = `${backwards} row(s) earlier than the row before, ${repeats} repeating an earlier timestamp`;
  const hourBack = [...t.keys()].filter((r) => r > 0 && t[r - 1] - t[r] >= DST_BACK_MS.min && t[r - 1] - t[r] <= DST_BACK_MS.max);
  // Once back by about an hour: local time across a daylight-saving change, whose repeated hour sorting splices
  // together (NAB's machine temperature repeats an hour too, on 2014-01-07, and is sorted as before: a note says it).
  const dst = hourBack.length === 1
    ? `; line ${lineNos[hourBack[0]]} ('${raw[hourBack[0]]}') goes back about an hour from '${raw[hourBack[0] - 1]}': local time across a daylight-saving change? ` +
      'Export UTC or timestamps with their offset (2024-10-27T02:30:00+01:00)'
    : '';
  if (order === 'strict') {
    const prev = lineNos.findIndex((_, r) => t[r] === t[first]);
    const what = prev < first
      ? `repeats the timestamp of line ${lineNos[prev]}`
      : `is earlier than line ${lineNos[first - 1]}'s '${raw[first - 1]}'`;
    throw new CsvError(
      `${file}:${lineNos[first]}: timestamp '${raw[first]}' ${what}; rows must be in increasing time order (${counts}; pass --sort to sort them${dst ? ', which would splice the repeated hour together' : ''})${dst}`,
      file, lineNos[first], undefined,
    );
  }
  if (repeats * 2 > t.length) {
    // Sorting keeps a repeated timestamp's first row only: most of the file would go.
    throw new CsvError(
      `${file}:${lineNos[first]}: ${repeats} of ${t.length} rows repeat an earlier timestamp ('${raw[first]}' first); expected one row per time: ` +
        'a date without its time (date and time in two columns?) or rows of several machines in one file',
      file, lineNos[first], undefined,
    );
  }
  const idx = Array.from(t.keys()).sort((a, b) => t[a] - t[b]);
  const C = s.channels.length;
  const data = new Float32Array(s.data.length);
  idx.forEach((from, to) => data.set(s.data.subarray(from * C, (from + 1) * C), to * C));
  onNote?.(`${file}: rows sorted into time order (${counts}, first at line ${lineNos[first]})${dst}`);
  return {
    timestamps: Float64Array.from(idx, (r) => t[r]),
    channels: s.channels,
    data,
    rawTimestamps: idx.map((r) => raw[r]),
    extra: s.extra && Object.fromEntries(Object.entries(s.extra).map(([k, v]) => [k, idx.map((r) => v[r])])),
    ...(s.filledRows && { filledRows: Uint8Array.from(idx, (r) => s.filledRows![r]) }),
    ...(s.filledChannels && { filledChannels: idx.map((r) => s.filledChannels![r]) }),
  };
}
