/** Map data values to pixels, linear or log, with round tick values. */

/** A data-to-pixel mapping and the tick values worth labelling. */
export interface Scale {
  map: (v: number) => number;
  ticks: number[];
  /** The data domain actually mapped (after rounding out to ticks, where asked). */
  lo: number;
  hi: number;
}

/** A round step (1, 2 or 5 x 10^k) that cuts `span` into about `count` pieces. */
export function niceStep(span: number, count: number): number {
  const raw = (span || 1) / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/** Multiples of `step` within [lo, hi], with float noise rounded away. */
function stepsWithin(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(+(k * step).toPrecision(12) || 0);
  return out;
}

/**
 * Linear map of [lo, hi] onto pixels [from, to] (to < from for a y axis drawn upwards); `nice` rounds the domain
 * out to whole steps so the first and last ticks sit on the frame.
 */
export function linearScale(lo: number, hi: number, from: number, to: number, opts: { nice?: boolean; count?: number } = {}): Scale {
  if (!(hi > lo)) { lo -= 0.5; hi = lo + 1; }
  const step = niceStep(hi - lo, opts.count ?? 6);
  if (opts.nice) { lo = Math.floor(lo / step + 1e-9) * step; hi = Math.ceil(hi / step - 1e-9) * step; }
  const a = lo, b = hi;
  return { map: (v) => from + ((v - a) / (b - a)) * (to - from), ticks: stepsWithin(a, b, step), lo: a, hi: b };
}

/**
 * Log10 map of [lo, hi] (positive) onto [from, to]; values at or below the domain are drawn on its edge. Ticks at
 * each decade, or at 1, 2 and 5 of each decade with `minor`; `nice` rounds the domain out to whole decades.
 */
export function logScale(lo: number, hi: number, from: number, to: number, opts: { nice?: boolean; minor?: boolean } = {}): Scale {
  let a = Math.log10(lo), b = Math.log10(hi);
  if (opts.nice) { a = Math.floor(a); b = Math.max(a + 1, Math.ceil(b)); }
  if (!(b > a)) { a -= 0.5; b = a + 1; }
  const ticks: number[] = [];
  for (let p = Math.floor(a); p <= Math.ceil(b); p++) {
    for (const m of opts.minor ? [1, 2, 5] : [1]) {
      const v = m * 10 ** p, l = Math.log10(v);
      if (l >= a - 1e-9 && l <= b + 1e-9) ticks.push(+v.toPrecision(12));
    }
  }
  return { map: (v) => from + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * (to - from), ticks, lo: 10 ** a, hi: 10 ** b };
}

/** Smallest and largest finite values (log: positive only); `undefined` when there are none. */
export function extent(values: Iterable<number>, log = false): [number, number] | undefined {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}
