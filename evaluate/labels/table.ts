/**
 * A small header-addressed CSV table for evaluation inputs: columns found by name (case-insensitive, with
 * fallbacks), cells kept as text until a reader asks for numbers, so every error names file, line and column.
 */
import { existsSync, readFileSync } from 'node:fs';
import { csvRecords } from '@vigil/runtime/data/csv-records.ts';
import { utf8Text } from '@vigil/runtime/data/csv.ts';

/** A parsed CSV: header names and rows of text cells. */
export interface Table {
  file: string;
  header: string[];
  rows: string[][];
  /** 1-based file line of each row, for error messages. */
  lines: number[];
}

/** Read a CSV file into a table (separator auto-detected, blank lines skipped). */
export function readTable(file: string): Table {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  const { records, lines: at } = csvRecords(utf8Text(readFileSync(file), file), { file });
  if (records.length === 0) throw new Error(`${file}: empty file; expected a header row`);
  const [header, ...rows] = records;
  const lines = at.slice(1);
  rows.forEach((cells, k) => {
    if (cells.length < header.length) throw new Error(`${file}:${lines[k]}: ${cells.length} fields; expected ${header.length} (${header.join(',')})`);
  });
  return { file, header, rows, lines };
}

/** Names a column saying which sensor (unit, machine) a row is about may have, in scores and label files alike. */
export const SENSOR_COLUMNS = ['sensor', 'sensor_id', 'device', 'unit', 'asset', 'machine', 'equipment'];

/** Index of the first column whose name matches one of `names` (case-insensitive), or -1. */
export function findColumn(t: Table, names: string[]): number {
  const lower = t.header.map((h) => h.toLowerCase());
  for (const n of names) {
    const i = lower.indexOf(n.toLowerCase());
    if (i >= 0) return i;
  }
  return -1;
}

/** Like `findColumn` but throws a message listing what was expected and what was found. */
export function requireColumn(t: Table, names: string[], what: string): number {
  const i = findColumn(t, names);
  if (i < 0) throw new Error(`${t.file}: no ${what} column; expected one of ${names.join(', ')}, found ${t.header.join(', ')}`);
  return i;
}

/** Parse a numeric column; throws at the first cell that is not a finite number. */
export function numberColumn(t: Table, col: number): Float64Array {
  const out = new Float64Array(t.rows.length);
  t.rows.forEach((r, k) => {
    const v = Number(r[col]);
    if (r[col] === '' || !Number.isFinite(v)) {
      throw new Error(`${t.file}:${t.lines[k]}: column '${t.header[col]}': '${r[col]}' is not a number`);
    }
    out[k] = v;
  });
  return out;
}

/** Timestamp column names, in the order looked for (SKAB's files say `datetime`). */
export const TIMESTAMP_COLUMNS = ['timestamp', 'time', 'ts', 'datetime', 'date_time', 'date'];

const TRUE = new Set(['1', 'true', 'yes', 'y', 'anomaly', 'alert', 't']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'normal', 'ok', 'f', '']);

/** A plain decimal number (`1`, `1.0`, `0.00`, `1e0`): what numpy and pandas write, not hex, binary or `Infinity`. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/;

/**
 * Parse a 0/1 (or true/false) column; throws at the first cell that is neither. A decimal number equal to 0 or 1
 * counts too (`1.0`, `0.0`: labels written by numpy or pandas).
 */
export function boolColumn(t: Table, col: number): Uint8Array {
  const out = new Uint8Array(t.rows.length);
  t.rows.forEach((r, k) => {
    const v = r[col].toLowerCase();
    const n = DECIMAL.test(v.trim()) ? Number(v) : Number.NaN;
    if (TRUE.has(v) || n === 1) out[k] = 1;
    else if (!FALSE.has(v) && n !== 0) throw new Error(`${t.file}:${t.lines[k]}: column '${t.header[col]}': '${r[col]}' is not 0/1 or true/false`);
  });
  return out;
}
