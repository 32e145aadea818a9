/**
 * The live synthetic fleet: every sensor emits one reading per interval (scaled by speed), staggered across
 * the interval so N sensors make a steady flow rather than a burst per tick. Same steppers as
 * `generateSynthetic`, so a stream and a file agree reading for reading for a seed.
 */
import type { Clock } from '../replay/clock.ts';
import { systemClock } from '../replay/clock.ts';
import { SyntheticSensor, sensorId, type SyntheticOptions } from './sensor.ts';
import type { AnomalyLabel } from './anomalies.ts';

/** Settings of a live run. */
export interface StreamSyntheticOptions {
  options: SyntheticOptions;
  /** Recorded ms per wall ms (1 = real time; Infinity = as fast as the sink takes it). */
  speed: number;
  /** Readings per sensor before stopping (Infinity = until aborted). */
  rows: number;
  /** Spread sensors evenly over each interval (default true). */
  stagger?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  /** Called with each reading (values reused: copy to keep); awaited for backpressure. */
  publish(sensor: string, ts: number, channels: string[], values: Float32Array): void | Promise<void>;
  /** Called when an anomaly interval ends (and for open ones at stop). */
  onLabel?(label: AnomalyLabel): void;
}

/** Totals of a live run. */
export interface StreamSyntheticSummary {
  readings: number;
  labels: number;
  elapsedMs: number;
  maxLagMs: number;
  aborted: boolean;
}

/** Drive the fleet until `rows` readings per sensor or abort. */
export async function streamSynthetic(o: StreamSyntheticOptions): Promise<StreamSyntheticSummary> {
  const clock = o.clock ?? systemClock;
  const opts = o.options;
  const n = opts.sensors;
  const sensors = Array.from({ length: n }, (_, i) => new SyntheticSensor(sensorId(opts.prefix, i, n), i, opts));
  const start = clock.now();
  const wallInterval = opts.intervalMs / o.speed;
  const stagger = o.stagger ?? true;
  let readings = 0;
  let labels = 0;
  let maxLagMs = 0;
  let sinceYield = 0;
  let aborted = false;
  const label = (l: AnomalyLabel | null) => {
    if (!l) return;
    labels++;
    o.onLabel?.(l);
  };
  outer: for (let row = 0; row < o.rows; row++) {
    for (let i = 0; i < n; i++) {
      if (o.signal?.aborted) { aborted = true; break outer; }
      if (Number.isFinite(o.speed)) {
        const due = start + (row + (stagger ? i / n : 0)) * wallInterval;
        // Sleeping for less than a couple of ms costs more than it saves; timers are not that precise anyway.
        if (due - clock.now() >= 2) await clock.sleepUntil(due, o.signal);
        else if (++sinceYield >= 1024) { sinceYield = 0; await new Promise<void>((r) => setImmediate(r)); }
        maxLagMs = Math.max(maxLagMs, clock.now() - due);
      } else if (++sinceYield >= 1024) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
      if (o.signal?.aborted) { aborted = true; break outer; }
      const s = sensors[i];
      const ts = s.timestampOf(s.row);
      label(s.step());
      await o.publish(s.id, ts, s.channels, s.values);
      readings++;
    }
  }
  for (const s of sensors) label(s.flush());
  return { readings, labels, elapsedMs: clock.now() - start, maxLagMs, aborted };
}
