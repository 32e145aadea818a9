/**
 * Reading -> Reading, each sensor's readings put back in timestamp order before windowing. A QoS 1 session that
 * a broker restores after a crash redelivers some readings after newer ones; the window stage keeps each sensor's
 * rows in order and drops a reading older than the sensor's last, so without this stage those readings are lost.
 *
 * A sensor's readings are held up to `reorderMs` (scheduler time, i.e. arrival) and released in timestamp order:
 * when a held reading's time is up, it and every held reading of that sensor stamped at or before it leave. By
 * default a sensor holds nothing until it shows disorder (a reading older than one already seen), and then holds
 * for `reorderArmMs` after its last disorder: in-order streams keep today's latency, and a broker restart, whose
 * first redeliveries are older than what the sensor already sent, turns holding on before the reordered rest
 * arrives. `reorderAlways` holds every reading. Nothing is dropped here: a reading older than what was already
 * released passes on at once, and the window stage counts it (`out_of_order`, `duplicate`). Arrival-stamped
 * readings (`Reading.arrival`) are in order by construction and never held.
 *
 * Memory is bounded by count: at most `reorderMaxPerSensor` held per sensor and `reorderMaxReadings` in all (past
 * either, the reading due soonest is released early, so a bound costs order, never data), and disorder is tracked
 * for at most `maxSensors` sensors.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { definedOnly } from '../util/options.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import type { Reading } from './types.ts';

/** Options of `reorderBySensor`; every field but `scheduler` and `counters` is a `window.*` config key. */
export interface ReorderBySensorOptions {
  /** Hold a reading at most this long (ms) for older ones to arrive; 0 turns the stage off. */
  reorderMs?: number;
  /** Hold every reading, not only a sensor's readings for `reorderArmMs` after it showed disorder. */
  reorderAlways?: boolean;
  /** After a sensor's last reading older than one already seen, hold its readings this long (ms). */
  reorderArmMs?: number;
  /** Readings held at most per sensor (past it the oldest leaves early). */
  reorderMaxPerSensor?: number;
  /** Readings held at most over all sensors (past it the one due soonest leaves early). */
  reorderMaxReadings?: number;
  /** Sensors whose order is tracked (the window stage's capacity); beyond it idle ones are forgotten. */
  maxSensors?: number;
  /** Counters to increment (`reordered`, gauge `reorderHeld`); a fresh set when omitted. */
  counters?: PipelineCounters;
  /** Scheduler of the hold (tests pass the TestScheduler). */
  scheduler?: SchedulerLike;
}

/**
 * Defaults of `reorderBySensor` (config `window.*`). Holding every reading would add the hold to every alert
 * (bench/sustained.ts, 100 sensors at 2,000/s: p50 publish -> alert 272 ms with 250 ms always held, 5.5 ms with
 * these defaults, 7.6 ms with the stage off), so a sensor holds only after it showed disorder. While it holds,
 * the hold is latency for each of its readings; 1 s spans a broker's redelivery burst after a restart
 * (docs/pipeline.md, "Reordering").
 */
export const REORDER_DEFAULTS = {
  reorderMs: 1000,
  reorderAlways: false,
  reorderArmMs: 60_000,
  reorderMaxPerSensor: 8192,
  reorderMaxReadings: 32_768,
} as const;

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

/** Put each sensor's readings back in timestamp order, holding them at most `reorderMs`. */
export function reorderBySensor(opts: ReorderBySensorOptions = {}): OperatorFunction<Reading, Reading> {
  const o = { ...REORDER_DEFAULTS, maxSensors: 10_000, ...definedOnly(opts) };
  const counters = opts.counters ?? createCounters();
  const scheduler = opts.scheduler ?? asyncScheduler;
  for (const key of ['reorderMs', 'reorderArmMs'] as const) {
    if (!(o[key] >= 0) || !Number.isFinite(o[key])) throw new Error(`reorderBySensor: ${key} must be a finite number >= 0, got ${o[key]}`);
  }
  for (const key of ['reorderMaxPerSensor', 'reorderMaxReadings', 'maxSensors'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`reorderBySensor: ${key} must be an integer >= 1, got ${o[key]}`);
  }
  if (o.reorderMs === 0) return (source) => source;

  return (source) =>
    new Observable<Reading>((subscriber) => {
      const sensors = new Map<string, SensorOrder>();
      /** Every held reading in arrival order, i.e. in order of `due`; entries of released ones are stale. */
      let queue: Held[] = [];
      let qHead = 0;
      let held = 0;
      let timer: Subscription | undefined;

      const emit = (r: Reading) => subscriber.next(r);
      const setHeld = (n: number) => {
        counters.reorderHeld += n - held;
        held = n;
      };

      /** Release the sensor's held readings stamped at or before `ts`, in timestamp order. */
      const releaseUpTo = (s: SensorOrder, ts: number) => {
        let n = 0;
        while (s.head < s.held.length && s.held[s.head].r.ts <= ts) {
          const h = s.held[s.head];
          s.held[s.head++] = undefined as unknown as Held;
          h.done = true;
          n++;
          if (h.r.ts > s.lastTs) s.lastTs = h.r.ts;
          emit(h.r);
        }
        if (s.head === s.held.length) {
          s.held = [];
          s.head = 0;
        } else if (s.head > 1024 && s.head * 2 > s.held.length) {
          s.held = s.held.slice(s.head);
          s.head = 0;
        }
        setHeld(held - n);
      };

      const releaseAll = () => {
        for (const s of sensors.values()) if (s.head < s.held.length) releaseUpTo(s, Number.POSITIVE_INFINITY);
        queue = [];
        qHead = 0;
      };

      /** Release what is due at `now` (or, with `force`, the one due soonest), then wait for the next. */
      const expire = (now: number, force = false) => {
        while (qHead < queue.length) {
          const h = queue[qHead];
          if (!h.done && h.due > now && !force) break;
          queue[qHead++] = undefined as unknown as Held;
          if (h.done) continue;
          releaseUpTo(h.s, h.r.ts);
          if (force) break;
        }
        // Keep the queue proportional to what it holds (entries of readings released early are skipped above).
        if (qHead > 1024 && qHead * 2 > queue.length) {
          queue = queue.slice(qHead);
          qHead = 0;
        }
        if (queue.length - qHead > 2 * held + 1024) {
          queue = queue.slice(qHead).filter((h) => !h.done);
          qHead = 0;
        }
        arm();
      };

      const arm = () => {
        while (qHead < queue.length && queue[qHead].done) queue[qHead++] = undefined as unknown as Held;
        if (timer || qHead === queue.length) return;
        const wait = Math.max(0, queue[qHead].due - scheduler.now());
        timer = scheduler.schedule(() => {
          timer = undefined;
          expire(scheduler.now());
        }, wait);
      };

      const stateOf = (id: string): SensorOrder => {
        let s = sensors.get(id);
        if (s) return s;
        if (sensors.size >= o.maxSensors) forget();
        s = { lastTs: Number.NEGATIVE_INFINITY, maxTs: Number.NEGATIVE_INFINITY, armedUntil: Number.NEGATIVE_INFINITY, held: [], head: 0 };
        sensors.set(id, s);
        return s;
      };

      /** Make room: forget sensors that hold nothing, calm ones first (amortised: at least a quarter go). */
      const forget = () => {
        const now = scheduler.now();
        for (const [id, s] of sensors) if (s.head === s.held.length && s.armedUntil <= now) sensors.delete(id);
        for (const [id, s] of sensors) {
          if (sensors.size <= (o.maxSensors * 3) / 4) break;
          if (s.head === s.held.length) sensors.delete(id);
        }
      };

      const hold = (s: SensorOrder, r: Reading, now: number) => {
        const h: Held = { r, due: now + o.reorderMs, done: false, s };
        // Sorted insert from the back: in-order readings append in O(1).
        let i = s.held.length;
        while (i > s.head && s.held[i - 1].r.ts > r.ts) i--;
        if (i < s.held.length) counters.reordered++;
        s.held.splice(i, 0, h);
        queue.push(h);
        setHeld(held + 1);
        if (s.held.length - s.head > o.reorderMaxPerSensor) releaseUpTo(s, s.held[s.head].r.ts);
        while (held > o.reorderMaxReadings) expire(now, true);
        arm();
      };

      const onReading = (r: Reading) => {
        if (!Number.isFinite(r.ts)) return emit(r); // the window stage counts it as unusable
        const s = r.arrival ? sensors.get(r.sensor) : stateOf(r.sensor);
        if (r.arrival) {
          // In order by construction; what the sensor held before leaves first.
          if (s && s.head < s.held.length) releaseUpTo(s, Number.POSITIVE_INFINITY);
          return emit(r);
        }
        if (!s) return emit(r);
        const now = scheduler.now();
        if (r.ts < s.maxTs) s.armedUntil = now + o.reorderArmMs;
        else s.maxTs = r.ts;
        // Older than what already left: too late to put back; the window stage counts it.
        if (r.ts < s.lastTs) return emit(r);
        if (o.reorderAlways || now < s.armedUntil || s.head < s.held.length) return hold(s, r, now);
        s.lastTs = r.ts;
        emit(r);
      };

      const sub = source.subscribe({
        next: (r) => {
          try {
            onReading(r);
          } catch (err) {
            // A bug here must not leave readings held silently; surface it.
            subscriber.error(err);
          }
        },
        // Readings held are released before an error or the end is passed on: none is lost.
        error: (err) => {
          releaseAll();
          subscriber.error(err);
        },
        complete: () => {
          releaseAll();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
        timer = undefined;
        setHeld(0);
        sensors.clear();
        queue = [];
      };
    });
}
