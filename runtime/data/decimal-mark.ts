/**
 * A CSV file's decimal mark. A file separated by ';' or tabs whose numbers are written with decimal commas (a European
 * historian's export: `48,961`) is read as such, said once: its first decimal comma decides it, provided no number
 * before it used '.'; from then on a number with '.' is a mixed mark, refused as a bad cell. A ','-separated file
 * cannot hold an unquoted decimal comma, so a quoted one there stays refused, and so does a comma after '.' numbers
 * and '.' thousands (`1.234,5`): `1.234` alone cannot be told from a decimal. (A probe: no way to read a `;` export,
 * and replay forward-filled its decimal commas into a flat line.)
 */
import { float32RangeText, isFloat32 } from './float32.ts';

/**
 * A number with a decimal comma and nothing else: `-20,104`, or in a spreadsheet's scientific notation `2,5E-05`
 * (a German Excel writes small values so; a probe's vibration column was refused as 'not a number').
 */
const COMMA_DECIMAL = /^\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*$/;
/** A number written with a decimal comma (20,1040), possibly with '.' thousands (1.234,5). */
export const DECIMAL_COMMA = /^\s*[-+]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*$/;

/** The decimal mark of one file, learnt from its cells in reading order. */
export class DecimalMark {
  /** The first cell read with a decimal comma, once the file's mark is ','. */
  private firstComma: string | undefined;
  /** The first number read with '.'. */
  private firstDot: string | undefined;

  constructor(private readonly separator: string) {}

  /** The note to give when decimal commas were read (undefined: none were). */
  note(file: string): string | undefined {
    return this.firstComma === undefined ? undefined : `${file}: decimal commas read as decimal points ('${this.firstComma.trim()}' = ${Number(this.firstComma.replace(',', '.'))}), the convention of its '${this.separator === '\t' ? 'tab' : this.separator}'-separated export`;
  }

  /** A channel cell as a number the model can hold, or why not. */
  read(cell: string): number | string {
    if (cell === '') return 'is empty';
    let v = Number(cell);
    if (this.firstComma !== undefined) {
      if (COMMA_DECIMAL.test(cell)) v = Number(cell.replace(',', '.'));
      else if (!Number.isNaN(v) && cell.includes('.')) return `uses '.' as its decimal mark, but the file's numbers before it used ',' ('${this.firstComma.trim()}'); expected one decimal mark throughout`;
    } else if (Number.isNaN(v) && COMMA_DECIMAL.test(cell) && this.separator !== ',' && this.firstDot === undefined) {
      this.firstComma = cell;
      v = Number(cell.replace(',', '.'));
    } else if (!Number.isNaN(v) && cell.includes('.')) this.firstDot ??= cell;
    if (Number.isNaN(v) && DECIMAL_COMMA.test(cell)) {
      return `has a decimal comma${this.firstDot !== undefined ? `, but the file's numbers before it used '.' ('${this.firstDot.trim()}')` : this.separator === ',' ? " in a ','-separated file" : " with '.' thousands"}; expected one decimal mark throughout: export with '.' decimals (or ',' decimals in a ';'-separated file)`;
    }
    if (Number.isNaN(v)) return 'is not a number';
    if (!isFloat32(v)) return `is ${float32RangeText()}`;
    return v;
  }
}
