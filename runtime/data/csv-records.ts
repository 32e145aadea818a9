/**
 * The one CSV tokenizer every reader uses (RFC 4180 quoting): text to records of fields. A field may be quoted,
 * and a quoted field may hold the separator, a doubled quote (`""` for `"`) and line breaks; a byte-order mark and
 * CRLF line ends are accepted; blank lines are skipped; fields are trimmed outside quotes. Lines without a quote
 * take a fast path (a plain split), because `vigil score` reads files of millions of cells and a character-by-
 * character scanner (csv-parse 7 measured) is several times slower on them.
 */

/** Field separators the readers accept. */
export type CsvSeparator = ',' | ';' | '\t';

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

const QUOTED = /"(?:[^"]|"")*"?/g;

/** Detect the separator from the header line: the candidate that splits it into the most fields (outside quotes). */
export function detectSeparator(header: string): CsvSeparator {
  const bare = header.includes('"') ? header.replace(QUOTED, '') : header;
  const counts = ([',', ';', '\t'] as const).map((s) => [s, bare.split(s).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 1 ? counts[0][0] : ',';
}

/** Options of a record reader. */
export interface CsvRecordOptions {
  /** Field separator (one or more characters, no quote or line break); detected (`,` `;` or tab) when omitted. */
  separator?: string;
  /** Name used in error messages. */
  file?: string;
}

/**
 * Records of a CSV text, one at a time: `next()` returns the next record's fields (or undefined at the end) and
 * `line` is the 1-based line where that record began, so readers can name file:line in their messages.
 */
export class CsvRecords {
  /** The separator given or detected. */
  readonly separator: string;
  /** 1-based line where the record last returned by `next()` began. */
  line = 0;
  private readonly lines: string[];
  private readonly file: string;
  private at = 0;

  constructor(text: string, opts: CsvRecordOptions = {}) {
    this.lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
    this.file = opts.file ?? '<csv>';
    while (this.at < this.lines.length && this.lines[this.at].trim() === '') this.at++;
    this.separator = opts.separator ?? (this.at < this.lines.length ? detectSeparator(this.lines[this.at]) : ',');
    if (this.separator === '' || /["\r\n]/.test(this.separator)) throw new Error(`CSV separator ${JSON.stringify(this.separator)}; expected one or more characters other than a quote or a line break`);
  }

  /** The next record's fields, or undefined when the text is used up. */
  next(): string[] | undefined {
    const lines = this.lines;
    let s: string | undefined;
    while (this.at < lines.length) {
      s = lines[this.at++];
      if (s.length !== 0 && s.trim() !== '') break;
      s = undefined;
    }
    if (s === undefined) return undefined;
    this.line = this.at;
    if (s.indexOf('"') < 0) {
      const fields = s.split(this.separator);
      for (let i = 0; i < fields.length; i++) fields[i] = fields[i].trim();
      return fields;
    }
    return this.scan(s);
  }

  /** All remaining records with the line each began on. */
  rest(): { records: string[][]; lines: number[] } {
    const records: string[][] = [];
    const lines: number[] = [];
    for (let r = this.next(); r; r = this.next()) {
      records.push(r);
      lines.push(this.line);
    }
    return { records, lines };
  }

  /** Character scan of a record with quotes; a quoted line break continues onto the next line. */
  private scan(first: string): string[] {
    const sep = this.separator;
    const blank = (c: string) => c === ' ' || (c === '\t' && sep !== '\t');
    const out: string[] = [];
    let s = first;
    let i = 0;
    for (;;) {
      let j = i;
      while (j < s.length && blank(s[j])) j++;
      if (s[j] !== '"') {
        if (s.indexOf('"', j) < 0) {
          // No quote left on the line: the rest splits plainly (a quoted timestamp, then numbers).
          for (const f of s.slice(i).split(sep)) out.push(f.trim());
          return out;
        }
        const e = s.indexOf(sep, i);
        if (e < 0) {
          out.push(s.slice(i).trim());
          return out;
        }
        out.push(s.slice(i, e).trim());
        i = e + sep.length;
        continue;
      }
      let value = '';
      let k = j + 1;
      for (;;) {
        const q = s.indexOf('"', k);
        if (q < 0) {
          if (this.at >= this.lines.length) {
            throw new CsvError(`${this.file}:${this.line}: a quoted field is not closed before the end of the file; expected a closing '"'`, this.file, this.line);
          }
          value += `${s.slice(k)}\n`;
          s = this.lines[this.at++];
          k = 0;
          continue;
        }
        value += s.slice(k, q);
        if (s[q + 1] === '"') {
          value += '"';
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      out.push(value);
      while (k < s.length && blank(s[k])) k++;
      if (k >= s.length) return out;
      if (!s.startsWith(sep, k)) {
        throw new CsvError(`${this.file}:${this.at}: '${s[k]}' after a closing quote; expected '${sep === '\t' ? '\\t' : sep}' or the end of the line (write a quote inside a quoted field as "")`, this.file, this.at);
      }
      i = k + sep.length;
    }
  }
}

/** Every record of a CSV text, with the 1-based line each began on and the separator used. */
export function csvRecords(text: string, opts: CsvRecordOptions = {}): { separator: string; records: string[][]; lines: number[] } {
  const r = new CsvRecords(text, opts);
  return { separator: r.separator, ...r.rest() };
}

/** A CSV field as written: quoted (RFC 4180) when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
