/**
 * When a window is due, the one rule of every windowing in vigil (WindowRing offline, windowBySensor live): the
 * first time W rows are held, then every `stride` rows. Counts rows only; the rows themselves live elsewhere.
 */
export class WindowCadence {
  private filled = 0;
  private sinceEmit = 0;

  constructor(
    readonly window: number,
    readonly stride = 1,
  ) {}

  /** Count one more row; true when a window ends at it. */
  next(): boolean {
    if (this.filled < this.window) this.filled++;
    if (this.filled < this.window) return false;
    if (this.sinceEmit === 0 || this.sinceEmit >= this.stride) {
      this.sinceEmit = 1;
      return true;
    }
    this.sinceEmit++;
    return false;
  }

  /** Rows counted since the last reset, at most W. */
  get held(): number {
    return this.filled;
  }

  /** Start over (a gap in the stream): the next window is due after W more rows. */
  reset(): void {
    this.filled = 0;
    this.sinceEmit = 0;
  }
}
