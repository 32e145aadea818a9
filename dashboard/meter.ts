/** What the dashboard measures itself when the runtime does not say: windows per second and latency quantiles. */

/** Throughput over the last few seconds and latency quantiles over the last samples. */
export class Meter {
  private readonly buckets = new Float64Array(10);
  private bucketSec = 0;
  private firstSec = 0;
  private readonly lat = new Float64Array(2048);
  private latN = 0;

  /** Count one verdict at `nowMs` that took `latencyMs` from arrival. */
  record(nowMs: number, latencyMs: number): void {
    this.roll(nowMs);
    this.buckets[this.bucketSec % this.buckets.length]++;
    if (Number.isFinite(latencyMs) && latencyMs >= 0) this.lat[this.latN++ % this.lat.length] = latencyMs;
  }

  private roll(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.bucketSec === 0) this.bucketSec = this.firstSec = sec;
    for (let s = this.bucketSec + 1; s <= sec && s - this.bucketSec <= this.buckets.length; s++) this.buckets[s % this.buckets.length] = 0;
    if (sec > this.bucketSec) this.bucketSec = sec;
  }

  /** Verdicts per second over the last whole seconds (up to 9). */
  throughput(nowMs: number): number {
    this.roll(nowMs);
    // Whole seconds only: the current bucket is still filling. Early on, average over the seconds seen.
    let sum = 0;
    const n = Math.min(this.buckets.length - 1, this.bucketSec - this.firstSec);
    if (n < 1) return 0;
    for (let k = 1; k <= n; k++) sum += this.buckets[(this.bucketSec - k + this.buckets.length) % this.buckets.length];
    return sum / n;
  }

  /** Median and 99th percentile of the last 2,048 latencies, ms. */
  latency(): { p50: number; p99: number } | undefined {
    const n = Math.min(this.latN, this.lat.length);
    if (n === 0) return undefined;
    const sorted = Array.from(this.lat.subarray(0, n)).sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * n))];
    return { p50: q(0.5), p99: q(0.99) };
  }
}
