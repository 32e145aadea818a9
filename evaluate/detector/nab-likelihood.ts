/**
 * Numenta's anomaly likelihood (Ahmad et al. 2017, "Unsupervised real-time anomaly detection for streaming data";
 * nupic `algorithms/anomaly_likelihood.py`, as NAB's numenta detector runs it), applied to any raw anomaly score:
 * a Gaussian fitted to the 10-row moving average of the last `historicWindow` raw scores (refitted every
 * `reestimationPeriod` rows), and the likelihood of the current moving average 1 - Q(|avg - mean| / stdev), reported on
 * nupic's log scale. Causal: row t reads raw scores and values up to t only; the fit at t uses rows before t.
 */

/** Options of `anomalyLikelihood`; nupic's names, NAB's numenta detector's values (see `numentaLikelihoodOptions`). */
export interface AnomalyLikelihoodOptions {
  /** Rows at the start left out of every fit while they are in the history (the model "settling down"). */
  learningPeriod: number;
  /** Rows after `learningPeriod` before the first fit; the likelihood is a flat 0.5 until then. */
  estimationSamples: number;
  /** Raw scores kept for each fit. */
  historicWindow: number;
  /** The Gaussian is refitted every this many rows. */
  reestimationPeriod: number;
  /** Rows of the moving average of raw scores. */
  averagingWindow: number;
  /**
   * nupic's floors for a raw score in [0,1] (HTM's fraction of unpredicted columns): fitted mean at least 0.03,
   * variance at least 0.0003. Off for scores on another scale, where these numbers mean nothing.
   */
  floors: boolean;
  /**
   * Which tail is unlikely: 'both' as nupic's code (a moving average far below the mean is as unlikely as one far
   * above), 'upper' as the paper's formula 1 - Q((avg - mean) / stdev) (only a higher score is an anomaly).
   */
  tail: 'both' | 'upper';
}

/** nupic's values bar the learning period, which NAB's numenta detector sets from the file's probationary rows. */
export function numentaLikelihoodOptions(probation: number, floors: boolean, tail: AnomalyLikelihoodOptions['tail'] = 'both'): AnomalyLikelihoodOptions {
  const learningPeriod = Math.floor(probation / 2);
  return { learningPeriod, estimationSamples: probation - learningPeriod, historicWindow: 8640, reestimationPeriod: 100, averagingWindow: 10, floors, tail };
}

/** nupic's variance under which the metric counts as flat (no anomaly is reported on a flat metric). */
const FLAT_VARIANCE = 1.5e-5;
/** Tail probability at or under which a likelihood is "red"; a red row after a red row is reported at `YELLOW`. */
const RED = 1e-5;
const YELLOW = 1e-3;

interface Normal {
  mean: number;
  stdev: number;
}

/** nupic's very broad distribution: every score is likely (used before enough data, and on a flat metric). */
const NULL_NORMAL: Normal = { mean: 0.5, stdev: 1e3 };

/** erfc(x) for x >= 0, fractional error under 1.2e-7 (Chebyshev fit, Numerical Recipes `erfcc`). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const p = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(p);
}

/**
 * The Gaussian's tail beyond x: P(sample >= x) above the mean, and below it P(sample <= x) ('both', nupic's
 * `tailProbability`) or P(sample >= x) ('upper').
 */
export function tailProbability(x: number, d: Normal, tail: AnomalyLikelihoodOptions['tail'] = 'both'): number {
  if (!(d.stdev > 0)) return x === d.mean || (tail === 'upper' && x < d.mean) ? 1 : 0;
  const z = (x - d.mean) / d.stdev;
  if (z < 0 && tail === 'upper') return 1 - 0.5 * erfc(-z / Math.SQRT2);
  return 0.5 * erfc(Math.abs(z) / Math.SQRT2);
}

/** nupic's log scale: log(1.0000000001 - L) / log(1e-10), so L = 0.5 -> 0.03, 1 - 1e-5 -> 0.5, 1 - 1e-10 -> 1. */
export function logLikelihood(likelihood: number): number {
  return Math.log(1.0000000001 - likelihood) / Math.log(1e-10);
}

/** Mean and population variance of a[from..to). */
function moments(a: ArrayLike<number>, from: number, to: number): { mean: number; variance: number } {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  const mean = s / (to - from);
  let v = 0;
  for (let i = from; i < to; i++) v += (a[i] - mean) ** 2;
  return { mean, variance: v / (to - from) };
}

/**
 * Fit on history rows [start, end): the moving average restarted at `start` (as nupic recomputes it over its window),
 * the first `skip` averages and values left out.
 */
function fit(raw: ArrayLike<number>, values: ArrayLike<number>, start: number, end: number, skip: number, o: AnomalyLikelihoodOptions): Normal {
  if (end - start <= skip) return NULL_NORMAL;
  const avg = new Float64Array(end - start);
  let sum = 0;
  for (let i = start; i < end; i++) {
    sum += raw[i];
    if (i - start >= o.averagingWindow) sum -= raw[i - o.averagingWindow];
    avg[i - start] = sum / Math.min(i - start + 1, o.averagingWindow);
  }
  if (moments(values, start + skip, end).variance < FLAT_VARIANCE) return NULL_NORMAL;
  let { mean, variance } = moments(avg, skip, avg.length);
  if (o.floors) {
    mean = Math.max(mean, 0.03);
    variance = Math.max(variance, 0.0003);
  }
  return { mean, stdev: Math.sqrt(variance) };
}

/**
 * Per row, the anomaly likelihood of the raw score on nupic's log scale (`logLikelihood`): about 0.03 while there is
 * no fit yet, 0.5 at a tail probability of 1e-5, towards 1 beyond. A red row right after a red row reports a tail
 * probability of 1e-3 instead (nupic's filter), so a sustained excursion stands out at its start.
 */
export function anomalyLikelihood(raw: ArrayLike<number>, values: ArrayLike<number>, o: AnomalyLikelihoodOptions): Float64Array {
  const n = raw.length;
  if (values.length !== n) throw new Error(`anomalyLikelihood: ${raw.length} raw scores for ${values.length} values`);
  const out = new Float64Array(n);
  const probationary = o.learningPeriod + o.estimationSamples;
  const clean = Float64Array.from({ length: n }, (_, i) => (Number.isFinite(raw[i]) ? raw[i] : 0));
  let dist: Normal | undefined;
  let sum = 0;
  let prevTail = 1;
  for (let i = 0; i < n; i++) {
    // The moving average including row i, over the rows seen so far.
    sum += clean[i];
    if (i >= o.averagingWindow) sum -= clean[i - o.averagingWindow];
    const avg = sum / Math.min(i + 1, o.averagingWindow);
    if (i < probationary) {
      out[i] = logLikelihood(0.5);
      continue;
    }
    if (!dist || i % o.reestimationPeriod === 0) {
      const start = Math.max(0, i - o.historicWindow);
      const skip = Math.min(i, Math.max(0, o.learningPeriod - start));
      dist = fit(clean, values, start, i, skip, o);
      // The previous row's tail under the new fit, as nupic keeps the fitted history's last likelihoods.
      const prev = i - 1;
      let s = 0;
      for (let k = Math.max(start, prev - o.averagingWindow + 1); k <= prev; k++) s += clean[k];
      prevTail = tailProbability(s / Math.min(prev - start + 1, o.averagingWindow), dist, o.tail);
    }
    const tail = tailProbability(avg, dist, o.tail);
    const reported = tail <= RED && prevTail <= RED ? YELLOW : tail;
    prevTail = tail;
    out[i] = logLikelihood(1 - reported);
  }
  return out;
}
