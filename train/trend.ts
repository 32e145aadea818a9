/**
 * Channels that climbed steadily through the training rows (a pump's temperature while the rig heats up, a tank that
 * fills): after training they go on climbing, out of the range the model knows, and the input offsets that follow
 * the residual only under the gate (runtime/scoring/input-offsets.ts) cannot keep up: the climb pushes every window
 * over the gate, the offsets freeze, and the alert never closes (bench/results/quality/VARIANTS.md "Trends seen in
 * training"). Such a channel's offset follows its residual in every window instead, by at most its training slope
 * per window (`ResidualTracking.trend`): a climb at the pace training showed stays in the range the model knows, a
 * faster one (a fault) shows by what it adds.
 */

/**
 * Share of a channel's variance over the training windows a straight line must explain for the channel to count as
 * trending. A step of the operating point half-way through explains at most 0.75; a line explains 0.9 when its rise
 * is about 10 noise sd. 0.8 also took in plant runs whose operating point ramped during training, and lost plant
 * faults to the followers (VARIANTS.md "Trends seen in training").
 */
export const TREND_MIN_R2 = 0.9;

/**
 * The same share, of the variance of the windows' means: a climb whose row-to-row noise hides it from TREND_MIN_R2
 * (a line explains 0.9 of single rows only when its rise is about 10 noise sd) counts when its windows' means lie on
 * the line, as the model sees them. A step half-way still explains at most 0.75, and no plant run of the quality bench
 * passes (its operating-point ramps reach 0.93); the SKAB-like runs' temperatures, 0.85-0.88 by their last rows, do
 * (0.97-1.00), and so are followed (VARIANTS.md "Trends by their windows' means").
 */
export const TREND_MIN_R2_MEANS = 0.97;

/**
 * Each channel's trend over the windows of `data` (N x W x C, scaled units; window i ends on row `rowOf(i)`): the
 * least-squares slope per row of the windows' last rows against their rows, where the line explains at least
 * TREND_MIN_R2 of their variance; else that of the windows' means, where it explains at least TREND_MIN_R2_MEANS of
 * theirs; else 0 (`ResidualTracking.trend`; absolute: the follower moves either way).
 * Against rows, not window numbers: windows left out (labelled rows) would squeeze time and steepen the slope.
 */
export function inputTrends(data: Float32Array, n: number, w: number, c: number, rowOf: (i: number) => number): number[] {
  const y = new Float64Array(n);
  return Array.from({ length: c }, (_, k) => {
    for (let i = 0; i < n; i++) y[i] = data[(i * w + w - 1) * c + k];
    const last = line(y, n, rowOf);
    if (last.r2 >= TREND_MIN_R2) return Math.abs(last.slope);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < w; t++) s += data[(i * w + t) * c + k];
      y[i] = s / w;
    }
    const means = line(y, n, rowOf);
    return means.r2 >= TREND_MIN_R2_MEANS ? Math.abs(means.slope) : 0;
  });
}

/** The least-squares line of `y` (n values) against rows: its slope per row and the share of y's variance it explains. */
function line(y: Float64Array, n: number, rowOf: (i: number) => number): { slope: number; r2: number } {
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += rowOf(i);
    sy += y[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let vx = 0;
  let vy = 0;
  let cxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rowOf(i) - mx;
    const dy = y[i] - my;
    vx += dx * dx;
    vy += dy * dy;
    cxy += dx * dy;
  }
  if (!(vx > 0 && vy > 0)) return { slope: 0, r2: 0 };
  return { slope: cxy / vx, r2: (cxy * cxy) / (vx * vy) };
}
