/**
 * The silent-sensor watch (runtime/alerts/silent-sensors.ts) on the data path: each decoded reading, and each refused
 * message of a sensor the watch knows, is heard; a sensor heard after its silence was signalled gets its `resumed`
 * signal, and the step over the silence in its data counts no readings missing (a probe: a pump back from maintenance
 * turned /health 503 for a minute with "150 reading(s) missing"). A timer checks for new silences while vigil can hear,
 * and closes, unresolved, the open alerts of sensors silent for as long as vigil keeps a quiet sensor's window
 * (`window.idleEvictMs`, or a whole window of readings where longer: data-gaps.ts `idleKeepMs`), and of sensors whose
 * silence was let go for room (`evicted`: more sensors silent at once than the watch keeps).
 */
import type { SilenceEvent, SilentSensors } from '../alerts/silent-sensors.ts';
import { idleKeepMs, type RefusedReadings } from '../stream/data-gaps.ts';
import type { FlowConfig, FlowDeps } from './flow.ts';
import { publishUnresolved } from './unresolved-closes.ts';

/** The watch's part in the data path; every method a no-op without a watch (off, or in a fleet). */
export interface SilenceFlow {
  /**
   * `sensor` was heard, its message arriving at wall clock `wall`; `refused`: a message vigil refused, heard only
   * from a sensor the watch knows (junk topics must not crowd real sensors out of it).
   */
  heard(sensor: string, wall: number, refused?: boolean): void;
  /** The device behind `sensor` said it went offline (`cause`: a Sparkplug DDEATH or NDEATH): signalled silent now. */
  offline(sensor: string, cause: string): void;
  /** Start checking (the thresholds, and with them the watch, are started). */
  start(): void;
  stop(): void;
}

/** The watch of `deps.thresholds()` wired to the sinks; `refused` learns the silences that explain a sensor's gap. */
export function silenceFlow(config: FlowConfig, deps: FlowDeps, refused: RefusedReadings): SilenceFlow {
  const { log, edge, events } = deps;
  let watch: SilentSensors | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let deaf = false;
  // When the last check ran (monotonic ms). A gap far past checkMs is vigil itself not running (SIGSTOP, a VM pause, a
  // stalled host): what it did not hear then is its own silence, not its sensors' (a probe: a 75 s freeze signalled
  // all 50 sensors silent, then back). Half of minMs: a shorter stall cannot make a sensor look silent on its own.
  let lastCheckAt: number | undefined;
  const stallMs = Math.max(3 * config.alerts.silent.checkMs, config.alerts.silent.minMs / 2);
  const unresolved = { ...deps, topK: config.alerts.topChannels };
  /**
   * Say a silence, or its end, and have it saved soon (the journal of alert states): left to the next full save, a kill
   * meanwhile restarted the sensor as it was before, signalled silent a second time or still silent after its resumed.
   */
  const say = (e: SilenceEvent) => {
    deps.sinks().silence(e);
    deps.thresholds().persistSoon(e.sensor);
    // A silence let go for room takes the sensor out of `closeAbandoned`'s reach: its open alert, if any, is closed
    // now, as an alert evicted for room is (a review: kept in the alert state, it stayed open for good).
    if (e.unresolved === 'evicted') publishUnresolved(unresolved, e.sensor, deps.thresholds().alerts.abandon(e.sensor, 'evicted'));
  };

  /**
   * An open alert of a sensor silent for as long as vigil keeps its window (`idleKeepMs`) is closed, marked
   * unresolved: no window will ever close it (a probe: decommissioned sensors' alerts stayed in vigil_alerts_open, and
   * came back after every restart, with nothing to clear them).
   */
  const closeAbandoned = (w: SilentSensors) => {
    const wall = Date.now();
    for (const { sensor, lastHeardAt } of w.silentSensors()) {
      if (wall - lastHeardAt < idleKeepMs(deps.ref().current.card, config.window, config.window.idleEvictMs)) continue;
      publishUnresolved(unresolved, sensor, deps.thresholds().alerts.abandon(sensor));
    }
  };

  const check = (w: SilentSensors) => {
    try {
      const now = performance.now();
      const stalled = lastCheckAt !== undefined && now - lastCheckAt > stallMs ? now - lastCheckAt : 0;
      lastCheckAt = now;
      if (stalled) log.warn({ stalledMs: Math.round(stalled) }, `vigil did not run for ${(stalled / 1000).toFixed(1)} s (the process stopped or the machine stalled): no sensor is judged silent for that time`);
      // While vigil itself cannot hear (no broker, intake paused for back-pressure, not running) no sensor is judged,
      // and quiet time counts again from when it can: its own outage is not every sensor's silence.
      if (!deps.client()?.connected || edge.intakePaused) {
        deaf = true;
        return;
      }
      if (deaf || stalled) {
        w.restart(now);
        deaf = false;
      }
      for (const e of w.check(now)) say(e);
      closeAbandoned(w);
      edge.sensorsSilent = w.silent;
      edge.sensorsWatched = w.watched;
      edge.feedSilent = w.feedSilent(now);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'silent-sensor check failed');
    }
  };

  return {
    heard(sensor, wall, refusedMessage = false) {
      // A refused message of a known sensor is a sign of life too: it is sending, invalid values (a probe: a device
      // sending NaN every second was signalled silent 30 s later).
      if (!watch || (refusedMessage && !watch.knows(sensor))) return;
      const back = watch.heard(sensor, performance.now(), wall);
      if (!back) return;
      say(back);
      refused.silenced(sensor);
    },
    offline(sensor, cause) {
      const e = watch?.offline(sensor, performance.now(), cause);
      if (!e) return;
      say(e);
      edge.sensorsSilent = watch!.silent;
    },
    start() {
      watch = deps.thresholds().silence;
      if (!watch) return;
      const w = watch;
      timer = setInterval(() => check(w), config.alerts.silent.checkMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
