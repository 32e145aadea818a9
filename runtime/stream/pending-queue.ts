/**
 * The queue in front of inference. While a batch runs, arriving windows wait here, one FIFO lane per sensor.
 * Fairness between sensors comes from scheduling, not from dropping: `take` serves the lanes round-robin
 * (max-min fair shares of the batch, the lanes served last going first next time), so one sensor's backlog is
 * scored in large batches without starving the others, and each sensor's windows leave in arrival order.
 *
 * Memory is the only bound: `maxBytes` of waiting windows, each costing `sizeOf(item)`. Only when a push would
 * pass it is anything shed, by this policy: the OLDEST window of the LONGEST lane goes first (the sensor that
 * floods pays before a quiet one loses anything, and a fresh window says more about the machine now than a stale
 * one), until the new window fits. One window is always held, whatever its size. Every shed window goes to `onShed`.
 */

/**
 * What each sensor may still add to the batch being assembled: `cap(sensor)` when first asked, less what it added
 * since. `begin` starts each batch; the inference loop's direct path and `take` count alike. Kept from batch to batch
 * (an entry per sensor, marked with the batch it counts for): a Map filled afresh per batch cost ~100 bytes a window.
 */
export class BatchRooms {
  private readonly left = new Map<string, { batch: number; n: number }>();
  private batch = 0;
  private cap: (sensor: string) => number = () => Number.POSITIVE_INFINITY;

  /** Count a new batch against `cap`. */
  begin(cap: (sensor: string) => number): this {
    this.cap = cap;
    this.batch++;
    // Sensors come and go: past this many entries, start over rather than keep the ones gone.
    if (this.left.size > MAX_ROOMS) this.left.clear();
    return this;
  }

  /** Windows `sensor` may still add. */
  of(sensor: string): number {
    return this.entry(sensor).n;
  }

  /** `sensor` added `k` windows. */
  use(sensor: string, k: number): void {
    this.entry(sensor).n -= k;
  }

  private entry(sensor: string): { batch: number; n: number } {
    let e = this.left.get(sensor);
    if (e === undefined) this.left.set(sensor, (e = { batch: this.batch, n: this.cap(sensor) }));
    else if (e.batch !== this.batch) {
      e.batch = this.batch;
      e.n = this.cap(sensor);
    }
    return e;
  }
}

/** Sensors a BatchRooms remembers before it starts over. */
const MAX_ROOMS = 16_384;

interface Lane<T> {
  sensor: string;
  /** Its windows are `items[head..tail)`; slots before `head` are already cleared. */
  items: T[];
  head: number;
  tail: number;
  /** When its length last changed (a counter): among equally long lanes, the one that got there first sheds first. */
  stamp: number;
  /** Emptied by shedding: no longer in `lanes`; its stale entry in the service order is dropped when reached. */
  gone: boolean;
  /** Served in the round being taken (cleared when the round ends). */
  served: boolean;
}

const laneLength = (l: Lane<unknown>) => l.tail - l.head;

/**
 * Emptied lanes the queue keeps for their sensors' next windows, beyond those waiting (past it, they are dropped).
 * A lane made afresh for each backlog (its array grown again, its map entry set and deleted) lived while the batches
 * ran, so through the scavenges ONNX Runtime's output buffers bring on inside the model call, and was promoted:
 * backlogs of 1,000 sensors in batches of 64, each scavenge found 530-810 KB alive and promoted 250-340 KB; lanes
 * kept, 260-340 KB and 125-150 KB (node --trace-gc-nvp).
 */
const MAX_IDLE_LANES = 16_384;
/** Slots a kept lane keeps (a large backlog's array is given up): at most ~16,384 x 250 B = 4 MB for kept lanes. */
const KEPT_SLOTS = 16;

/**
 * Per-sensor FIFO lanes, served round-robin, bounded by bytes; O(1) amortised per window. The index of lanes by
 * length that shedding needs is kept only while the queue holds more than half its bound (built in one pass over
 * the lanes when it gets there, dropped below a quarter): a backlog well under the bound pays nothing for it.
 */
export class PendingQueue<T extends { sensor: string }> {
  /** Lanes by sensor: those with waiting windows (`active` of them) and emptied ones kept for reuse. */
  private readonly lanes = new Map<string, Lane<T>>();
  /** Lanes with waiting windows (each in `order` once). */
  private active = 0;
  /**
   * The same lanes in service order, a deque (`order[front..]`): a new lane and a served lane that still waits go
   * to the back. An array rather than the map's own order, so serving a lane costs no map delete and insert.
   */
  private order: Lane<T>[] = [];
  private front = 0;
  /** Entries of `order` whose lane is gone (dropped when reached, or all at once when they pile up). */
  private stale = 0;
  /** What each sensor may still give the batch being taken (with a `cap`). */
  private readonly rooms = new BatchRooms();
  /** Lanes by length, so the longest is found in O(1) amortised when shedding; undefined while far from the bound. */
  private byLength: Map<number, Set<Lane<T>>> | undefined;
  private longest = 0;
  private clock = 0;
  private live = 0;
  private held = 0;

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (item: T) => number,
    private readonly onShed: (item: T) => void = () => {},
  ) {
    if (!(maxBytes > 0) || !Number.isFinite(maxBytes)) throw new Error(`maxPendingBytes must be a finite number > 0, got ${maxBytes}`);
  }

  /** Windows waiting. */
  get size(): number {
    return this.live;
  }

  /** Bytes the waiting windows cost, as `sizeOf` counts them. */
  get bytes(): number {
    return this.held;
  }

  /** Enqueue at the back of its sensor's lane, shedding the oldest windows of the longest lanes while it would not fit. */
  push(item: T): void {
    const cost = this.sizeOf(item);
    while (this.live > 0 && this.held + cost > this.maxBytes) this.shedOne();
    let lane = this.lanes.get(item.sensor);
    if (!lane) this.lanes.set(item.sensor, (lane = { sensor: item.sensor, items: [], head: 0, tail: 0, stamp: 0, gone: false, served: false }));
    const before = laneLength(lane);
    if (before === 0) {
      // A new lane, or an emptied one kept for its sensor: to the back of the service order.
      this.order.push(lane);
      this.active++;
    }
    if (lane.tail < lane.items.length) lane.items[lane.tail] = item;
    else lane.items.push(item);
    lane.tail++;
    lane.stamp = this.clock++;
    this.relength(lane, before);
    this.live++;
    this.held += cost;
    if (!this.byLength && this.held > this.maxBytes / 2) this.index();
  }

  /**
   * Take up to `max` windows: lanes round-robin, each its fair share of what is left, each lane's in arrival order.
   * `cap`: the most one sensor's lane may give to this batch (what is left of the block its next window opens,
   * runtime/scoring/input-blocks.ts); absent, no limit but the share.
   */
  take(max: number, cap?: (sensor: string) => number): T[] {
    const out: T[] = [];
    const rooms = cap && this.rooms.begin(cap);
    while (out.length < max && this.live > 0) {
      const taken = out.length;
      const share = Math.max(1, Math.floor((max - out.length) / this.active));
      // Each lane served gives at least one window, so a round serves at most max - out.length lanes: it looks at
      // lanes from the front until it has that many (or none is left), passing over lanes at their cap (they keep
      // their place for the next batch), and only then serves them.
      const want = max - out.length;
      const scanned: Lane<T>[] = [];
      const round: Lane<T>[] = [];
      while (round.length < want && this.front < this.order.length) {
        const lane = this.order[this.front];
        this.order[this.front++] = undefined as unknown as Lane<T>;
        if (lane.gone) {
          this.stale--;
          continue;
        }
        scanned.push(lane);
        if (!rooms || rooms.of(lane.sensor) > 0) round.push(lane);
      }
      for (const lane of round) {
        if (out.length >= max) break;
        const before = laneLength(lane);
        const k = Math.min(share, before, max - out.length, rooms ? rooms.of(lane.sensor) : before);
        rooms?.use(lane.sensor, k);
        for (let i = 0; i < k; i++) {
          const item = lane.items[lane.head + i];
          lane.items[lane.head + i] = undefined as unknown as T; // released now, not at the lane's next compaction
          this.held -= this.sizeOf(item);
          out.push(item);
        }
        lane.head += k;
        lane.stamp = this.clock++;
        this.live -= k;
        lane.served = true;
        this.relength(lane, before);
        // A served lane that still waits goes to the back; an empty one leaves.
        if (laneLength(lane) > 0) {
          this.compactLane(lane);
          this.order.push(lane);
        } else this.idle(lane);
      }
      // The lanes looked at but not served go back to the front, in their order (their slots were just freed).
      for (let i = scanned.length - 1; i >= 0; i--) {
        const lane = scanned[i];
        if (lane.served) lane.served = false;
        else this.order[--this.front] = lane;
      }
      // Every lane still waiting is at its cap: the batch is as full as it may be.
      if (out.length === taken) break;
    }
    this.compactOrder();
    if (this.lanes.size > MAX_IDLE_LANES + this.active) this.dropIdle();
    if (this.live === 0) this.held = 0; // no float drift when sizeOf is not an integer
    if (this.byLength && this.held < this.maxBytes / 4) this.byLength = undefined;
    return out;
  }

  /** Keep the service order's array proportional to the lanes it holds (shedding without takes leaves gone lanes). */
  private compactOrder(): void {
    if (this.active === 0) {
      this.order.length = 0;
      this.front = 0;
      this.stale = 0;
    } else if (this.stale > 1024 && this.stale > this.active) {
      this.order = this.order.slice(this.front).filter((lane) => !lane.gone);
      this.front = 0;
      this.stale = 0;
    } else if (this.front > 1024 && this.front * 2 > this.order.length) {
      this.order = this.order.slice(this.front);
      this.front = 0;
    }
  }

  /** Build the index of lanes by length from the lanes, each bucket in the order its lanes reached that length. */
  private index(): void {
    this.byLength = new Map();
    this.longest = 0;
    for (const lane of [...this.lanes.values()].filter((l) => laneLength(l) > 0).sort((a, b) => a.stamp - b.stamp)) this.relength(lane, 0);
  }

  private shedOne(): void {
    if (!this.byLength) this.index();
    const byLength = this.byLength!;
    while (this.longest > 0 && !byLength.get(this.longest)?.size) this.longest--;
    const lane = byLength.get(this.longest)!.values().next().value!;
    const item = lane.items[lane.head];
    lane.items[lane.head++] = undefined as unknown as T;
    lane.stamp = this.clock++;
    this.live--;
    this.held -= this.sizeOf(item);
    this.relength(lane, this.longest);
    if (laneLength(lane) === 0) {
      // Its entry stays in the service order until reached: the lane object is not reused (a new one comes).
      this.lanes.delete(lane.sensor);
      this.active--;
      lane.gone = true;
      this.stale++;
      this.compactOrder();
    } else this.compactLane(lane);
    this.onShed(item);
  }

  /** Move a lane to the bucket of its new length (it had `before` windows), while the index is kept. */
  private relength(lane: Lane<T>, before: number): void {
    const byLength = this.byLength;
    if (!byLength) return;
    const now = laneLength(lane);
    if (now === before) return;
    if (before > 0) {
      const b = byLength.get(before)!;
      b.delete(lane);
      if (b.size === 0) byLength.delete(before);
    }
    if (now > 0) {
      let b = byLength.get(now);
      if (!b) byLength.set(now, (b = new Set()));
      b.add(lane);
      if (now > this.longest) this.longest = now;
    }
  }

  /** Keep a lane's array proportional to what it holds (windows taken from the front are released). */
  private compactLane(lane: Lane<T>): void {
    if (lane.head > 1024 && lane.head * 2 > lane.tail) {
      lane.items = lane.items.slice(lane.head, lane.tail);
      lane.tail -= lane.head;
      lane.head = 0;
    }
  }

  /** A lane emptied by a take: kept in `lanes` (out of the service order) for its sensor's next windows. */
  private idle(lane: Lane<T>): void {
    this.active--;
    lane.head = 0;
    lane.tail = 0;
    if (lane.items.length > KEPT_SLOTS) lane.items = [];
  }

  /** Past MAX_IDLE_LANES emptied lanes (sensors come and go): drop them all. */
  private dropIdle(): void {
    for (const [sensor, lane] of this.lanes) if (laneLength(lane) === 0) this.lanes.delete(sensor);
  }
}
