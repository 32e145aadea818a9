/**
 * A fixed-size window of the last W rows of C channels, for offline windowing (`slidingWindows`: `vigil score`,
 * training). Emits a window by the same cadence as the live per-sensor logs (runtime/window/cadence.ts).
 */
import { WindowCadence } from './cadence.ts';

export class WindowRing {
  private readonly buf: Float32Array;
  private head = 0; // next row slot to write
  private readonly cadence: WindowCadence;

  constructor(
    readonly window: number,
    readonly channels: number,
    readonly stride = 1,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new Error(`window must be an integer >= 1, got ${window}`);
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`channels must be an integer >= 1, got ${channels}`);
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`stride must be an integer >= 1, got ${stride}`);
    this.buf = new Float32Array(window * channels);
    this.cadence = new WindowCadence(window, stride);
  }

  /** Append one row (length C); returns true when a window is due (full and on the stride). */
  push(row: ArrayLike<number>): boolean {
    const c = this.channels;
    this.buf.set(row.length === c ? row : Array.from(row).slice(0, c), this.head * c);
    this.head = (this.head + 1) % this.window;
    return this.cadence.next();
  }

  /** Rows currently held (at most W). */
  get size(): number {
    return this.cadence.held;
  }

  /** Whether W rows are held. */
  get full(): boolean {
    return this.cadence.held === this.window;
  }

  /** Copy the window, oldest row first, into `out` at `offset` (time-major, W x C). */
  copyTo(out: Float32Array, offset = 0): Float32Array {
    const c = this.channels;
    const tail = (this.window - this.head) * c; // rows from head to end are the oldest
    out.set(this.buf.subarray(this.head * c), offset);
    out.set(this.buf.subarray(0, this.head * c), offset + tail);
    return out;
  }

  /** A fresh copy of the window (W x C, oldest first). */
  snapshot(): Float32Array {
    return this.copyTo(new Float32Array(this.window * this.channels));
  }

  /** The live backing buffer (W x C, row slots in write order, not oldest first): for in-place transforms of every held row. */
  rows(): Float32Array {
    return this.buf;
  }

  /** Forget everything (e.g. after a gap in the stream). */
  reset(): void {
    this.head = 0;
    this.cadence.reset();
  }
}
