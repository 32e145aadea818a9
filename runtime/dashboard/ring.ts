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
