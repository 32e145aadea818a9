/**
 * Nothing dropped silently: every reading the window stage drops (out of order, timestamp conflict, unusable, sensor limit)
 * gets a warning line per reason, rate-limited (runtime/util/rate-limited-warning.ts) and naming the sensors and
 * counts, besides its counter, and so does every sensor evicted to admit a new one into a full pool; /health
 * degrades while the share of readings dropped (every reason of `vigil_dropped_total`, plus those evictions) over
 * the last `health.dropWindowMs` passes `health.maxDropRate`. A duplicate (a repeat of a reading already accepted,
 * e.g. QoS 1 redelivering after a broker restart) is no drop: it counts neither here nor towards that share, but it
 * gets a rate-limited info line of its own, since a recording replayed twice is otherwise refused without a word.
 *
 * Readings lost before they reached vigil (a broker's queue limit, a gateway's outage) are not drops, but they are
 * not silent either: a step in a sensor's timestamps of 1.75 of its usual interval or more is a gap, its skipped
 * readings count as missing (runtime/stream/data-gaps.ts), get a rate-limited warning naming the sensors and
 * the longest gap, and /health degrades while the missing share (missing / (missing + read), less those that came late after all) over the same window
 * passes the same bound.
 */
import { DROP_REASONS, droppedByReason, type PipelineCounters } from '../stream/counters.ts';
import type { WindowDropReason } from '../stream/window-by-sensor.ts';
import type { DataGap } from '../stream/data-gaps.ts';
import { shortTimes } from '../util/format-time.ts';
import { span } from '../data/sampling.ts';
import { rateLimitedWarning, realClock, WARNING_INTERVAL_MS, worstExampleWarning, type RateLimitedWarning, type WarnLogger, type WarningClock } from '../util/rate-limited-warning.ts';

/** What each reason means and what to do about it, for the log line. */
const WHY: Record<WindowDropReason, string> = {
  timestamp_conflict: 'their timestamp repeats the sensor\'s last one with other values (two readings stamped alike)',
  out_of_order: 'their timestamp is older than the sensor\'s last one (clock steps, messages reordered on the way, or a sender re-sending readings judged long ago)',
  unusable: 'they carry no usable value of the model\'s channels',
  sensor_limit: 'their topic matches a window.admission rule with maxSensors 0',
};

/** Degraded /health recovers once the shares are under this part of `maxDropRate`. */
export const RECOVER_SHARE = 0.8;

/** The `health` section: when drops degrade /health. */
export interface DropHealthConfig {
  /** Share of readings dropped (0..1) above which /health reports degraded. */
  maxDropRate: number;
  /** Over how long the share is measured (ms). */
  dropWindowMs: number;
}

/** The drop share over the recent window, and whether it passes the bound. */
export interface DropHealth {
  degraded: boolean;
  /** Drops per reading over the window (0 when nothing was read). */
  rate: number;
  maxRate: number;
  /** Every drop since start, by reason. */
  total: Record<string, number>;
  /** Readings lost upstream (gaps in the sensors' timestamps): their share over the window, and since start. */
  missing: { rate: number; readings: number; gaps: number };
}

/** Drop reporting of one runtime. */
export interface DropWatch {
  /** The window stage's `onDrop`. */
  drop(reason: WindowDropReason, sensor: string): void;
  /** The window stage's `onEvict`. */
  evict(evicted: string, admitted: string): void;
  /** The window stage's `onDuplicate`. */
  duplicate(sensor: string): void;
  /** The window stage's `onGap`. */
  gap(g: DataGap): void;
  /** The window stage's `onPace`. */
  pace(sensor: string, usualMs: number, modelMs: number, irregular: boolean): void;
  /** The window stage's `onClockStep`. */
  clockStep(sensor: string, fromTs: number, toTs: number, forward?: boolean): void;
  /** Log what is still unreported, and stop sampling (on stop). */
  flush(): void;
  /** The drop share now (called by /health). */
  health(): DropHealth;
}

/** Watch the counters' drops; `clock` drives the log interval and the rate window (tests). */
export function watchDrops(counters: PipelineCounters, cfg: DropHealthConfig, log: WarnLogger & { info?(obj: object, msg: string): void }, clock: WarningClock = realClock): DropWatch {
  const warnings = new Map<WindowDropReason, RateLimitedWarning>();
  const warningOf = (reason: WindowDropReason) => {
    let w = warnings.get(reason);
    if (!w) {
      w = rateLimitedWarning(
        log,
        (count, sensors, sensorCount) => [{ reason, dropped: count, sensors, sensorCount }, `${count} reading(s) dropped (${reason}): ${WHY[reason]}`],
        WARNING_INTERVAL_MS,
        clock,
      );
      warnings.set(reason, w);
    }
    return w;
  };
  const evictions = rateLimitedWarning(
    log,
    (count, sensors, sensorCount) => [
      { evicted: count, sensors, sensorCount },
      `${count} sensor(s) evicted, least recently seen first, to admit new ones into a full pool (window.maxSensors or a window.admission rule); a flood of new topics? give real sensors a pool of their own with window.admission`,
    ],
    WARNING_INTERVAL_MS,
    clock,
  );
  const duplicates = rateLimitedWarning(
    { warn: (obj, msg) => (log.info ?? log.warn).call(log, obj, msg) },
    (count, sensors, sensorCount) => [
      { duplicates: count, sensors, sensorCount },
      `${count} reading(s) repeat ones their sensor already had (same time and values): not judged again (vigil_readings_duplicate_total). Expected after a reconnect (QoS 1 redelivers what was not acknowledged) or a sender resending its buffer; a recording replayed again is refused so too`,
    ],
    WARNING_INTERVAL_MS,
    clock,
  );
  // Each of these names its worst example since the last line: the longest gap, the pace furthest from the model's
  // (either way; a regular one before an irregular one), the largest clock step back, the largest jump ahead.
  const gaps = worstExampleWarning<DataGap>(
    log,
    (count, sensors, sensorCount, g) => {
      const [from, to] = shortTimes(g.fromTs, g.toTs);
      return [
        { missing: count, sensors, sensorCount, longest: { sensor: g.sensor, from: g.fromTs, to: g.toTs, missing: g.missing, intervalMs: g.intervalMs, windowReset: g.reset } },
        `${count} reading(s) missing: gaps in the sensors' timestamps at their usual interval, lost before they reached vigil (a broker's queue limit such as Mosquitto's max_queued_messages, a gateway's outage) or come after their gap, out of order (vigil_readings_late_total); the longest: ${g.sensor} ${from} to ${to}, ${span(g.toTs - g.fromTs)} at ${span(g.intervalMs)}${g.reset ? ', its window restarted after it' : ''}`,
      ];
    },
    (a, b) => a.toTs - a.fromTs > b.toTs - b.fromTs,
    WARNING_INTERVAL_MS,
    clock,
  );
  type Pace = { sensor: string; usualMs: number; modelMs: number; irregular: boolean };
  const odd = (p: Pace) => Math.abs(Math.log(p.usualMs / p.modelMs));
  const paces = worstExampleWarning<Pace>(
    log,
    (count, sensors, sensorCount, p) => {
      const example = p.irregular
        ? `${p.sensor} reports irregularly (as by exception): its gaps are not counted as missing readings`
        : `${p.sensor} every ${span(p.usualMs)} against ${span(p.modelMs)}: its windows span ${(p.usualMs / p.modelMs).toPrecision(2)}x the time the model knows`;
      return [
        { oddPaceSensors: count, sensors, sensorCount, example: p },
        `${count} sensor(s) report at another pace than the model's training interval, e.g. ${example} (judged anyway; a slower sensor's gaps are measured against its own pace; a faster one's windows hold less time than the model learnt from: check its publisher, or train at its rate; window.readingIntervalMs)`,
      ];
    },
    (a, b) => !a.irregular && (b.irregular || odd(a) > odd(b)),
    WARNING_INTERVAL_MS,
    clock,
  );
  type Step = { sensor: string; fromTs: number; toTs: number };
  const clockSteps = worstExampleWarning<Step>(
    log,
    (count, sensors, sensorCount, c) => {
      const [wrong, right] = shortTimes(c.fromTs, c.toTs);
      return [
        { clockSteps: count, sensors, sensorCount, largest: c },
        `${count} sensor clock step(s) back: a reading stamped well ahead of its arrival followed by one near its own (the first one's clock was wrong: a GPS or RTC glitch, a clock set right), or a window of readings in a row stamped well before the sensor's last one, at their own pace (a clock set back for good: corrected, a DST fall-back in local time); each sensor started afresh from the later reading instead of refusing everything older than the last one, e.g. ${c.sensor} back from ${wrong} to ${right} (${span(c.fromTs - c.toTs)})`,
      ];
    },
    (a, b) => a.fromTs - a.toTs > b.fromTs - b.toTs,
    WARNING_INTERVAL_MS,
    clock,
  );
  type Jump = { sensor: string; aheadMs: number };
  const clockJumps = worstExampleWarning<Jump>(
    log,
    (count, sensors, sensorCount, j) => [
      { clockJumps: count, sensors, sensorCount, largest: j },
      `${count} sensor clock(s) jumped ahead and stayed there (a clock set forward, or set wrong): judged on their own timestamps from the jump on, the step over it counted as no readings missing, e.g. ${j.sensor} ${span(j.aheadMs)} ahead of before`,
    ],
    (a, b) => a.aheadMs > b.aheadMs,
    WARNING_INTERVAL_MS,
    clock,
  );
  // Evicted sensors lose their window: they count with the drops for /health.
  const dropsNow = () => DROP_REASONS.reduce((a, [, key]) => a + counters[key], counters.evictedFull);
  // Samples of (time, readings, drops, missing); the oldest one at or before the window's start is the baseline.
  // Missing net of those that came late after all (counted missing, then read: once in the share, as read).
  const sample = () => ({ at: clock.now(), readings: counters.readings, drops: dropsNow(), missing: counters.readingsMissing - counters.readingsLate });
  const samples: ReturnType<typeof sample>[] = [sample()];
  /**
   * The samples now, the oldest one at or before the window's start first. Taken on a timer, a tenth of the window
   * apart, not only when /health is asked: polled every few minutes, its window had stretched back to the previous poll
   * (a probe: degraded 2.5 minutes after the last drop, with a 60 s window).
   */
  const record = () => {
    const now = sample();
    while (samples.length > 1 && samples[1].at <= now.at - cfg.dropWindowMs) samples.shift();
    if (now.at - samples[samples.length - 1].at >= cfg.dropWindowMs / 10) samples.push(now);
    return now;
  };
  let timer: unknown;
  const tick = () => {
    record();
    timer = clock.setTimeout(tick, cfg.dropWindowMs / 10);
  };
  timer = clock.setTimeout(tick, cfg.dropWindowMs / 10);
  // Hysteresis, per share: once one degraded /health, it stays so until that share falls under RECOVER_SHARE of the
  // bound (a share hovering at the bound made it flap between ok and degraded every few probes).
  let dropping = false;
  let missingNow = false;
  return {
    drop: (reason, sensor) => warningOf(reason).add(sensor),
    clockStep: (sensor, fromTs, toTs, forward) => (forward ? clockJumps.add(sensor, { sensor, aheadMs: toTs - fromTs }) : clockSteps.add(sensor, { sensor, fromTs, toTs })),
    evict: (evicted) => evictions.add(evicted),
    duplicate: (sensor) => duplicates.add(sensor),
    gap: (g) => {
      gaps.add(g.sensor, g, g.missing);
    },
    pace: (sensor, usualMs, modelMs, irregular) => paces.add(sensor, { sensor, usualMs, modelMs, irregular }),
    flush: () => {
      // At the stop: no more samples either.
      clock.clearTimeout(timer);
      for (const w of warnings.values()) w.flush();
      evictions.flush();
      duplicates.flush();
      gaps.flush();
      paces.flush();
      clockSteps.flush();
      clockJumps.flush();
    },
    health() {
      const now = record();
      const base = samples[0];
      const read = now.readings - base.readings;
      const dropped = now.drops - base.drops;
      const rate = read > 0 ? dropped / read : dropped > 0 ? 1 : 0;
      const missed = now.missing - base.missing;
      const missingRate = missed > 0 ? missed / (missed + read) : 0;
      const total = droppedByReason(counters);
      if (counters.evictedFull > 0) total.evicted_full = counters.evictedFull;
      const missing = { rate: missingRate, readings: counters.readingsMissing, gaps: counters.readingGaps };
      const over = (share: number, was: boolean) => share > (was ? RECOVER_SHARE : 1) * cfg.maxDropRate;
      dropping = over(rate, dropping);
      missingNow = over(missingRate, missingNow);
      return { degraded: dropping || missingNow, rate, maxRate: cfg.maxDropRate, total, missing };
    },
  };
}
