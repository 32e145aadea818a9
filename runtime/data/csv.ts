/**
 * CSV readers: NAB-style `timestamp,value` and wide CSV (header, first column a timestamp, every other
 * column a numeric channel). Separator `,` `;` or tab, auto-detected unless given.
 */
import { readFileSync } from 'node:fs';
import { parseTimestamp } from './timestamp.ts';
import type { Series } from './series.ts';

/** What to do with a missing or non-numeric cell. */
export type FillPolicy = 'error' | 'ffill' | 'zero';

/** Options for reading a CSV. */
export interface CsvOptions {
  /** Field separator; auto-detected from the header when omitted. */
  separator?: ',' | ';' | '\t';
  /** Missing / non-numeric values: fail with file:line:column (default), forward-fill, or zero. */
  fill?: FillPolicy;
  /** Columns kept as text instead of channels (e.g. `label`). Matched case-insensitively. */
  extraColumns?: string[];
  /** Only these channels, in this order. */
  channels?: string[];
  /** Name used in error messages. */
  file?: string;
}

/** Error raised for malformed CSV input; says where and what was expected. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column?: string,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

/** Detect the separator from the header line: the candidate that splits it into the most fields. */
export function detectSeparator(header: string): ',' | ';' | '\t' {
  const counts = ([',', ';', '\t'] as const).map((s) => [s, header.split(s).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 1 ? counts[0][0] : ',';
}

function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f;
}

/** Parse CSV text into a series. */
export function parseCsv(text: string, opts: CsvOptions = {}): Series {
  const file = opts.file ?? '<csv>';
  const fill = opts.fill ?? 'error';
  const lines = text.split(/\r?\n/);
  let headerIdx = 0;
  while (headerIdx < lines.length && lines[headerIdx].trim() === '') headerIdx++;
  if (headerIdx >= lines.length) throw new CsvError(`${file}: empty file; expected a header row like "timestamp,value"`, file, 1);
  const header = lines[headerIdx].replace(/^\uFEFF/, '');
  const sep = opts.separator ?? detectSeparator(header);
  const names = header.split(sep).map(unquote);
  if (names.length < 2) {
    throw new CsvError(`${file}:${headerIdx + 1}: header has ${names.length} column; expected a timestamp column then at least one numeric channel`, file, headerIdx + 1);
  }
  const extraWanted = new Set((opts.extraColumns ?? []).map((s) => s.toLowerCase()));
  const colNames = names.slice(1);
  let channelCols = colNames.map((n, i) => ({ n, i: i + 1 })).filter((c) => !extraWanted.has(c.n.toLowerCase()));
  const extraCols = colNames.map((n, i) => ({ n, i: i + 1 })).filter((c) => extraWanted.has(c.n.toLowerCase()));
  if (opts.channels) {
    const byName = new Map(channelCols.map((c) => [c.n, c]));
    const missing = opts.channels.filter((n) => !byName.has(n));
    if (missing.length) throw new CsvError(`${file}: no column(s) ${missing.join(', ')}; expected ${opts.channels.join(', ')}, found ${colNames.join(', ')}`, file, headerIdx + 1);
    channelCols = opts.channels.map((n) => byName.get(n)!);
  }
  if (channelCols.length === 0) throw new CsvError(`${file}: no numeric channel columns after the timestamp`, file, headerIdx + 1);

  const C = channelCols.length;
  const ts: number[] = [];
  const raw: string[] = [];
  const values: number[] = [];
  const extra: Record<string, string[]> = Object.fromEntries(extraCols.map((c) => [c.n, []]));
  const last = new Array<number>(C).fill(NaN);
  for (let li = headerIdx + 1; li < lines.length; li++) {
    const line = lines[li];
    if (line.trim() === '') continue;
    const fields = line.split(sep);
    const lineNo = li + 1;
    if (fields.length < names.length) {
      throw new CsvError(`${file}:${lineNo}: ${fields.length} fields; expected ${names.length} (${names.join(sep === '\t' ? ', ' : sep)})`, file, lineNo);
    }
    const tRaw = unquote(fields[0]);
    const t = parseTimestamp(tRaw);
    if (Number.isNaN(t)) {
      throw new CsvError(`${file}:${lineNo}: column '${names[0]}': '${tRaw}' is not a timestamp; expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds/ms`, file, lineNo, names[0]);
    }
    ts.push(t);
    raw.push(tRaw);
    for (let j = 0; j < C; j++) {
      const col = channelCols[j];
      const cell = unquote(fields[col.i]);
      let v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        if (fill === 'ffill' && Number.isFinite(last[j])) v = last[j];
        else if (fill === 'zero') v = 0;
        else if (fill === 'ffill') {
          throw new CsvError(`${file}:${lineNo}: column '${col.n}': '${cell}' is not a number and there is no earlier value to forward-fill`, file, lineNo, col.n);
        } else {
          throw new CsvError(`${file}:${lineNo}: column '${col.n}': '${cell}' is not a number; expected a finite number (or pass --fill ffill)`, file, lineNo, col.n);
        }
      }
      last[j] = v;
      values.push(v);
    }
    for (const c of extraCols) extra[c.n].push(unquote(fields[c.i]));
  }
  if (ts.length === 0) throw new CsvError(`${file}: header only, no data rows`, file, headerIdx + 1);
  return {
    timestamps: Float64Array.from(ts),
    channels: channelCols.map((c) => c.n),
    data: Float32Array.from(values),
    rawTimestamps: raw,
    extra: extraCols.length ? extra : undefined,
  };
}

/** Read a CSV file into a series. */
export function readCsv(path: string, opts: CsvOptions = {}): Series {
  return parseCsv(readFileSync(path, 'utf8'), { ...opts, file: opts.file ?? path });
}
