/**
 * CSV readers: NAB-style `timestamp,value` and wide CSV (header, first column a timestamp, every other
 * column a numeric channel). Separator `,` `;` or tab, auto-detected unless given. This is where every command
 * (train, score, replay, latent, evaluate) decides which columns are channels, so the rule is written once:
 * label columns (`LABEL_COLUMNS`) are set aside unless named as channels, cells must be finite float32 numbers
 * (and inside a model card's physical ranges when given), and rows can be required in increasing time order (or sorted).
 */
import { readFileSync } from 'node:fs';
import { parseTimestamp } from './timestamp.ts';
import { inRange, rangeOrigin, rangeText, type RangeSource, type Ranges } from '../model/ranges.ts';
import type { Series } from './series.ts';
import { CsvError, CsvRecords } from './csv-records.ts';
import { orderRows } from './row-order.ts';
import { checkTimeColumn, checkTimeFirst } from './csv-time-column.ts';
import { DECIMAL_COMMA, DecimalMark } from './decimal-mark.ts';

export { CsvError, CsvRecords, csvRecords, detectSeparator, type CsvRecordOptions, type CsvSeparator } from './csv-records.ts';

/** What to do with a missing or non-numeric cell. */
/** The fill policies, in the order help texts list them. */
export const FILL_POLICIES = ['error', 'ffill', 'zero'] as const;
export type FillPolicy = (typeof FILL_POLICIES)[number];

/**
 * Row order: `keep` reads rows as they are (the streaming window stage drops late and repeated ones); `strict`
 * fails on the first row earlier than the one before or repeating an earlier timestamp; `sort` sorts rows by
 * time (stable: a repeated timestamp's first row stays first).
 */
export type RowOrder = 'keep' | 'strict' | 'sort';

/**
 * Column names that hold ground truth, never sensor readings (matched case-insensitively): set aside as text
 * unless a caller names them as channels.
 */
export const LABEL_COLUMNS: readonly string[] = ['label', 'anomaly', 'is_anomaly', 'changepoint', 'fault'];

/** Options for reading a CSV. */
export interface CsvOptions {
  /** Field separator; auto-detected from the header when omitted. */
  separator?: ',' | ';' | '\t';
  /** Missing / non-numeric values: fail with file:line:column (default), forward-fill, or zero. */
  fill?: FillPolicy;
  /**
   * Columns kept as text instead of channels, matched case-insensitively; default `LABEL_COLUMNS`. A column
   * named in `channels` is a channel all the same.
   */
  extraColumns?: readonly string[];
  /** Columns dropped: neither channels nor kept. */
  ignore?: readonly string[];
  /** Only these channels, in this order. */
  channels?: readonly string[];
  /** Rows out of time order or with a repeated timestamp: keep them (default), fail naming the first, or sort. */
  order?: RowOrder;
  /**
   * Physical range per channel (a model card's `ranges`): a cell outside is a bad cell, handled by `fill`
   * (under `error` the message names file:line and column), unless `outOfRange` is `error`.
   */
  ranges?: Readonly<Ranges>;
  /** Where `ranges` were declared, for messages (default: the model card). */
  rangeSource?: RangeSource;
  /** A cell outside its range: handled like any bad cell by `fill` (default), or always an error (training data). */
  outOfRange?: 'fill' | 'error';
  /** Name used in error messages. */
  file?: string;
  /** Told what the reader did on its own (label columns set aside, cells filled, rows sorted), one line each. */
  onNote?: (note: string) => void;
  /** Refuse a channel with more than this share of its cells text filled by `fill` (training: it is no signal; empty cells count only under `zero`). */
  maxFilledShare?: number;
  /** The command takes `--ignore` (train, replay): a text cell's message suggests it. */
  ignorable?: boolean;
}

/** Choose channel, label and ignored columns by the one rule every command shares. */
function chooseColumns(names: string[], opts: CsvOptions, file: string, headerLine: number) {
  checkTimeFirst(names, file, headerLine);
  const colNames = names.slice(1);
  const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
  const ignored = lower(opts.ignore ?? []);
  const unknownIgnored = [...(opts.ignore ?? [])].filter((n) => !colNames.some((c) => c.toLowerCase() === n.toLowerCase()));
  if (unknownIgnored.length) {
    throw new CsvError(`${file}: --ignore names no column ${unknownIgnored.join(', ')}; found ${colNames.join(', ')}${commaNames(colNames)}`, file, headerLine);
  }
  const cols = colNames.map((n, i) => ({ n, i: i + 1 })).filter((c) => !ignored.has(c.n.toLowerCase()));
  const named = opts.channels ? new Set(opts.channels) : undefined;
  const extraWanted = lower(opts.extraColumns ?? LABEL_COLUMNS);
  const extraCols = cols.filter((c) => extraWanted.has(c.n.toLowerCase()) && !named?.has(c.n));
  let channelCols = cols.filter((c) => !extraWanted.has(c.n.toLowerCase()));
  if (opts.channels) {
    const byName = new Map(cols.map((c) => [c.n, c]));
    const missing = opts.channels.filter((n) => !byName.has(n));
    if (missing.length) {
      // Names are matched exactly, as live readings' keys are: say so when only the case differs (a probe).
      const byCase = missing.every((n) => colNames.some((c) => c.toLowerCase() === n.toLowerCase()));
      throw new CsvError(`${file}: no column(s) ${missing.join(', ')}; expected ${opts.channels.join(', ')}, found ${colNames.join(', ')}${byCase ? ' (the names differ only in case, and channel names are matched exactly: rename the columns to the model\'s)' : ''}${commaNames(colNames)}`, file, headerLine);
    }
    channelCols = opts.channels.map((n) => byName.get(n)!);
  }
  // Said whether or not channels were named (vigil score names the card's): the README promises the note.
  const labels = extraCols.filter((c) => LABEL_COLUMNS.includes(c.n.toLowerCase()));
  if (labels.length) {
    opts.onNote?.(`${file}: label column(s) ${labels.map((c) => c.n).join(', ')} set aside, not channels${opts.channels ? '' : ' (name them in --channels to use them as channels)'}`);
  }
  // Commands match channels by name: two channel columns of one name would both read the later one. (Columns no
  // command reads, ignored or set aside, may repeat.)
  const dup = channelCols.find((c, k) => channelCols.findIndex((d) => d.n === c.n) !== k);
  if (dup) {
    const first = channelCols.find((c) => c.n === dup.n)!;
    throw new CsvError(`${file}:${headerLine}: columns ${first.i + 1} and ${dup.i + 1} are both named '${dup.n}'; expected every channel column to have its own name (rename one in the export, or --ignore the name)`, file, headerLine, dup.n);
  }
  return { channelCols, extraCols };
}

/** A hint for a list that split a column name holding a comma: a list names it in double quotes. */
function commaNames(colNames: string[]): string {
  const c = colNames.find((n) => n.includes(','));
  return c === undefined ? '' : ` (a name holding a comma is given in double quotes: '"${c}"')`;
}

/** Parse CSV text into a series. */
export function parseCsv(text: string, opts: CsvOptions = {}): Series {
  const file = opts.file ?? '<csv>';
  const fill = opts.fill ?? 'error';
  const records = new CsvRecords(text, { separator: opts.separator, file });
  const names = records.next();
  if (!names) throw new CsvError(`${file}: empty file; expected a header row like "timestamp,value"`, file, 1);
  const headerLine = records.line;
  const sep = records.separator;
  // A header that ends with the separator (a spreadsheet's export: `ts;a;b;`) names no last column; its empty cells
  // are no channel (a probe: refused as channel '', and `--ignore ''`, the way out it suggested, names nothing).
  const unnamedLast = names.length > 2 && names[names.length - 1] === '';
  if (unnamedLast) names.pop();
  if (names.length < 2) {
    throw new CsvError(`${file}:${headerLine}: header has ${names.length} column; expected a timestamp column then at least one numeric channel`, file, headerLine);
  }
  const { channelCols, extraCols } = chooseColumns(names, opts, file, headerLine);
  if (channelCols.length === 0) throw new CsvError(`${file}: no numeric channel columns after the timestamp`, file, headerLine);

  const C = channelCols.length;
  const ts: number[] = [];
  const raw: string[] = [];
  const lineNos: number[] = [];
  const values: number[] = [];
  const extra: Record<string, string[]> = Object.fromEntries(extraCols.map((c) => [c.n, []]));
  const last = new Array<number>(C).fill(NaN);
  const ranges = channelCols.map((c) => opts.ranges?.[c.n]);
  let filled = 0;
  const filledPer = new Array<number>(C).fill(0);
  const emptyFilledPer = new Array<number>(C).fill(0);
  let firstFill = '';
  // The channels filled in each row that had any (`filledRows` and `filledChannels` both follow from it).
  const filledIn: (string[] | undefined)[] = [];
  const mark = new DecimalMark(sep);
  for (let fields = records.next(); fields; fields = records.next()) {
    const lineNo = records.line;
    // Too few fields, or fields past the header's, which were dropped unread: a ','-separated export with decimal
    // commas (`20,5`) was read as 20 and 5, shifted into the next channels (a probe). Empty ones (a trailing separator) say nothing.
    const short = fields.length < names.length;
    if (short || (fields.length > names.length && fields.slice(names.length).some((f) => f !== ''))) {
      const unnamed = !short && unnamedLast && fields.length === names.length + 1 ? `: '${fields[names.length]}' under the header's unnamed last column (it ends with '${sep === '\t' ? 'tab' : sep}'); expected that column empty, or a name for it in the header` : '';
      const comma = short || unnamed ? '' : sep === ',' ? ": a decimal comma in a ','-separated file splits a number in two; export with '.' decimals (or ',' decimals in a ';'-separated file)" : '';
      throw new CsvError(`${file}:${lineNo}: ${fields.length} fields; expected ${names.length} (${names.join(sep === '\t' ? ', ' : sep)})${unnamed || comma}`, file, lineNo);
    }
    const tRaw = fields[0];
    const t = parseTimestamp(tRaw);
    if (Number.isNaN(t)) {
      const units = ts.length === 0 && !channelCols.some((c) => isNumberCell(fields[c.i])) ? `; line ${lineNo} holds no number: a units row under the header? Remove it` : '';
      throw new CsvError(`${file}:${lineNo}: column '${names[0]}': '${tRaw}' is not a timestamp; expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds, ms, µs or ns${units}`, file, lineNo, names[0]);
    }
    ts.push(t);
    raw.push(tRaw);
    lineNos.push(lineNo);
    for (let j = 0; j < C; j++) {
      const col = channelCols[j];
      const cell = fields[col.i];
      let v = mark.read(cell);
      const range = ranges[j];
      const outside = range !== undefined && typeof v === 'number' && !inRange(v, range);
      if (outside) {
        v = `is outside the physical range ${rangeText(range)} of channel '${col.n}' (${rangeOrigin(col.n, range, opts.rangeSource)})`;
        if (opts.outOfRange === 'error') {
          throw new CsvError(`${file}:${lineNo}: column '${col.n}': '${cell}' ${v}; a row outside a physical range is refused whatever --fill says (remove it, or widen the range)`, file, lineNo, col.n);
        }
      }
      if (typeof v === 'string') {
        const why = v;
        if (fill === 'ffill' && Number.isFinite(last[j])) v = last[j];
        else if (fill === 'zero') v = 0;
        else if (fill === 'ffill') {
          // Historian exports often start so (a probe got no hint): say where to start instead.
          throw new CsvError(`${file}:${lineNo}: column '${col.n}': '${cell}' ${why}, and there is no earlier value to forward-fill; expected a value in the first rows: start the file at a row where every channel has one (vigil train --rows FROM: skips rows), or pass --fill zero${opts.ignorable && ts.length === 1 ? `; --ignore '${col.n}' if the column is not a sensor's` : ''}`, file, lineNo, col.n);
        } else {
          const expected = outside ? `a value in ${rangeText(range)}` : 'a finite number';
          // Bad from the first row on: more likely a text or empty column (a status, a spare) than a sensor's glitch.
          // A decimal comma's reason says what was expected and how to fix it.
          const advice = DECIMAL_COMMA.test(cell) ? '' : `; expected ${expected}${outside || ts.length > 1 || !opts.ignorable
            ? ' (or pass --fill ffill)'
            : ` (or pass --fill ffill; --ignore '${col.n}' if the column is not a sensor's)`}`;
          throw new CsvError(`${file}:${lineNo}: column '${col.n}': '${cell}' ${why}${advice}`, file, lineNo, col.n);
        }
        // Text, not an empty cell: a channel a historian records only when it changes is mostly empty, and rightly
        // forward-filled; one mostly of words or decimal commas is no signal. Zeros in empty cells are no reading
        // either (a probe: an all-empty spare column under --fill zero trained as a channel of zeros).
        if (!outside && (cell.trim() !== '' || fill === 'zero')) {
          filledPer[j]++;
          if (cell.trim() === '') emptyFilledPer[j]++;
        }
        if (filled++ === 0) firstFill = `${file}:${lineNo} column '${col.n}' '${cell}'`;
        (filledIn[ts.length - 1] ??= []).push(col.n);
      }
      last[j] = v;
      values.push(v);
    }
    for (const c of extraCols) extra[c.n].push(fields[c.i]);
  }
  if (ts.length === 0) throw new CsvError(`${file}: header only, no data rows`, file, headerLine);
  checkTimeColumn(names[0], raw, lineNos, file, ts);
  const commas = mark.note(file);
  if (commas) opts.onNote?.(commas);
  if (filled) opts.onNote?.(`${file}: ${filled} cell(s) filled by --fill ${fill} (first: ${firstFill})`);
  const mostlyFilled = opts.maxFilledShare === undefined ? -1 : filledPer.findIndex((n) => n > opts.maxFilledShare! * ts.length);
  if (mostlyFilled >= 0) {
    const name = channelCols[mostlyFilled].n;
    const n = filledPer[mostlyFilled];
    const empty = emptyFilledPer[mostlyFilled];
    throw new CsvError(
      `${file}: column '${name}': ${n} of ${ts.length} cells were ${empty === 0 ? 'text, not numbers,' : empty === n ? 'empty' : 'empty or text'} and were filled by --fill ${fill}; expected a sensor's readings ` +
        `(more than ${Math.round(100 * opts.maxFilledShare!)} % filled is no signal to learn): --ignore '${name}' if it is not a sensor's, or fix the export (decimal mark, a text column${empty > 0 ? ', an empty one' : ''})`,
      file, headerLine, name,
    );
  }
  const series: Series = {
    timestamps: Float64Array.from(ts),
    channels: channelCols.map((c) => c.n),
    data: Float32Array.from(values),
    rawTimestamps: raw,
    extra: extraCols.length ? extra : undefined,
  };
  if (filled > 0) {
    series.filledChannels = Array.from({ length: ts.length }, (_, r) => filledIn[r]);
    series.filledRows = Uint8Array.from(series.filledChannels, (c) => (c ? 1 : 0));
  }
  return opts.order === 'strict' || opts.order === 'sort' ? orderRows(series, lineNos, opts.order, file, opts.onNote) : series;
}

/** A cell that reads as a number with either decimal mark: a historian's units row under the header ('m³/h', '°C') has none. */
function isNumberCell(cell: string): boolean {
  return cell.trim() !== '' && !Number.isNaN(Number(cell.replace(',', '.')));
}

/** Read a CSV file into a series. */
export function readCsv(path: string, opts: CsvOptions = {}): Series {
  return parseCsv(utf8Text(readFileSync(path), opts.file ?? path, opts.onNote), { ...opts, file: opts.file ?? path });
}

/**
 * A file's text as UTF-8 (with or without a BOM). A UTF-16 export (letters between NULs) is refused, and so is a
 * header with bytes that are not UTF-8: a Windows-1252 export turns 'temp [°C]' into 'temp [\uFFFD C]', a channel
 * name no live reading will ever match. Elsewhere such bytes reach the cells: in a channel or the time column they
 * fail as any bad cell does; in a column no command reads (a note, a label) they are said once in `onNote`.
 */
export function utf8Text(bytes: Buffer, file: string, onNote?: (note: string) => void): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.subarray(0, 4096).includes(0)) {
    throw new CsvError(`${file}: the file is UTF-16 (or binary), not text vigil reads; expected UTF-8: save or export it as UTF-8 CSV`, file, 1);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytes.toString('utf8');
    const bad = text.indexOf('\uFFFD');
    const line = text.slice(0, bad).split('\n').length;
    const why = "bytes that are not UTF-8 (a Windows-1252 or Latin-1 export? '°' and 'µ' are written differently there)";
    const header = text.search(/\r?\n/);
    if (header < 0 || bad <= header) throw new CsvError(`${file}:${line}: ${why} in the header; expected UTF-8: save or export it as UTF-8 CSV`, file, line);
    onNote?.(`${file}:${line}: ${why}; read as U+FFFD (a cell of a channel or the time column holding one is refused as any bad cell): save it as UTF-8 CSV`);
    return text;
  }
}
