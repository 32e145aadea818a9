/**
 * Principal components by power iteration with deflation: enough for a 2-D map of latent codes (a few
 * components of a covariance of at most a few hundred dimensions) without a linear-algebra dependency.
 */

/** The first components of a data set. */
export interface Pca {
  /** Column means, length d. */
  mean: Float64Array;
  /** Components, each of length d, unit norm, in order of explained variance. */
  components: Float64Array[];
  /** Variance along each component. */
  variances: number[];
  /** Total variance (trace of the covariance). */
  totalVariance: number;
}

/** Deterministic start vector: no randomness, so the same codes always give the same map. */
function startVector(d: number, k: number): Float64Array {
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = 1 + ((i * 7 + k * 13) % 11) / 11;
  return v;
}

/** Fit `k` principal components of `n` rows of `d` values (row-major). */
export function fitPca(data: ArrayLike<number>, n: number, d: number, k = 2, iterations = 300): Pca {
  if (n < 1 || d < 1) throw new Error(`PCA needs at least one row and one column, got ${n} x ${d}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += data[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = data[r * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const x = row[a];
      if (x === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += x * row[b];
    }
  }
  const denom = Math.max(1, n - 1);
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] = cov[a * d + b] / denom;
  let totalVariance = 0;
  for (let a = 0; a < d; a++) totalVariance += cov[a * d + a];

  const components: Float64Array[] = [];
  const variances: number[] = [];
  const next = new Float64Array(d);
  for (let c = 0; c < Math.min(k, d); c++) {
    let v = startVector(d, c);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      // Orthogonalise against earlier components each step (deflation by projection keeps cov untouched).
      for (const u of components) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += v[j] * u[j];
        for (let j = 0; j < d; j++) v[j] -= dot * u[j];
      }
      next.fill(0);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b] * v[b];
        next[a] = s;
      }
      for (const u of components) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += next[j] * u[j];
        for (let j = 0; j < d; j++) next[j] -= dot * u[j];
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += next[j] * next[j];
      norm = Math.sqrt(norm);
      if (norm < 1e-12) { lambda = 0; break; }
      let delta = 0;
      for (let j = 0; j < d; j++) {
        const x = next[j] / norm;
        delta = Math.max(delta, Math.abs(x - v[j]));
        v[j] = x;
      }
      lambda = norm;
      if (delta < 1e-9) break;
    }
    // Sign convention: largest-magnitude entry positive, so maps do not flip between runs or versions.
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) v = v.map((x) => -x);
    components.push(v);
    variances.push(lambda);
  }
  return { mean, components, variances, totalVariance };
}

/** Project `n` rows onto the components: `n x components.length`, row-major. */
export function projectPca(p: Pca, data: ArrayLike<number>, n: number): Float64Array {
  const d = p.mean.length;
  const k = p.components.length;
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      const u = p.components[c];
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[r * d + j] - p.mean[j]) * u[j];
      out[r * k + c] = s;
    }
  }
  return out;
}
