/**
 * PCA monitoring baseline (MacGregor & Kourti; Chiang, Russell & Braatz ch. 4): standardise with the training
 * mean and standard deviation, keep the leading components that explain `variance` of the training variance,
 * and flag a row when Hotelling's T^2 in the component space or Q (SPE, the squared residual off it) exceeds its
 * limit. Limits are classical (T^2 from the F distribution, Q by Jackson & Mudholkar) or empirical quantiles of
 * the training rows' statistics, both at `confidence`.
 */
import { rowsOf, type FittedBaseline, type Rows } from './baseline.ts';
import { fQuantile, normalQuantile } from './distributions.ts';
import { symmetricEigen } from './eigen.ts';
import { column, meanStd, quantile, safeScale } from './stats.ts';

/** Options of the PCA baseline. */
export interface PcaOptions {
  /** Share of the training variance the kept components explain (at least one component, at most channels - 1). */
  variance: number;
  /** Confidence level of both limits. */
  confidence: number;
  /** classical: F-distribution T^2 and Jackson-Mudholkar Q; empirical: quantiles of the training statistics. */
  limits: 'classical' | 'empirical';
}

/** Defaults: 90% of the variance, classical limits at 99.9%. */
export const PCA_DEFAULTS: PcaOptions = { variance: 0.9, confidence: 0.999, limits: 'classical' };

/** Per-row T^2 and Q. */
export interface PcaStatistics {
  t2: Float64Array;
  q: Float64Array;
}

/** A fitted PCA model: the baseline plus its parts. */
export interface FittedPca extends FittedBaseline {
  components: number;
  t2Limit: number;
  qLimit: number;
  statistics(rows: Rows): PcaStatistics;
}

/** Jackson & Mudholkar (1979) limit of Q from the discarded eigenvalues. */
export function jacksonMudholkar(residual: ArrayLike<number>, confidence: number): number {
  let t1 = 0, t2 = 0, t3 = 0;
  for (let i = 0; i < residual.length; i++) {
    const l = Math.max(0, residual[i]);
    t1 += l;
    t2 += l * l;
    t3 += l * l * l;
  }
  if (t1 <= 0 || t2 <= 0) return 0;
  const h0 = 1 - (2 * t1 * t3) / (3 * t2 * t2);
  const ca = normalQuantile(confidence);
  const inner = (ca * Math.sqrt(2 * t2 * h0 * h0)) / t1 + 1 + (t2 * h0 * (h0 - 1)) / (t1 * t1);
  return t1 * Math.max(0, inner) ** (1 / h0);
}

/** Classical T^2 limit for a new observation, k components, n training rows. */
export function hotellingLimit(k: number, n: number, confidence: number): number {
  return ((k * (n - 1) * (n + 1)) / (n * (n - k))) * fQuantile(confidence, k, n - k);
}

/** Fit the PCA baseline on normal rows. */
export function fitPca(train: Rows, options: Partial<PcaOptions> = {}): FittedPca {
  const o = { ...PCA_DEFAULTS, ...options };
  const C = train.channels;
  const n = rowsOf(train, C, 'pca');
  if (n < 3) throw new Error('pca: need at least 3 training rows');
  const { mean, scale } = standardisation(train, C);
  const { values, vectors } = symmetricEigen(standardisedCovariance(train, n, mean, scale), C);
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  const k = keptComponents(values, total, o.variance, n);
  const lambda = values.slice(0, k).map((l) => Math.max(l, 1e-12 * Math.max(total, 1)));
  const statistics = (rows: Rows): PcaStatistics => pcaStatistics(rows, { mean, scale, vectors, lambda });

  const { t2Limit, qLimit } = o.limits === 'classical' ? classicalLimits(values, k, n, o.confidence) : empiricalLimits(statistics(train), o.confidence);
  const how = o.limits === 'classical' ? 'T^2 from the F distribution, Q by Jackson-Mudholkar' : 'empirical quantiles of the training T^2 and Q';
  return {
    name: 'pca',
    description: `PCA on standardised training rows, ${k} of ${C} components (>= ${(100 * o.variance).toFixed(0)}% of the variance); flag when T^2 > ${t2Limit.toPrecision(4)} or Q > ${qLimit.toPrecision(4)} (${how}, ${(100 * o.confidence).toPrecision(4)}%)`,
    components: k,
    t2Limit,
    qLimit,
    statistics,
    score(rows: Rows): Float64Array {
      const s = statistics(rows);
      // Normalised so that 1 is whichever limit is nearer: the row is flagged when either statistic exceeds its own.
      return s.t2.map((t, r) => Math.max(t / t2Limit, qLimit > 0 ? s.q[r] / qLimit : 0));
    },
  };
}

/** Each channel's training mean and (safe) standard deviation. */
function standardisation(train: Rows, C: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(C);
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const ms = meanStd(column(train, c));
    mean[c] = ms.mean;
    scale[c] = safeScale(ms.std, 0, ms.mean);
  }
  return { mean, scale };
}

/** Sample covariance (C x C, row-major) of the `n` training rows once standardised. */
function standardisedCovariance(train: Rows, n: number, mean: Float64Array, scale: Float64Array): Float64Array {
  const C = train.channels;
  const z = new Float64Array(n * C);
  for (let r = 0; r < n; r++) for (let c = 0; c < C; c++) z[r * C + c] = (train.data[r * C + c] - mean[c]) / scale[c];
  const cov = new Float64Array(C * C);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < C; i++) {
      const zi = z[r * C + i];
      for (let j = i; j < C; j++) cov[i * C + j] += zi * z[r * C + j];
    }
  }
  for (let i = 0; i < C; i++) for (let j = i; j < C; j++) cov[j * C + i] = cov[i * C + j] /= n - 1;
  return cov;
}

/** Components kept: the leading ones explaining `variance` of `total`, at least one, at most C - 1 and n - 2. */
function keptComponents(values: ArrayLike<number>, total: number, variance: number, n: number): number {
  const C = values.length;
  let k = 0;
  let acc = 0;
  while (k < C && (k === 0 || acc < variance * total)) acc += Math.max(0, values[k++]);
  return Math.max(1, Math.min(k, C > 1 ? C - 1 : 1, n - 2));
}

/** What the T^2 and Q of a row are computed from. */
interface PcaModel {
  mean: Float64Array;
  scale: Float64Array;
  /** Eigenvectors as columns, C x C row-major. */
  vectors: ArrayLike<number>;
  /** Eigenvalues of the kept components (floored above zero). */
  lambda: ArrayLike<number>;
}

/** Per-row Hotelling's T^2 in the kept components and Q, the squared residual off them. */
function pcaStatistics(rows: Rows, model: PcaModel): PcaStatistics {
  const { mean, scale, vectors, lambda } = model;
  const C = mean.length;
  const k = lambda.length;
  const m = rowsOf(rows, C, 'pca');
  const t2 = new Float64Array(m);
  const q = new Float64Array(m);
  const x = new Float64Array(C);
  for (let r = 0; r < m; r++) {
    let sq = 0;
    for (let c = 0; c < C; c++) {
      x[c] = (rows.data[r * C + c] - mean[c]) / scale[c];
      sq += x[c] * x[c];
    }
    let t = 0;
    let proj = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += x[c] * vectors[c * C + j];
      t += (s * s) / lambda[j];
      proj += s * s;
    }
    t2[r] = t;
    // Orthonormal components: |x|^2 = |projection|^2 + |residual|^2.
    q[r] = Math.max(0, sq - proj);
  }
  return { t2, q };
}

/** T^2 from the F distribution, Q by Jackson-Mudholkar from the discarded eigenvalues (0 when none is). */
function classicalLimits(values: Float64Array, k: number, n: number, confidence: number): { t2Limit: number; qLimit: number } {
  return { t2Limit: hotellingLimit(k, n, confidence), qLimit: values.length > k ? jacksonMudholkar(values.slice(k), confidence) : 0 };
}

/** The `confidence` quantiles of the training rows' T^2 and Q. */
function empiricalLimits(s: PcaStatistics, confidence: number): { t2Limit: number; qLimit: number } {
  return { t2Limit: quantile(s.t2, confidence), qLimit: quantile(s.q, confidence) };
}
