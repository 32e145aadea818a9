/**
 * Devices seen splitting one row over several DATA messages (Sparkplug): a message whose first metrics are stamped
 * within the tolerance of the row emitted last for the device, with none of its channels, is the rest of that row.
 * It comes too late for it (the window stage refuses it as a `timestamp_conflict`, counted); from then on the
 * device's partial rows wait in the joiner (row-joiner.ts) for the rest, or for the device's next row. A device
 * reporting by exception (partial rows, each stamped anew) is not held; one taken for a splitter by two such
 * messages close together is let go after two rows in a row that never completed.
 */
import type { Reading } from '../stream/types.ts';

/** Rows in a row emitted incomplete after which a device is no longer taken for one that splits its rows. */
const LET_GO_AFTER = 2;

/** What is known of each device's rows. */
export class SplitRows {
  private readonly last = new Map<string, { ts: number; channels: string[] }>();
  /** Splitting devices, with the rows in a row emitted incomplete since they were last complete. */
  private readonly splitting = new Map<string, number>();

  constructor(
    /** The card's channel count: a row with this many values is complete. */
    private readonly channels: number,
    private readonly toleranceMs: number,
    private readonly maxSensors = 100_000,
  ) {}

  /** Whether `sensor` splits its rows (its partial rows wait for the rest). */
  has(sensor: string): boolean {
    return this.splitting.has(sensor);
  }

  /** A message's first row (`ts`, `values`) for `sensor`: note whether it is the rest of the row emitted last. */
  notice(sensor: string, ts: number, values: Readonly<Record<string, number>>): void {
    const prev = this.last.get(sensor);
    if (!prev || this.splitting.has(sensor) || Math.abs(ts - prev.ts) > this.toleranceMs) return;
    if (prev.channels.some((ch) => Object.hasOwn(values, ch))) return;
    if (this.splitting.size >= this.maxSensors) this.splitting.delete(this.splitting.keys().next().value as string);
    this.splitting.set(sensor, 0);
  }

  /** A row emitted for `sensor`, in order. */
  emitted(sensor: string, r: Reading): void {
    const channels = Object.keys(r.values);
    this.last.delete(sensor);
    if (this.last.size >= this.maxSensors) this.last.delete(this.last.keys().next().value as string);
    this.last.set(sensor, { ts: r.ts, channels });
    const misses = this.splitting.get(sensor);
    if (misses === undefined) return;
    if (channels.length >= this.channels) this.splitting.set(sensor, 0);
    else if (misses + 1 >= LET_GO_AFTER) this.splitting.delete(sensor);
    else this.splitting.set(sensor, misses + 1);
  }
}
