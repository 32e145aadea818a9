/**
 * The readings reorderBySensor holds for one subscription: per sensor, held readings sorted by timestamp and the
 * sensor's disorder state; over all sensors, one queue in order of when each hold ends, and one timer for the
 * soonest. Memory is bounded by count (per sensor and in all; past either the reading due soonest leaves early) and
 * by the number of sensors tracked.
 */
import type { SchedulerLike, Subscriber, Subscription } from 'rxjs';
import type { PipelineCounters } from './counters.ts';
import type { Reading } from './types.ts';

/** The bounds and timings the buffer holds by (reorderBySensor's options with their defaults). */
export interface ReorderBounds {
  reorderMs: number;
  reorderAlways: boolean;
  reorderArmMs: number;
  reorderMaxPerSensor: number;
  reorderMaxReadings: number;
  maxSensors: number;
  /** A bound on the readings held in all that moves (the live runtime's: what a stop could still score), read at each hold. */
  maxHeld?: () => number;
}

interface Held {
  r: Reading;
  /** Scheduler time at which the hold ends. */
  due: number;
  /** Released (early, or with a later-stamped one): its entry in the due queue is stale. */
  done: boolean;
  s: SensorOrder;
}

interface SensorOrder {
  /** Latest timestamp released. */
  lastTs: number;
  /** Latest timestamp seen (released or held). */
  maxTs: number;
  /** Hold this sensor's readings until then (scheduler time). */
  armedUntil: number;
  /** Held readings sorted by timestamp (equal ones in arrival order), live from `head`. */
  held: Held[];
  head: number;
}

const RELEASED = undefined as unknown as Held;

/** Held readings of one reorderBySensor subscription, released in timestamp order to `out`. */
export class ReorderBuffer {
  private readonly sensors = new Map<string, SensorOrder>();
  /** Every held reading in arrival order, i.e. in order of `due`; entries of released ones are stale. */
  private queue: Held[] = [];
  private qHead = 0;
  private held = 0;
  private timer: Subscription | undefined;

  constructor(
    private readonly o: ReorderBounds,
    private readonly counters: PipelineCounters,
    private readonly scheduler: SchedulerLike,
    private readonly out: Subscriber<Reading>,
  ) {}

  /** A reading arrives: pass it on, or hold it until older ones of its sensor may arrive. */
  push(r: Reading): void {
    if (!Number.isFinite(r.ts)) return this.out.next(r); // the window stage counts it as unusable
    const s = r.arrival ? this.sensors.get(r.sensor) : this.stateOf(r.sensor);
    if (r.arrival) {
      // In order by construction; what the sensor held before leaves first.
      if (s && s.head < s.held.length) this.releaseUpTo(s, Number.POSITIVE_INFINITY);
      return this.out.next(r);
    }
    if (!s) return this.out.next(r);
    // The clock is read only where it can matter: an in-order reading of a sensor never out of order, with nothing
    // held, passes on without it (one call less per reading of a calm stream).
    const calm = r.ts >= s.maxTs && s.armedUntil === Number.NEGATIVE_INFINITY && !this.o.reorderAlways && s.head === s.held.length;
    const now = calm ? 0 : this.scheduler.now();
    if (r.ts < s.maxTs) s.armedUntil = now + this.o.reorderArmMs;
    else s.maxTs = r.ts;
    // Older than what already left: too late to put back; the window stage counts it.
    if (r.ts < s.lastTs) return this.out.next(r);
    if (this.o.reorderAlways || now < s.armedUntil || s.head < s.held.length) return this.hold(s, r, now);
    s.lastTs = r.ts;
    this.out.next(r);
  }

  /**
   * The window stage stepped `sensor`'s clock back (a glitch undone, or a clock set back for good): its order starts
   * from the next reading, not from timestamps of the clock it left (a review: every new-clock reading passed as too
   * late to put back, reordering off until real time passed the old clock).
   */
  resetClock(sensor: string): void {
    const s = this.sensors.get(sensor);
    if (!s) return;
    s.lastTs = Number.NEGATIVE_INFINITY;
    s.maxTs = Number.NEGATIVE_INFINITY;
  }

  /** Release every held reading (before an error or the end is passed on: none is lost). */
  releaseAll(): void {
    for (const s of this.sensors.values()) if (s.head < s.held.length) this.releaseUpTo(s, Number.POSITIVE_INFINITY);
    this.queue = [];
    this.qHead = 0;
  }

  /** Unsubscribed: stop the timer and forget everything held. */
  clear(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.setHeld(0);
    this.sensors.clear();
    this.queue = [];
  }

  private setHeld(n: number): void {
    this.counters.reorderHeld += n - this.held;
    this.held = n;
  }

  /** Release the sensor's held readings stamped at or before `ts`, in timestamp order. */
  private releaseUpTo(s: SensorOrder, ts: number): void {
    let n = 0;
    while (s.head < s.held.length && s.held[s.head].r.ts <= ts) {
      const h = s.held[s.head];
      s.held[s.head++] = RELEASED;
      h.done = true;
      n++;
      if (h.r.ts > s.lastTs) s.lastTs = h.r.ts;
      this.out.next(h.r);
    }
    if (s.head === s.held.length) {
      s.held = [];
      s.head = 0;
    } else if (s.head > 1024 && s.head * 2 > s.held.length) {
      s.held = s.held.slice(s.head);
      s.head = 0;
    }
    this.setHeld(this.held - n);
  }

  /** Release what is due at `now` (or, with `force`, the one due soonest), then wait for the next. */
  private expire(now: number, force = false): void {
    while (this.qHead < this.queue.length) {
      const h = this.queue[this.qHead];
      if (!h.done && h.due > now && !force) break;
      this.queue[this.qHead++] = RELEASED;
      if (h.done) continue;
      this.releaseUpTo(h.s, h.r.ts);
      if (force) break;
    }
    // Keep the queue proportional to what it holds (entries of readings released early are skipped above).
    if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    if (this.queue.length - this.qHead > 2 * this.held + 1024) {
      this.queue = this.queue.slice(this.qHead).filter((h) => !h.done);
      this.qHead = 0;
    }
    this.arm();
  }

  /** Wait for the soonest hold to end, unless a timer already waits or nothing is held. */
  private arm(): void {
    const queue = this.queue;
    while (this.qHead < queue.length && queue[this.qHead].done) queue[this.qHead++] = RELEASED;
    if (this.timer || this.qHead === queue.length) return;
    const wait = Math.max(0, queue[this.qHead].due - this.scheduler.now());
    this.timer = this.scheduler.schedule(() => {
      this.timer = undefined;
      this.expire(this.scheduler.now());
    }, wait);
  }

  private stateOf(id: string): SensorOrder {
    let s = this.sensors.get(id);
    if (s) return s;
    if (this.sensors.size >= this.o.maxSensors) this.forget();
    s = { lastTs: Number.NEGATIVE_INFINITY, maxTs: Number.NEGATIVE_INFINITY, armedUntil: Number.NEGATIVE_INFINITY, held: [], head: 0 };
    this.sensors.set(id, s);
    return s;
  }

  /** Make room: forget sensors that hold nothing, calm ones first (amortised: at least a quarter go). */
  private forget(): void {
    const { sensors } = this;
    const now = this.scheduler.now();
    for (const [id, s] of sensors) if (s.head === s.held.length && s.armedUntil <= now) sensors.delete(id);
    for (const [id, s] of sensors) {
      if (sensors.size <= (this.o.maxSensors * 3) / 4) break;
      if (s.head === s.held.length) sensors.delete(id);
    }
  }

  private hold(s: SensorOrder, r: Reading, now: number): void {
    const h: Held = { r, due: now + this.o.reorderMs, done: false, s };
    // Sorted insert from the back: in-order readings append in O(1).
    let i = s.held.length;
    while (i > s.head && s.held[i - 1].r.ts > r.ts) i--;
    if (i < s.held.length) this.counters.reordered++;
    s.held.splice(i, 0, h);
    this.queue.push(h);
    this.setHeld(this.held + 1);
    if (s.held.length - s.head > this.o.reorderMaxPerSensor) this.releaseUpTo(s, s.held[s.head].r.ts);
    const most = this.o.maxHeld ? Math.min(this.o.reorderMaxReadings, this.o.maxHeld()) : this.o.reorderMaxReadings;
    while (this.held > most) this.expire(now, true);
    this.arm();
  }
}
