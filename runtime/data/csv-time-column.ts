/**
 * The time column of a CSV: the first, whatever it is called. Said at the header when a later column is named as the
 * time (the data would otherwise fail as a channel that "is not a number"), and after the rows when the first column's
 * numbers are no timestamps: a pandas row index, spreadsheet serial dates, or channel values read as 1970.
 */
import { CsvError } from './csv-records.ts';

/** A header that names a time: the first column's, read as the timestamp whatever it is called. */
const TIME_LIKE = /time|date|^\s*ts\b|^\s*t\b|sec|elapsed|^\s*ms\b|epoch|utc|zeit|datum|fecha|tiempo|tempo|horodat|\btid\b|czas/i;
/** A header that can only be the time column (a channel may well be called `runtime` or `uptime`). */
const TIME_COLUMN = /^\s*(timestamp|time|date|datetime|date_time|date time|ts|time_utc|utc|zeitstempel|datum|zeit)\s*(\[[^\]]*\]|\([^)]*\))?\s*$/i;

/**
 * The time must be the first column. A later column named like one (`flow,...,timestamp`, or a pandas row index
 * before it) otherwise fails as a channel that "is not a number", with a hint to --ignore it, and following the
 * hint trained on the first channel read as 1970 epoch seconds (a probe).
 */
export function checkTimeFirst(names: string[], file: string, headerLine: number): void {
  if (TIME_LIKE.test(names[0]) && names[0].trim() !== '') return;
  const k = names.findIndex((n, i) => i > 0 && TIME_COLUMN.test(n));
  if (k < 0) return;
  const first = names[0].trim() === '' ? 'has no name (a row index: pandas writes one unless to_csv(index=False))' : `is '${names[0]}'`;
  throw new CsvError(`${file}:${headerLine}: column ${k + 1} '${names[k]}' looks like the time column, but the first column ${first}; expected the timestamp as the first column: export it first (or without the index)`, file, headerLine, names[k]);
}

/** Spreadsheet serial dates count days from 1899-12-30; read as epoch seconds they fall on 1970-01-01. */
const SERIAL_DAYS = { min: 20000, max: 80000 };
/** 2000-01-01T00:00:00Z: a first column not named as a time, all before it, is no timestamp (`checkTimeColumn`). */
const NOT_BEFORE_MS = Date.UTC(2000, 0, 1);
/** Days between 1899-12-30 and 1970-01-01. */
const SERIAL_EPOCH_DAYS = 25569;

/**
 * A time column that parses but is no time: spreadsheet serial dates (45382.08333, days since 1899-12-30, which would
 * be read as seconds of 1970-01-01) or a row index without a name (pandas writes one unless `index=False`).
 */
export function checkTimeColumn(name: string, raw: string[], lineNos: number[], file: string, ts: number[]): void {
  const numeric = raw.every((r) => /^\s*\d+(\.\d+)?\s*$/.test(r));
  if (!numeric) return;
  const v = raw.map(Number);
  if (v.every((x) => x >= SERIAL_DAYS.min && x < SERIAL_DAYS.max) && v.some((x) => !Number.isInteger(x))) {
    const day = new Date((v[0] - SERIAL_EPOCH_DAYS) * 86_400_000).toISOString();
    throw new CsvError(
      `${file}:${lineNos[0]}: column '${name}': '${raw[0]}' looks like a spreadsheet serial date (days since 1899-12-30: ${day}), not epoch seconds ` +
        `(${new Date(v[0] * 1000).toISOString()}); expected ISO 8601 or epoch seconds/ms: export the times as text, or convert them ((serial - ${SERIAL_EPOCH_DAYS}) x 86400 = epoch seconds)`,
      file, lineNos[0], name,
    );
  }
  if (name.trim() === '' && v.length > 1 && v.every((x, r) => x === r + v[0]) && (v[0] === 0 || v[0] === 1)) {
    throw new CsvError(
      `${file}:${lineNos[0]}: the first column has no name and counts ${v[0]}, ${v[0] + 1}, ${v[0] + 2}, ...: a row index (pandas writes one unless to_csv(index=False)), not a timestamp; ` +
        'expected the timestamp as the first column: export without the index',
      file, lineNos[0], name,
    );
  }
  // Numbers in a first column not named as a time, all before 2000 as epoch times: a channel, not a timestamp (a
  // file without a time column read 45.233 as 1970-01-01T00:00:45Z). A column named as a time may count seconds.
  // Time counted from 0 (a lab's `elapsed`, `t [s]`) runs forward: only numbers out of time order are refused.
  const back = ts.findIndex((t, i) => i > 0 && t < ts[i - 1]);
  if (!TIME_LIKE.test(name) && back > 0 && ts.every((t) => t < NOT_BEFORE_MS)) {
    throw new CsvError(
      `${file}:${lineNos[0]}: the first column '${name}' is read as the timestamp, but '${raw[0]}' is ${new Date(ts[0]).toISOString()} as epoch time, every row is before 2000 and line ${lineNos[back]} goes back in time: ` +
        'expected the timestamp as the first column (ISO 8601, or epoch seconds/ms): add one, or move it first',
      file, lineNos[0], name,
    );
  }
}

