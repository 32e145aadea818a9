/**
 * The last `capacity` values in arrival order (a ring) and the same values sorted, so order statistics
 * (quantile, median, MAD) of a sliding window are exact. Memory is two Float64Arrays of `capacity`.
 * A push is two binary searches plus one memmove of at most `capacity` doubles (`copyWithin`), which for
 * windows of a few thousand costs less than the binary searches' branch misses; a balanced tree would win
 * only for far longer windows and would cost several times the memory per sensor.
 */
export class SortedWindow {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0; // next ring slot to write
  private count = 0;

  /** A window of `capacity` holding `values` pushed in order (restoring saved state). */
  static of(capacity: number, values: Iterable<number>): SortedWindow {
    const w = new SortedWindow(capacity);
    for (const v of values) w.push(v);
    return w;
  }

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`window capacity must be an integer >= 1, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  /** Number of values held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Add a value, evicting the oldest when full. */
  push(x: number): void {
    if (this.count === this.capacity) this.removeSorted(this.ring[this.head]);
    this.ring[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    this.insertSorted(x);
  }

  /** The k-th smallest value, 0-based (k clamped to the held range). */
  at(k: number): number {
    if (this.count === 0) return NaN;
    return this.sorted[Math.min(this.count - 1, Math.max(0, k))];
  }

  /** Nearest-rank quantile: the smallest held value with at least a fraction q of values at or below it. */
  quantile(q: number): number {
    return this.at(Math.ceil(q * this.count) - 1);
  }

  /** Median (mean of the two middle values for an even count). */
  median(): number {
    const n = this.count;
    if (n === 0) return NaN;
    const h = n >> 1;
    return n % 2 ? this.sorted[h] : (this.sorted[h - 1] + this.sorted[h]) / 2;
  }

  /**
   * Median absolute deviation from `m`, exact, in O(log n): the deviations of the values at or below m (read
   * right to left) and above m (read left to right) are two ascending sequences, and the k-th smallest of
   * two sorted sequences is found by the usual halving selection.
   */
  mad(m = this.median()): number {
    const n = this.count;
    if (n === 0) return NaN;
    const split = this.upper(m); // values [0, split) are <= m
    const left = (i: number): number => m - this.sorted[split - 1 - i];
    const right = (j: number): number => this.sorted[split + j] - m;
    const h = n >> 1;
    const kth = (k: number) => kthOfTwo(left, split, right, n - split, k);
    return n % 2 ? kth(h) : (kth(h - 1) + kth(h)) / 2;
  }

  /** Values in arrival order, oldest first (for serialisation). */
  values(): number[] {
    const out: number[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.capacity]);
    return out;
  }

  /** Maximum held value. */
  max(): number {
    return this.count ? this.sorted[this.count - 1] : NaN;
  }

  /** First index with sorted[i] >= x. */
  private lower(x: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with sorted[i] > x. */
  private upper(x: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertSorted(x: number): void {
    const n = this.count;
    const lo = this.upper(x);
    this.sorted.copyWithin(lo + 1, lo, n);
    this.sorted[lo] = x;
    this.count++;
  }

  private removeSorted(x: number): void {
    const n = this.count;
    let i = this.lower(x);
    // NaN never enters (callers filter), so an exact match exists.
    if (i >= n || this.sorted[i] !== x) i = Math.min(n - 1, i);
    this.sorted.copyWithin(i, i + 1, n);
    this.count--;
  }
}

/** The k-th smallest (0-based) of the union of ascending sequences a (length na) and b (length nb). */
function kthOfTwo(a: (i: number) => number, na: number, b: (j: number) => number, nb: number, k: number): number {
  let ia = 0;
  let ib = 0;
  for (;;) {
    if (ia === na) return b(ib + k);
    if (ib === nb) return a(ia + k);
    if (k === 0) return Math.min(a(ia), b(ib));
    // Drop about k/2 values that cannot be the answer from whichever sequence's probe is smaller.
    const step = Math.max(1, k >> 1);
    const pa = Math.min(na - ia, step);
    const pb = Math.min(nb - ib, step);
    if (a(ia + pa - 1) <= b(ib + pb - 1)) {
      ia += pa;
      k -= pa;
    } else {
      ib += pb;
      k -= pb;
    }
  }
}
