/** A fixed-capacity ring of rows, each tagged with a sequence number so a client can ask for what is new. */

/** Rows kept in arrival order, oldest dropped first; memory is bounded by `capacity`. */
export class PointRing<T> {
  private rows: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** Sequence number of the next row pushed (the total ever pushed). */
  seq = 0;

  constructor(public capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be an integer >= 1, got ${capacity}`);
    this.rows = new Array<T | undefined>(capacity);
  }

  /** Change the capacity, keeping the newest rows (sequence numbers and cursors stay valid). */
  resize(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be an integer >= 1, got ${capacity}`);
    const kept = this.since().slice(-capacity);
    this.rows = new Array<T | undefined>(capacity);
    for (let i = 0; i < kept.length; i++) this.rows[i] = kept[i];
    this.capacity = capacity;
    this.count = kept.length;
    this.head = kept.length % capacity;
  }

  /** Append a row, dropping the oldest when full. */
  push(row: T): void {
    this.rows[this.head] = row;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.seq++;
  }

  /** Rows currently held. */
  get size(): number {
    return this.count;
  }

  /** The newest row, if any. */
  last(): T | undefined {
    return this.count ? this.rows[(this.head - 1 + this.capacity) % this.capacity] : undefined;
  }

  /** Rows with sequence number >= `from` that are still held, oldest first (all rows when from = 0). */
  since(from = 0): T[] {
    const available = Math.min(this.count, Math.max(0, this.seq - from));
    const out = new Array<T>(available);
    const start = (this.head - available + this.capacity) % this.capacity;
    for (let i = 0; i < available; i++) out[i] = this.rows[(start + i) % this.capacity] as T;
    return out;
  }
}

/**
 * The same ring for numeric rows of a fixed width, held in one Float64Array: ~8 bytes a value instead of a
 * JS array per row (an order of magnitude less heap with thousands of sensors).
 */
export class RowRing {
  private buf: Float64Array;
  private head = 0;
  private count = 0;
  /** Sequence number of the next row pushed (the total ever pushed). */
  seq = 0;

  constructor(
    public capacity: number,
    readonly width: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be an integer >= 1, got ${capacity}`);
    if (!Number.isInteger(width) || width < 1) throw new Error(`row width must be an integer >= 1, got ${width}`);
    this.buf = new Float64Array(capacity * width);
  }

  /** Append a row (missing values are NaN, extra ones dropped), dropping the oldest when full. */
  push(row: ArrayLike<number>): void {
    const w = this.width;
    const at = this.head * w;
    for (let i = 0; i < w; i++) this.buf[at + i] = i < row.length ? row[i] : NaN;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.seq++;
  }

  /** Rows currently held. */
  get size(): number {
    return this.count;
  }

  /** The newest row, if any. */
  last(): number[] | undefined {
    if (!this.count) return undefined;
    const at = ((this.head - 1 + this.capacity) % this.capacity) * this.width;
    return Array.from(this.buf.subarray(at, at + this.width));
  }

  /** Rows with sequence number >= `from` that are still held, oldest first, as plain arrays (for JSON). */
  since(from = 0): number[][] {
    const available = Math.min(this.count, Math.max(0, this.seq - from));
    const start = (this.head - available + this.capacity) % this.capacity;
    const out = new Array<number[]>(available);
    for (let i = 0; i < available; i++) {
      const at = ((start + i) % this.capacity) * this.width;
      out[i] = Array.from(this.buf.subarray(at, at + this.width));
    }
    return out;
  }

  /** Change the capacity, keeping the newest rows (sequence numbers and cursors stay valid). */
  resize(capacity: number): void {
    this.replace(capacity, this.width);
  }

  /** A ring of another width with the same rows (new columns NaN), e.g. when a sensor gains a channel. */
  widen(width: number): RowRing {
    const r = new RowRing(this.capacity, width);
    for (const row of this.since()) r.push(row);
    r.seq = this.seq;
    return r;
  }

  private replace(capacity: number, width: number): void {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be an integer >= 1, got ${capacity}`);
    const kept = this.since().slice(-capacity);
    this.buf = new Float64Array(capacity * width);
    this.capacity = capacity;
    this.count = 0;
    this.head = 0;
    const seq = this.seq;
    for (const row of kept) this.push(row);
    this.seq = seq;
  }
}
