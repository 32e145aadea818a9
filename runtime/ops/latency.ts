/** A fixed ring of recent latencies (ms) with percentiles, for status lines and the dashboard. */
export class LatencyRing {
  private readonly buf: Float64Array;
  private n = 0;
  private head = 0;

  constructor(size = 2048) {
    this.buf = new Float64Array(size);
  }

  /** Record one latency. */
  push(ms: number): void {
    this.buf[this.head] = ms;
    this.head = (this.head + 1) % this.buf.length;
    if (this.n < this.buf.length) this.n++;
  }

  /** The p-quantile (0..1) of the recorded latencies, NaN when empty. */
  quantile(p: number): number {
    if (this.n === 0) return NaN;
    const s = Float64Array.from(this.buf.subarray(0, this.n)).sort();
    return s[Math.min(this.n - 1, Math.floor(p * this.n))];
  }
}
