/**
 * Reading -> SensorWindow: one RowLog per sensor, channels mapped by name to the card's order. Each row is scaled
 * once as it enters the log (the log holds scaled rows), so emitting a window is one copy, or none: with `views`
 * (the pipeline's choice) a window is a reference into its sensor's log (row number and log), copied straight into
 * the batch input when inferBatches assembles its batch, so a backlog costs readings, not windows x W. A hot reload
 * with another scaler re-expresses a sensor's held rows once, on its next reading (in a fresh log when windows still
 * wait on the old one, so they keep the scale they were cut in). Bad and late data are dropped and counted, never
 * thrown: out-of-order readings, a timestamp repeated with other values, readings with none of the model's channels.
 * A repeat of a reading already accepted (a QoS 1 redelivery) is counted as a duplicate and ignored: it was judged
 * once (runtime/window/recent-readings.ts). Memory is bounded by `maxSensors` and idle eviction.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { ModelCard } from '../model/card.ts';
import { readingDigest, RecentReadings, SharedBudget } from '../window/recent-readings.ts';
import { createCounters } from './counters.ts';
import { admissionPools } from './admission.ts';
import { ReadingRow } from './reading-row.ts';
import { SensorPools } from './sensor-pools.ts';
import { SensorState } from './sensor-state.ts';
import { clockStepped, endBackRun, jumpsAhead, keepLead, setBackFor, startOverMs, steppedForward, wasSetAside } from './sensor-clocks.ts';
import type { Reading, SensorWindow } from './types.ts';
import { readTails, replayTails } from './sensor-tails.ts';
import { ownedWindow, viewWindow } from './window-objects.ts';
import { GapWatch, idleKeepMs, lateIntoGap } from './data-gaps.ts';
import { DROP_COUNTER, resolveWindowOptions, type WindowBySensorOptions, type WindowDropReason } from './window-options.ts';

export { WINDOW_DEFAULTS, type WindowBySensorOptions, type WindowDropReason } from './window-options.ts';

/** The card itself, or a getter for the current one (hot reload swaps it; windows record the scaler used). */
export type CardSource = ModelCard | (() => ModelCard);

/** Group readings per sensor into scaled, time-major windows of the card's shape. */
export function windowBySensor(card: CardSource, opts: WindowBySensorOptions = {}): OperatorFunction<Reading, SensorWindow> {
  const cardOf = typeof card === 'function' ? card : () => card;
  const o = resolveWindowOptions(opts);
  const counters = opts.counters ?? createCounters();
  const { onDrop = () => {}, onEvict = () => {}, onDuplicate } = opts;
  const gaps = new GapWatch(opts, counters);
  const views = opts.views === true;
  const { caps } = admissionPools(opts.admission, o.maxSensors);

  return (source) =>
    new Observable<SensorWindow>((subscriber) => {
      const { window: W, channels: names } = cardOf();
      const row = new ReadingRow(names);
      const budget = new SharedBudget(o.duplicateMaxReadings, counters);
      const newSensor = () =>
        new SensorState(W, names.length, cardOf().scaler, new RecentReadings(o.duplicateHorizonMs, o.duplicateHorizonReadings, o.duplicateMaxPerSensor, budget), o.stride);
      const sensors = new SensorPools(caps, counters, newSensor, onEvict);

      const drop = (reason: WindowDropReason, sensor: string, ts?: number, lastTs?: number) => {
        counters[DROP_COUNTER[reason]]++;
        onDrop(reason, sensor, ts, lastTs);
      };
      const clockJump = (sensor: string, from: number, to: number) => (counters.clockJumps++, opts.onClockStep?.(sensor, from, to, true));
      const duplicate = (sensor: string) => void (counters.duplicates++, onDuplicate?.(sensor));

      /** A reading at or before the sensor's last: a redelivered copy, a conflicting repeat or one out of order. */
      const refuse = (s: SensorState, ts: number, digest: number, sensor: string) => {
        if (s.recent.has(ts, digest) || wasSetAside(s, ts, digest)) return duplicate(sensor);
        // One of the readings a gap counted missing, come late: counted there, once (a copy of it: a duplicate).
        const late = lateIntoGap(s, ts, digest);
        if (late === 'copy') duplicate(sensor);
        else if (late) counters.readingsLate++;
        else drop(ts === s.lastTs ? 'timestamp_conflict' : 'out_of_order', sensor, ts, s.lastTs);
      };

      /**
       * A reading; `warm`: one of a sensor's last readings before a restart (it fills the window, is not judged or
       * counted again), `warmDigest` its digest as first accepted.
       */
      const onReading = (r: Reading, warm = false, warmDigest?: number | null) => {
        if (!warm) counters.readings++;
        if (!Number.isFinite(r.ts) || typeof r.values !== 'object' || r.values === null) return warm ? undefined : drop('unusable', r.sensor);
        sensors.evictIdle(r.receivedAt, idleKeepMs(cardOf(), opts, o.idleEvictMs));
        const s = sensors.take(r.sensor, r.pool);
        if (!s) return drop('sensor_limit', r.sensor);
        s.lastSeen = r.receivedAt;
        // A reading stamped on arrival is ordered by arrival: one that ties (or a clock step back) follows the last.
        const ts = r.arrival && r.ts <= s.lastTs ? after(s.lastTs) : r.ts;
        // Arrival-stamped readings are new by construction: no digest needed.
        const digest = warmDigest ?? (r.arrival ? 0 : readingDigest(ts, row.read(r.values)));
        if (ts <= s.lastTs) {
          if (warm) return;
          // A sensor known only from a restart's tail whose data starts over far earlier (a recording replayed again,
          // a clock reset across the restart): the tail is not its past; start it afresh rather than refuse it all.
          // Nearer (a gateway resending its buffer after the restart) it is refused as it would be without the
          // restart: a probe's 200 resent readings were judged twice, alerts reopened, thresholds learnt them twice.
          // Or the last reading's clock was wrong (stamped well ahead of its arrival) and this one's is not: afresh
          // from it too, said (the window restarted when that reading jumped ahead, so it ended no window).
          // Or a window of readings in a row says its clock was set back for good (sensor-clocks.ts `setBackFor`).
          const fresh = !s.recent.has(ts, digest);
          const glitch = fresh && !r.arrival && clockStepped(s, ts - r.receivedAt, cardOf());
          const seed = fresh && !r.arrival && !glitch ? setBackFor(s, r, cardOf().window, cardOf()) : undefined;
          const stepped = glitch || seed !== undefined;
          if ((fresh && s.warmOnly && s.lastTs - ts > startOverMs(cardOf())) || stepped) {
            if (stepped) opts.onClockStep?.(r.sensor, s.lastTs, ts);
            counters.clockSteps += stepped ? 1 : 0;
            // The wrong clock's readings, kept so a copy of one (a QoS 1 redelivery) is not taken for a new jump.
            const aside = stepped ? s.recent.after(ts) : [];
            sensors.forget(r.sensor);
            counters.readings--;
            // A clock set back: the run that confirmed it fills the new window, as a restart's tail does (not judged).
            for (const x of seed ?? []) onReading(x, true);
            onReading(r);
            const afresh = sensors.peek(r.sensor);
            if (afresh) afresh.setAside = aside;
            return;
          }
          return refuse(s, ts, digest, r.sensor);
        }
        if (s.backRun > 0) endBackRun(s);
        // A reading far ahead of its arrival may be a clock glitch: no gap, no pace, and a new window (sensor-clocks.ts).
        // A restart's tail carries its last reading's arrival: its lead is known after it (sensor-tails.ts).
        const lead = r.arrival ? Number.NaN : ts - r.receivedAt;
        const jumped = !warm && jumpsAhead(s, lead, cardOf());
        // A copy of a reading its clock step set aside: seen, and judged wrong then; not a new jump.
        if (jumped && wasSetAside(s, ts, digest)) return duplicate(r.sensor);
        // A sensor's first live reading after a restart's tail: its step spans vigil's own downtime, not a loss.
        const afterTail = s.warmOnly && !warm;
        s.warmOnly = warm;

        const scaler = cardOf().scaler;
        if (row.fill(r.values, s, ts, o.maxFillAgeMs, scaler.offset) === 0) return warm ? undefined : drop('unusable', r.sensor);
        if (!warm) counters.filled += row.filled;
        // Not told (the sensor's signal was rate-limited): the channels count as newly missing again at its next reading.
        if (!warm && row.newlyMissing && opts.onMissing && opts.onMissing(r.sensor, names.filter((_, c) => row.missingChannels[c] === 1), r.receivedAt) === false) row.untell(s);
        // A restart's tail holds only rows since its window last restarted: replayed, none of its steps restarts it.
        // The step over vigil's downtime is its own, unless the broker queued for it meanwhile (o.countAfterRestart).
        const overDowntime = afterTail && (!o.countAfterRestart || r.arrival === true);
        // A live sensor's clock set forward by less than a jump (an NTP correction): its step is no loss upstream.
        const forward = warm || jumped || s.seq === 0 ? 0 : steppedForward(s, lead, ts - s.lastTs, o.readingIntervalMs ?? cardOf().data?.intervalMs ?? 0);
        if (forward > 0) clockJump(r.sensor, ts - forward, ts);
        if (s.seq > 0 && ((gaps.step(cardOf(), s, r.sensor, ts, warm, overDowntime || jumped || forward > 0, r.arrival === true) && !warm) || jumped)) {
          s.resetWindow();
          if (!warm) counters.gapResets++;
        }
        const jump = keepLead(s, lead, jumped, W);
        if (jump > 0) clockJump(r.sensor, ts - jump, ts);
        if (s.rows.scaler !== scaler) s.rescaleTo(scaler);
        row.scale(scaler);
        if (!r.arrival) s.recent.add(ts, digest, r.receivedAt);
        // A channel held past its max age is filled too (with its last value or the training mean), only flagged.
        const seq = s.append(row.values, ts, row.stale, row.filled > 0 || row.stale || r.filled === true);
        if (!warm) opts.onAccepted?.(r);
        if (s.cadence.next() && !warm) emitWindow(r, s, seq, ts, scaler);
      };

      /** A window ends at row `seq`: emit it (a view, or its own copy), unless it is incomplete and skipped. */
      const emitWindow = (r: Reading, s: SensorState, seq: number, ts: number, scaler: ModelCard['scaler']) => {
        const incomplete = s.isIncomplete(seq);
        if (incomplete && o.skipIncomplete) return void counters.skippedIncomplete++;
        counters.windows++;
        if (incomplete) counters.incompleteWindows++;
        // A forward-filled channel holds still without being stuck (a sensor reporting by exception): say so.
        const filled = s.hasFilled(seq);
        if (views) {
          s.rows.hold(seq);
          return subscriber.next(viewWindow(r.sensor, s.tsFirst, ts, seq, r.receivedAt, incomplete, filled, scaler, s.rows));
        }
        subscriber.next(ownedWindow(r, s, seq, ts, incomplete, filled, scaler));
      };

      // A restart's tails: each sensor's last readings before the stop fill its window (window-tails.ts).
      const tails = opts.tails;
      if (tails) {
        replayTails(tails.seeds.splice(0), names, sensors, (r, digest) => onReading(r, true, digest));
        tails.read = (minSpanMs?: number) => readTails(sensors, names, minSpanMs);
      }

      const sub = source.subscribe({
        next: (r) => {
          try {
            onReading(r);
          } catch (err) {
            // A bug here must not leave a half-updated sensor silently; surface it.
            subscriber.error(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        budget.give(budget.allocated);
      };
    });
}

/** The next data time after `t`: arrival-stamped readings in one millisecond stay in order a microsecond apart. */
function after(t: number): number {
  const next = t + 0.001;
  return next > t ? next : t + Math.abs(t) * Number.EPSILON * 2;
}
