/**
 * Numbers as text, by what the text is for: `formatNumber` for files and reports a program reads back (float32
 * precision, nothing lost that the data had), `formatShort` for a person glancing at a line or a table.
 */

/** Seven significant digits without trailing zeros; integers as they are (`0.0125`, `57.33`, `1.5e-9`, `1024`). */
export function formatNumber(x: number): string {
  return x === 0 ? '0' : Number.isInteger(x) ? String(x) : x.toPrecision(7).replace(/\.?0+(e|$)/, '$1');
}

/** Three significant digits, in exponent form below 0.001 and from 100,000 (`0.457`, `12.5`, `1.20e+5`). */
export function formatShort(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 0.001 || a >= 1e5) ? x.toExponential(2) : x.toPrecision(3);
}
