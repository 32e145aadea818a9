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
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { definedOnly } from '../util/options.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { ReorderBuffer } from './reorder-buffer.ts';
import type { Reading } from './types.ts';
import { WINDOW_CONFIG_DEFAULTS as W } from '../config/window.ts';

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
  /**
   * A bound on the readings held in all that moves, read at each hold (past it the one due soonest leaves early):
   * the live runtime's QoS 1 intake gives what a stop could still score (runtime/ops/intake-pressure.ts `heldRoom`).
   */
  maxHeld?: () => number;
  /** Counters to increment (`reordered`, gauge `reorderHeld`); a fresh set when omitted. */
  counters?: PipelineCounters;
  /** Scheduler of the hold (tests pass the TestScheduler). */
  scheduler?: SchedulerLike;
  /** Set while subscribed: what the window stage calls when it steps a sensor's clock back (`ReorderBuffer.resetClock`). */
  control?: ReorderControl;
}

/** Handles into a running reorder stage. */
export interface ReorderControl {
  resetClock?: (sensor: string) => void;
}

/** Fallbacks of `reorderBySensor` used without a config: the schema's `window` defaults (why: runtime/config/window.ts). */
export const REORDER_DEFAULTS = {
  reorderMs: W.reorderMs,
  reorderAlways: W.reorderAlways,
  reorderArmMs: W.reorderArmMs,
  reorderMaxPerSensor: W.reorderMaxPerSensor,
  reorderMaxReadings: W.reorderMaxReadings,
};

/** Put each sensor's readings back in timestamp order, holding them at most `reorderMs`. */
export function reorderBySensor(opts: ReorderBySensorOptions = {}): OperatorFunction<Reading, Reading> {
  const o = { ...REORDER_DEFAULTS, maxSensors: W.maxSensors, ...definedOnly(opts) };
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
      const buffer = new ReorderBuffer(o, counters, scheduler, subscriber);
      if (opts.control) opts.control.resetClock = (sensor) => buffer.resetClock(sensor);
      const sub = source.subscribe({
        next: (r) => {
          try {
            buffer.push(r);
          } catch (err) {
            // A bug here must not leave readings held silently; surface it.
            subscriber.error(err);
          }
        },
        // Readings held are released before an error or the end is passed on: none is lost.
        error: (err) => {
          buffer.releaseAll();
          subscriber.error(err);
        },
        complete: () => {
          buffer.releaseAll();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        buffer.clear();
      };
    });
}
