/**
 * Numbers as text, by what the text is for: `formatNumber` for files and reports a program reads back (float32
 * precision, nothing lost that the data had), `formatShort` for a person glancing at a line or a table.
 */

/**
 * Seven significant digits without trailing zeros; integers as they are (`0.0125`, `57.33`, `1.5e-9`, `1024`). Only
 * the mantissa's zeros go: 7.124045e-10 was written `7.124045e-1` (the exponent's last 0 taken for a trailing zero),
 * a channel's error in `vigil score`'s file off by a factor of a billion.
 */
export function formatNumber(x: number): string {
  if (x === 0 || Number.isInteger(x)) return String(x);
  const [mantissa, exponent] = x.toPrecision(7).split('e');
  const short = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return exponent === undefined ? short : `${short}e${exponent}`;
}

/** Three significant digits, whole from 1,000, in exponent form below 0.001 and from 100,000 (`0.457`, `12.5`, `6060`, `1.20e+5`). */
export function formatShort(x: number): string {
  const a = Math.abs(x);
  if (a !== 0 && (a < 0.001 || a >= 1e5)) return x.toExponential(2);
  // toPrecision(3) writes 6060 as 6.06e+3: a whole number reads better there (an operator's probe).
  return a >= 1000 ? String(Math.round(x)) : x.toPrecision(3);
}

/**
 * A score as a multiple of its threshold, one decimal, rounded down (`6.0x`): a warning at 1.96x never reads as the
 * 2.0x that makes an alert critical. Within a few parts in a million of the next tenth it is that tenth: the payload's
 * numbers are rounded to about 7 digits, and a stuck sensor's window (exactly twice the bar, critical) read "1.9x" next
 * to "critical" in `vigil alerts` (a probe: 7.04277 / 3.52139 = 1.999997).
 */
export function timesThreshold(score: number, threshold: number): string {
  return `${(Math.floor((score / threshold) * 10 * (1 + 5e-6)) / 10).toFixed(1)}x`;
}
