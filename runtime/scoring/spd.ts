/**
 * Symmetric positive-definite matrices (p x p, row-major) for residual scoring: the inverse of a covariance, and a
 * small in-place Cholesky solve for the per-window level-drift correction.
 */

/** Inverse of a symmetric positive-definite matrix by Cholesky (p x p row-major). */
export function invertSpd(m: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  cholesky(m, L, p, 'invertSpd');
  // inv(L) by forward substitution, then inv(m) = inv(L)' inv(L).
  const Li = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    Li[j * p + j] = 1 / L[j * p + j];
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * p + k] * Li[k * p + j];
      Li[i * p + j] = s / L[i * p + i];
    }
  }
  const inv = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      let s = 0;
      for (let k = b; k < p; k++) s += Li[k * p + a] * Li[k * p + b];
      inv[a * p + b] = s;
      inv[b * p + a] = s;
    }
  }
  return inv;
}

/**
 * Solve m x = b for a symmetric positive-definite k x k `m` (row-major), in place: `m` is overwritten by its
 * Cholesky factor and `b` by x. For the small systems of the level-drift correction, solved once per window.
 */
export function solveSpdInPlace(m: Float64Array, b: Float64Array, k: number): void {
  cholesky(m, m, k, 'solveSpdInPlace');
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let q = 0; q < i; q++) s -= m[i * k + q] * b[q];
    b[i] = s / m[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let q = i + 1; q < k; q++) s -= m[q * k + i] * b[q];
    b[i] = s / m[i * k + i];
  }
}

/** The lower Cholesky factor of `m` into `L` (p x p row-major; `L` may be `m` itself: each entry is read before it is written). */
function cholesky(m: Float64Array, L: Float64Array, p: number, who: string): void {
  for (let j = 0; j < p; j++) {
    let d = m[j * p + j];
    for (let k = 0; k < j; k++) d -= L[j * p + k] ** 2;
    if (!(d > 0)) throw new Error(`${who}: matrix is not positive definite (pivot ${j} = ${d})`);
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = m[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      L[i * p + j] = s / ljj;
    }
  }
}

/** `v' A v` for a C x C row-major `A`, with `A v` left in `out` (C). */
export function quadraticForm(A: ArrayLike<number>, v: ArrayLike<number>, C: number, out: Float64Array): number {
  let q = 0;
  for (let a = 0; a < C; a++) {
    let s = 0;
    for (let b = 0; b < C; b++) s += A[a * C + b] * v[b];
    out[a] = s;
    q += v[a] * s;
  }
  return q;
}
