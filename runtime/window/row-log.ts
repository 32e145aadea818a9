/**
 * One sensor's recent rows (C channels each, scaled), addressed by row number, for windows that are views rather
 * than copies: a window of W rows ending at row `e` is rows e-W+1..e of its sensor's log, copied out only when its
 * batch is assembled. The log keeps the last W rows (the window being filled) and, while windows wait, every row
 * the oldest waiting one needs; it grows (doubling) while a backlog waits and shrinks back when none does, so a
 * backlog of N windows costs about N x stride rows, not N x W. Waiting windows are released in row order (each
 * sensor's windows are batched and shed oldest first), which is all the log needs to know what it may forget.
 */
import type { Scaler } from '../scaling/scaler.ts';

/** A growable ring of rows that keeps what waiting windows still need. */
export class RowLog {
  private buf: Float32Array;
  /** Rows the buffer holds at most. */
  private cap: number;
  /** Oldest row number held. */
  private start: number;
  /** Next row number to write (rows written so far, counting from the log's first row number). */
  private end: number;
  /** Windows cut and not yet materialised or shed. */
  private waiting = 0;
  /** Oldest row a waiting window needs (meaningful while `waiting` > 0). */
  private floor = 0;

  /**
   * @param first row number of the first row written (a log forked after a hot reload continues the numbering).
   */
  constructor(
    readonly window: number,
    readonly channels: number,
    /** The scale the rows are expressed in (hot reload re-expresses them, or forks the log while windows wait). */
    public scaler: Scaler,
    first = 0,
    /** Rows between two windows cut from this log: what each waiting window adds to it (memory accounting). */
    readonly stride = 1,
  ) {
    this.cap = window;
    this.buf = new Float32Array(window * channels);
    this.start = first;
    this.end = first;
  }

  /** Values a window materialises to (W x C). */
  get width(): number {
    return this.window * this.channels;
  }

  /** Row number the next `push` gets. */
  get next(): number {
    return this.end;
  }

  /** Rows held (for tests and memory accounting). */
  get held(): number {
    return this.end - this.start;
  }

  /** Append one row (length C, already scaled); returns its row number. */
  push(row: ArrayLike<number>): number {
    const n = this.end;
    const live = n + 1 - this.window;
    const need = this.waiting > 0 && this.floor < live ? this.floor : live;
    if (need > this.start) this.start = need;
    if (n + 1 - this.start > this.cap) this.resize(this.cap * 2);
    const C = this.channels;
    const at = (n % this.cap) * C;
    for (let c = 0; c < C; c++) this.buf[at + c] = row[c];
    this.end = n + 1;
    return n;
  }

  /** A window ending at row `last` now waits for its batch: its rows stay until it is released. */
  hold(last: number): void {
    if (this.waiting++ === 0) this.floor = last + 1 - this.window;
  }

  /**
   * The window ending at row `last` was materialised or shed. Windows are released in row order, so the next
   * waiting one ends after `last` and needs no row before last + 2 - W.
   */
  release(last: number): void {
    if (this.waiting === 0) return;
    if (--this.waiting === 0) {
      // A drained backlog gives its memory back (the live window stays).
      if (this.cap >= 4 * this.window) {
        this.start = Math.max(this.start, this.end + 1 - this.window);
        this.resize(this.window);
      }
    } else this.floor = last + 2 - this.window;
  }

  /** Copy the window ending at row `last` (oldest row first, time-major W x C) into `out` at `offset`. */
  copyWindow(last: number, out: Float32Array, offset: number): void {
    const first = last + 1 - this.window;
    if (first < this.start || last >= this.end) throw new Error(`RowLog: rows ${first}..${last} are not held (held ${this.start}..${this.end - 1})`);
    // At most two contiguous runs of the ring: memcpy-speed set() beats a per-value loop 5-7x (W 64 x C 8).
    const C = this.channels;
    const at = (first % this.cap) * C;
    const len = this.window * C;
    const wrap = at + len - this.cap * C;
    if (wrap <= 0) out.set(this.buf.subarray(at, at + len), offset);
    else {
      out.set(this.buf.subarray(at), offset);
      out.set(this.buf.subarray(0, wrap), offset + len - wrap);
    }
  }

  /** Copy row `n` (C values) into `out`. */
  copyRow(n: number, out: Float32Array): void {
    if (n < this.start || n >= this.end) throw new Error(`RowLog: row ${n} is not held (held ${this.start}..${this.end - 1})`);
    const at = (n % this.cap) * this.channels;
    out.set(this.buf.subarray(at, at + this.channels));
  }

  /** Every held row's channel c becomes `x * a[c] + b[c]`, in place (hot reload re-expresses the rows in another scale). */
  rescale(a: ArrayLike<number>, b: ArrayLike<number>): void {
    const C = this.channels;
    const buf = this.buf;
    for (let c = 0; c < C; c++) for (let i = c; i < buf.length; i += C) buf[i] = buf[i] * a[c] + b[c];
  }

  /** A new log holding this one's last W rows (the live window), numbered alike, for a sensor whose rows change scale while windows wait here. */
  fork(): RowLog {
    const f = new RowLog(this.window, this.channels, this.scaler, Math.max(this.start, this.end - this.window), this.stride);
    const C = this.channels;
    for (let n = f.end; n < this.end; n++) {
      const at = (n % this.cap) * C;
      f.push(this.buf.subarray(at, at + C));
    }
    return f;
  }

  /** Whether windows wait on this log. */
  get hasWaiting(): boolean {
    return this.waiting > 0;
  }

  private resize(cap: number): void {
    const C = this.channels;
    const next = new Float32Array(cap * C);
    for (let n = this.start; n < this.end; n++) {
      const from = (n % this.cap) * C;
      next.set(this.buf.subarray(from, from + C), (n % cap) * C);
    }
    this.buf = next;
    this.cap = cap;
  }
}
