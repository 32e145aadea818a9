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
   * Median absolute deviation from `m`, exact, in O(log^2 n): deviations left of m (read right to left)
   * and right of m (read left to right) are two sorted sequences, so the k-th smallest deviation is found
   * by bisection on its value, counting with two binary searches.
   */
  mad(m = this.median()): number {
    const n = this.count;
    if (n === 0) return NaN;
    const kth = (k: number): number => {
      // smallest d with #{|x - m| <= d} >= k+1
      let lo = 0;
      let hi = Math.max(m - this.sorted[0], this.sorted[n - 1] - m);
      for (let it = 0; it < 100 && hi - lo > 1e-12 * Math.max(1, hi); it++) {
        const mid = (lo + hi) / 2;
        if (this.countWithin(m, mid) >= k + 1) hi = mid;
        else lo = mid;
      }
      return hi;
    };
    const h = n >> 1;
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

  /** Number of held values within [m - d, m + d]. */
  private countWithin(m: number, d: number): number {
    return this.upper(m + d) - this.lower(m - d);
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
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
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
