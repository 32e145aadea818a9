/**
 * The plots leave a gap in the data empty (dashboard/page/gaps.ts): a page left open across a gateway restart drew a
 * straight line through the minutes nothing came, as if readings had been taken there. A report's thinned series
 * (per-bucket minimum and maximum, dashboard/decimate.ts) is not broken up.
 */
import { describe, expect, it } from 'vitest';
import { breakAtGaps, gapBreaks } from '../../dashboard/page/gaps.ts';
import { decimateRaw } from '../../dashboard/decimate.ts';

const steady = (n: number, from = 0, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);

describe('gaps in a plotted line', () => {
  it('breaks at a restart, at the middle of the gap, and nowhere else', () => {
    // 1 Hz, then 150 s without data (vigil restarting), then 1 Hz again.
    const xs = [...steady(60), ...steady(60, 209)];
    expect(gapBreaks(xs)).toEqual([(59 + 209) / 2]);
    const ys = xs.map((x) => x * 2);
    const out = breakAtGaps(xs, [ys]);
    expect(out.xs).toHaveLength(121);
    expect(out.xs[60]).toBe(134);
    expect(out.series[0][60]).toBeNull();
    expect(out.series[0][59]).toBe(118);
    expect(out.series[0][61]).toBe(418);
  });

  it('leaves a steady or jittery series, a short one and a thinned one whole', () => {
    expect(gapBreaks(steady(500))).toEqual([]);
    expect(gapBreaks(steady(200).map((x, i) => x + (i % 3) * 0.3))).toEqual([]);
    expect(gapBreaks([0, 100, 101])).toEqual([]);
    const rows = steady(100_000).map((t) => [t, Math.sin(t / 50)]);
    const thinned = decimateRaw(rows, 2000).map((r) => r[0]);
    expect(gapBreaks(thinned)).toEqual([]);
    const xs = steady(10);
    expect(breakAtGaps(xs, [xs]).xs).toBe(xs);
  });
});
