/**
 * Breaks in a plotted line where its data has a gap (vigil restarted, the broker away, a sensor quiet): uPlot joins
 * consecutive points with a straight line, and across a gap that line draws readings nobody took (a shift probe: a
 * pump's flow seemed to climb smoothly through the two minutes a gateway was restarting). A point with no values in
 * the middle of each gap leaves it empty. A gap is a step over GAP_FACTOR times the usual one, as `vigil train` and
 * `vigil score` name them; the usual step is half the median span of two steps, so a report's thinned series (each
 * bucket's minimum and maximum, steps alternating short and long) is not taken for one full of gaps.
 */
import { GAP_FACTOR } from '@vigil/runtime/data/sampling.ts';
import { quantile } from '@vigil/runtime/util/quantile.ts';

/** The times (same unit as `xs`) to break the line at: the middle of each gap; none below four points. */
export function gapBreaks(xs: readonly number[]): number[] {
  if (xs.length < 4) return [];
  const spans: number[] = [];
  for (let i = 2; i < xs.length; i++) spans.push((xs[i] - xs[i - 2]) / 2);
  const usual = quantile(spans, 0.5);
  if (!(usual > 0)) return [];
  const breaks: number[] = [];
  for (let i = 1; i < xs.length; i++) if (xs[i] - xs[i - 1] > GAP_FACTOR * usual) breaks.push((xs[i] + xs[i - 1]) / 2);
  return breaks;
}

/** `xs` and its aligned series with a row of nulls at each gap's middle (the same arrays when there is no gap). */
export function breakAtGaps<T extends number | null>(xs: number[], series: T[][]): { xs: number[]; series: (T | null)[][] } {
  const breaks = gapBreaks(xs);
  if (!breaks.length) return { xs, series };
  const outX: number[] = [];
  const outS: (T | null)[][] = series.map(() => []);
  let b = 0;
  for (let i = 0; i < xs.length; i++) {
    if (b < breaks.length && breaks[b] < xs[i]) {
      outX.push(breaks[b++]);
      for (const s of outS) s.push(null);
    }
    outX.push(xs[i]);
    series.forEach((s, k) => outS[k].push(s[i]));
  }
  return { xs: outX, series: outS };
}
