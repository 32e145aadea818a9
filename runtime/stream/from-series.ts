/**
 * A recorded series as a stream of readings, for `vigil score` and replays through the live pipeline. It
 * emits in chunks and waits for the pipeline to catch up between them, so an offline run never overflows the
 * inference queue's memory bound (live sources cannot wait; this one can, so it does not shed anything).
 */
import { Observable } from 'rxjs';
import type { Series } from '../data/series.ts';
import type { PipelineCounters } from './counters.ts';
import type { Reading } from './types.ts';

/** Windows cut but not yet scored or dropped. */
export function outstandingWindows(c: PipelineCounters): number {
  return c.windows - c.scored - c.droppedQueueFull - c.droppedInferenceError - c.droppedAbandoned;
}

/** Resolves waiters once the pipeline holds at most `limit` outstanding windows; call `notify` after each batch. */
export interface DrainGate {
  ready(): Promise<void>;
  notify(): void;
}

/** A gate over the pipeline's counters. */
export function createDrainGate(counters: PipelineCounters, limit: number): DrainGate {
  let waiters: (() => void)[] = [];
  const check = () => {
    if (outstandingWindows(counters) > limit) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  return {
    ready: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        check();
      }),
    notify: check,
  };
}

/** Options of `readingsFromSeries`. */
export interface SeriesSourceOptions {
  sensor: string;
  /** Rows emitted between waits (default 4096). */
  chunk?: number;
  /** Awaited after each chunk (e.g. `gate.ready`). */
  ready?: () => Promise<void>;
}

/** One reading per row, in row order; arrival time is the row's timestamp, as in a faithful replay. */
export function readingsFromSeries(series: Series, opts: SeriesSourceOptions): Observable<Reading> {
  const chunk = opts.chunk ?? 4096;
  const names = series.channels;
  const C = names.length;
  return new Observable<Reading>((subscriber) => {
    let stopped = false;
    (async () => {
      const rows = series.timestamps.length;
      for (let r = 0; r < rows && !stopped; r++) {
        const values: Record<string, number> = {};
        for (let c = 0; c < C; c++) values[names[c]] = series.data[r * C + c];
        const ts = series.timestamps[r];
        subscriber.next(series.filledRows?.[r] ? { sensor: opts.sensor, ts, values, receivedAt: ts, filled: true } : { sensor: opts.sensor, ts, values, receivedAt: ts });
        if (opts.ready && (r + 1) % chunk === 0) await opts.ready();
      }
      if (!stopped) subscriber.complete();
    })().catch((err) => subscriber.error(err));
    return () => {
      stopped = true;
    };
  });
}
