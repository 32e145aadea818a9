/**
 * The bounded queue in front of inference. When inference cannot keep up, windows wait here; a sensor never
 * holds more than `maxPerSensor` of them and the queue never more than `maxTotal`; on overflow the OLDEST
 * window (of that sensor, or of the whole queue) is dropped, because a fresh window says more about the
 * machine now than a stale one. Every drop is reported to `onDrop` with its reason.
 */

/** Why a window was dropped from the queue. */
export type DropReason = 'sensor-backlog' | 'queue-full';

interface Entry<T> {
  item: T;
  dropped: boolean;
}

/** FIFO across sensors with per-sensor and total bounds, O(1) amortised per operation. */
export class PendingQueue<T extends { sensor: string }> {
  private fifo: Entry<T>[] = [];
  private head = 0;
  private live = 0;
  private readonly bySensor = new Map<string, Entry<T>[]>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerSensor: number,
    private readonly onDrop: (reason: DropReason, item: T) => void = () => {},
  ) {
    if (!Number.isInteger(maxTotal) || maxTotal < 1) throw new Error(`maxPending must be an integer >= 1, got ${maxTotal}`);
    if (!Number.isInteger(maxPerSensor) || maxPerSensor < 1) throw new Error(`maxPendingPerSensor must be an integer >= 1, got ${maxPerSensor}`);
  }

  /** Windows waiting. */
  get size(): number {
    return this.live;
  }

  /** Enqueue, dropping the oldest window of the sensor or of the queue when a bound is reached. */
  push(item: T): void {
    let own = this.bySensor.get(item.sensor);
    if (own && own.length >= this.maxPerSensor) this.drop(own.shift()!, 'sensor-backlog');
    if (this.live >= this.maxTotal) this.drop(this.oldestLive()!, 'queue-full', true);
    own = this.bySensor.get(item.sensor);
    if (!own) this.bySensor.set(item.sensor, (own = []));
    const e = { item, dropped: false };
    own.push(e);
    this.fifo.push(e);
    this.live++;
  }

  /** Take up to `max` windows in arrival order. */
  take(max: number): T[] {
    const out: T[] = [];
    while (out.length < max && this.live > 0) {
      const e = this.oldestLive()!;
      this.head++;
      this.removeFromSensor(e);
      this.live--;
      out.push(e.item);
    }
    this.compact();
    return out;
  }

  private oldestLive(): Entry<T> | undefined {
    while (this.head < this.fifo.length && this.fifo[this.head].dropped) this.head++;
    return this.fifo[this.head];
  }

  private drop(e: Entry<T>, reason: DropReason, removeFromSensor = false): void {
    e.dropped = true;
    if (removeFromSensor) this.removeFromSensor(e);
    else if (this.bySensor.get(e.item.sensor)?.length === 0) this.bySensor.delete(e.item.sensor);
    this.live--;
    this.onDrop(reason, e.item);
    this.compact();
  }

  /** The entry is always the front of its sensor's list, because per-sensor order is arrival order. */
  private removeFromSensor(e: Entry<T>): void {
    const own = this.bySensor.get(e.item.sensor)!;
    own.shift();
    if (own.length === 0) this.bySensor.delete(e.item.sensor);
  }

  /** Keep the backing array proportional to the live windows, tombstones included. */
  private compact(): void {
    const held = this.fifo.length - this.head;
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    } else if (held > 2 * this.live + 1024) {
      this.fifo = this.fifo.slice(this.head).filter((e) => !e.dropped);
      this.head = 0;
    }
    if (this.live === 0) {
      this.fifo = [];
      this.head = 0;
    }
  }
}
