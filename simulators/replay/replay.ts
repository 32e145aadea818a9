/**
 * The replayer: walks the merged events and publishes each at its deadline
 * `start + recordedOffset / speed` on an injectable clock. Deadlines are absolute, so time spent publishing
 * never accumulates into drift; when behind, it catches up without sleeping.
 */
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { mergeTracks, loopPeriod, type Alignment } from './schedule.ts';
import type { Track } from './tracks.ts';

/** How replayed readings are stamped. */
export type TimestampMode = 'shift' | 'now' | 'keep';

/** One reading handed to the sink. */
export interface ReplayReading {
  sensor: string;
  /** Timestamp to put in the payload, epoch ms. */
  ts: number;
  channels: string[];
  /** Values of this row (a view; copy to keep). */
  values: Float32Array;
  /** Wall-clock deadline it was scheduled for (clock ms). */
  due: number;
}

/** Progress after each reading. */
export interface ReplayProgress {
  /** Readings sent in this pass, and readings per pass. */
  sent: number;
  total: number;
  /** Completed passes (loops). */
  pass: number;
  /** Recorded time reached, epoch ms of the original data. */
  recordedTs: number;
  /** How far behind schedule the last reading went out, ms (0 when on time). */
  lagMs: number;
}

/** Replay settings. */
export interface ReplayOptions {
  tracks: Track[];
  /** Recorded ms per wall ms: 1 = real time, 60 = a minute per second, Infinity = as fast as the sink takes it. */
  speed: number;
  /** Passes to make (Infinity with --loop). Later passes move timestamps on by the recorded span, so they never repeat. */
  passes?: number;
  align?: Alignment;
  /**
   * `shift` (default): first reading stamped at the start time, recorded spacing kept (runs ahead of the wall
   * clock when speed > 1); `now`: stamped when published; `keep`: recorded timestamps.
   */
  timestamps?: TimestampMode;
  clock?: Clock;
  signal?: AbortSignal;
  /** Called for every reading; awaited, so a sink can push back. */
  publish(r: ReplayReading): void | Promise<void>;
  onProgress?(p: ReplayProgress): void;
}

/** Summary of a finished (or aborted) replay. */
export interface ReplaySummary {
  sent: number;
  passes: number;
  /** Wall time taken, clock ms. */
  elapsedMs: number;
  /** Largest lag behind schedule seen, ms. */
  maxLagMs: number;
  aborted: boolean;
}

/** How often (readings) an unthrottled replay yields to the event loop so signals and timers still run. */
const YIELD_EVERY = 512;

/** Replay the tracks to `publish` at `speed`; resolves when all passes are done or the signal aborts. */
export async function replay(o: ReplayOptions): Promise<ReplaySummary> {
  if (!(o.speed > 0)) throw new Error(`speed must be > 0 (1 = real time, 60 = one recorded minute per second, Infinity = max); got ${o.speed}`);
  const clock = o.clock ?? systemClock;
  const passes = o.passes ?? 1;
  const align = o.align ?? 'start';
  const period = loopPeriod(o.tracks, align);
  const total = o.tracks.reduce((n, t) => n + t.series.timestamps.length, 0);
  const origins = o.tracks.map((t) => t.series.timestamps[0]);
  const globalOrigin = Math.min(...origins);
  const rowValues = o.tracks.map((t) => t.series.channels.length);
  const start = clock.now();
  let sent = 0;
  let maxLagMs = 0;
  let pass = 0;
  let sinceYield = 0;
  for (; pass < passes; pass++) {
    let sentThisPass = 0;
    for (const ev of mergeTracks(o.tracks, align)) {
      if (o.signal?.aborted) return { sent, passes: pass, elapsedMs: clock.now() - start, maxLagMs, aborted: true };
      const t = o.tracks[ev.track];
      const recordedOffset = ev.offset + pass * period;
      const due = Number.isFinite(o.speed) ? start + recordedOffset / o.speed : clock.now();
      if (due > clock.now()) {
        await clock.sleepUntil(due, o.signal);
        if (o.signal?.aborted) return { sent, passes: pass, elapsedMs: clock.now() - start, maxLagMs, aborted: true };
        sinceYield = 0;
      } else if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
      const lagMs = Math.max(0, clock.now() - due);
      if (lagMs > maxLagMs) maxLagMs = lagMs;
      const recordedTs = t.series.timestamps[ev.row];
      const base = align === 'common' ? globalOrigin : origins[ev.track];
      const mode = o.timestamps ?? 'shift';
      const ts = mode === 'keep' ? recordedTs + pass * period : mode === 'now' ? Math.round(clock.now()) : start + (recordedTs - base) + pass * period;
      const C = rowValues[ev.track];
      await o.publish({ sensor: t.sensor, ts, channels: t.series.channels, values: t.series.data.subarray(ev.row * C, ev.row * C + C), due });
      sent++;
      sentThisPass++;
      o.onProgress?.({ sent: sentThisPass, total, pass, recordedTs, lagMs });
    }
  }
  return { sent, passes: pass, elapsedMs: clock.now() - start, maxLagMs, aborted: false };
}
