/**
 * A sensor that stops reporting is a fact an operator must hear about: with no readings the model has nothing to
 * say, and no alert must not be read as all is well (a dead transmitter, a cut cable, a gateway's lost route). Each
 * decoded reading is heard here with its arrival time; a sensor heard regularly (at least MIN_GAPS intervals) that
 * has been quiet for `factor` times its usual interval, and at least `minMs`, is signalled silent once; its next
 * reading signals it back. The usual interval is a running mean of the sensor's gaps between arrivals: readings that
 * arrive together (several lines of one message, a backlog the broker delivers at once) are one arrival, and the gap
 * of a silence enters the mean too once it ends, so a sensor whose reporting slowed down for good is soon judged by
 * its new pace rather than signalled at every reading. A sensor reporting every 5 s is silent after a minute, one
 * every 10 min after 100 min.
 *
 * Gaps and quiet time are measured on a monotonic clock (`performance.now()`: a wall clock stepped by NTP must not
 * silence every sensor at once); the wall clock only dates the last reading in the signal. While vigil itself hears
 * nothing (its broker connection is down, or its intake paused), the caller does not check and then `restart`s the
 * watch: quiet time counts from when it can hear again.
 *
 * A sensor signalled silent is kept apart from the sensors heard, until it is heard again: the least recently heard,
 * it was the first forgotten when new sensors needed room, and its `resumed` never came (a review: the operator's
 * "sensor silent" stayed up for good). Those kept are bounded too (`maxSensors` more); beyond, the one signalled first
 * is forgotten, its silence ended by a `resumed` marked `unresolved: 'evicted'`, as an evicted open alert is closed.
 */
import { LruMap, lruAdd, lruGet, lruTouch } from '../util/lru.ts';
import { collectBy } from '../util/held-states.ts';

/** Settings: the config's `alerts.silent`, and how many sensors are remembered. */
export interface SilentSensorOptions {
  /** Quiet for this many times the sensor's usual interval ... */
  factor: number;
  /** ... and at least this long (ms), it is silent. */
  minMs: number;
  /**
   * Sensors heard remembered (the least recently heard forgotten first, never one signalled silent), and as many
   * signalled silent (beyond, the one signalled first is forgotten, its silence ended `unresolved: 'evicted'`).
   */
  maxSensors: number;
}

/** A sensor gone silent, or back. */
export interface SilenceEvent {
  type: 'silent' | 'resumed';
  sensor: string;
  /** When it was last heard before the silence (wall clock, epoch ms). */
  lastHeardAt: number;
  /** How long it has been quiet (silent: so far; resumed: in all). */
  quietMs: number;
  /** Its usual interval between readings before the silence (ms). */
  usualMs: number;
  /** Why, when not its quiet time: the device said it went offline (a Sparkplug `DDEATH` or its node's `NDEATH`). */
  cause?: string;
  /**
   * `resumed` only, `evicted`: not heard again but forgotten for room (more than `maxSensors` sensors silent at once);
   * its silence is ended so that it does not stay up for good, though it was never seen to end.
   */
  unresolved?: 'evicted';
}

/** What is saved of a sensor (the state file): its usual interval, how many gaps it rests on, whether it is silent. */
export interface SilenceState {
  usualMs: number;
  gaps: number;
  silent: boolean;
  /** Wall clock of its last reading (epoch ms). */
  lastHeardAt: number;
}

/** Intervals a sensor must have shown before its silence is judged (a usual interval from fewer is a guess). */
export const MIN_GAPS = 8;
/**
 * Readings of one sensor arriving within this many ms of the last counted arrival are one arrival (one message's lines,
 * a backlog); the interval runs from that arrival to the first one this far or further, so a sensor faster than this
 * (25 Hz) still learns its pace (a probe: never said silent).
 */
export const SAME_ARRIVAL_MS = 50;
/** Weight of the newest gap in the running mean. */
const GAP_WEIGHT = 0.1;

interface Heard {
  /** Monotonic time of the last arrival, and its wall clock. */
  lastAt: number;
  lastWall: number;
  usual: number;
  gaps: number;
  silent: boolean;
  /** Taken back from a previous run and not heard since: its quiet time began before `lastAt` (the restart). */
  restored?: boolean;
  /** Monotonic time of the last arrival counted as one (SAME_ARRIVAL_MS). */
  countedAt: number;
}

/** The per-sensor watch: `heard` every reading, `check` on a timer. */
export class SilentSensors {
  /** Sensors heard and not signalled silent, the least recently heard first. */
  private readonly sensors = new LruMap<string, Heard>();
  /** Sensors signalled silent and not heard since, the first signalled first. */
  private readonly silenced = new Map<string, Heard>();
  /** Silences ended for room, said by the next `check`. */
  private evicted: [string, Heard][] = [];
  /**
   * Sensors whose silence is judged (as of the last `check`): silent, or heard at least MIN_GAPS intervals. One heard
   * only a few times has no usual pace yet and can never be called silent (a probe: one sensor that had sent a single
   * message kept /health ok while the 206 others were silent).
   */
  private judgedNow = 0;
  /** Monotonic time of the last reading of any sensor. */
  private lastAny = Number.NEGATIVE_INFINITY;
  /** Saved states that could not be taken back (the caller logs them). */
  readonly restoreFailures: { sensor: string; problem: string }[] = [];

  /**
   * `saved` (a previous run's `snapshot`) is taken back at monotonic time `now`: a sensor silent then stays silent
   * (its next reading says it is back), the others count their quiet time from now. Entries that are not a saved
   * state are skipped and listed in `restoreFailures`.
   */
  constructor(
    private readonly o: SilentSensorOptions,
    saved: Record<string, unknown> = {},
    now = 0,
  ) {
    for (const [sensor, v] of Object.entries(saved)) {
      const s = v as Partial<SilenceState> | null;
      const ok = s && [s.usualMs, s.gaps, s.lastHeardAt].every((x) => typeof x === 'number' && Number.isFinite(x)) && typeof s.silent === 'boolean';
      if (!ok) {
        this.restoreFailures.push({ sensor, problem: `saved silence state is not {usualMs, gaps, silent, lastHeardAt}: ${JSON.stringify(v)}` });
        continue;
      }
      const heard: Heard = { lastAt: now, lastWall: s.lastHeardAt!, usual: s.usualMs!, gaps: s.gaps!, silent: s.silent!, restored: true, countedAt: now };
      if (s.silent) this.keepSilent(sensor, heard);
      else lruGet(this.sensors, sensor, () => heard, this.o.maxSensors);
    }
  }

  /** Keep `sensor`, signalled silent, until it is heard again; the one signalled first makes room when full. */
  private keepSilent(sensor: string, s: Heard): void {
    s.silent = true;
    if (this.silenced.size >= this.o.maxSensors) {
      const [first, gone] = this.silenced.entries().next().value!;
      this.silenced.delete(first);
      this.evicted.push([first, gone]);
    }
    this.silenced.set(sensor, s);
  }

  /**
   * The end of `s`'s silence at monotonic time `at` and wall clock `wall`. Taken back from before a restart, its quiet
   * time began at its last reading then, by the wall clock (monotonic time does not survive the restart: a probe's
   * sensor silent for 100 s read "quietMs" 5834, the time since it).
   */
  private ended(sensor: string, s: Heard, at: number, wall: number): SilenceEvent {
    const quiet = s.restored ? Math.max(at - s.lastAt, wall - s.lastWall) : at - s.lastAt;
    return { type: 'resumed', sensor, lastHeardAt: s.lastWall, quietMs: quiet, usualMs: s.usual };
  }

  /** Every sensor's state, to save. */
  snapshot(): Record<string, SilenceState> {
    return collectBy([...this.sensors.keys(), ...this.silenced.keys()], (sensor) => this.stateOf(sensor));
  }

  /** One sensor's state, to save (undefined when not watched). */
  stateOf(sensor: string): SilenceState | undefined {
    const s = this.sensors.get(sensor) ?? this.silenced.get(sensor);
    return s && { usualMs: s.usual, gaps: Math.max(0, s.gaps), silent: s.silent, lastHeardAt: s.lastWall };
  }

  /** Whether `sensor` is watched: a reading of it was decoded (lately, or before a restart). */
  knows(sensor: string): boolean {
    return this.sensors.has(sensor) || this.silenced.has(sensor);
  }

  /** Sensors watched: heard lately, or silent and remembered until heard again. */
  get watched(): number {
    return this.sensors.size + this.silenced.size;
  }

  /**
   * Whether the whole feed is silent at monotonic time `now`: every sensor whose silence can be judged is silent, and
   * no sensor at all was heard for `minMs` (one too new to judge still says the feed lives: a review saw /health
   * degraded while ten new sensors reported).
   */
  feedSilent(now: number): boolean {
    return this.silenced.size > 0 && this.silenced.size >= this.judgedNow && now - this.lastAny >= this.o.minMs;
  }

  /** Sensors silent now: signalled, and not heard since. */
  get silent(): number {
    return this.silenced.size;
  }

  /** The sensors signalled silent and not heard since, with the wall clock of their last reading. */
  silentSensors(): { sensor: string; lastHeardAt: number }[] {
    const out: { sensor: string; lastHeardAt: number }[] = [];
    for (const [sensor, s] of this.silenced) out.push({ sensor, lastHeardAt: s.lastWall });
    return out;
  }

  /**
   * A reading of `sensor` arrived at monotonic time `at` (ms) and wall clock `wall`; returns its `resumed` event when
   * it had been signalled silent.
   */
  heard(sensor: string, at: number, wall: number): SilenceEvent | undefined {
    let s = lruTouch(this.sensors, sensor);
    let back: SilenceEvent | undefined;
    if (s === undefined) {
      const quiet = this.silenced.get(sensor);
      if (quiet) {
        this.silenced.delete(sensor);
        back = this.ended(sensor, quiet, at, wall);
        quiet.silent = false;
      }
      s = lruAdd<string, Heard>(this.sensors, sensor, quiet ?? { lastAt: at, lastWall: wall, usual: 0, gaps: -1, silent: false, countedAt: at }, this.o.maxSensors);
    }
    s.restored = false;
    const since = at - s.countedAt;
    if (s.gaps < 0) s.gaps = 0;
    else if (since >= SAME_ARRIVAL_MS) {
      s.usual = s.gaps === 0 ? since : s.usual + GAP_WEIGHT * (since - s.usual);
      s.gaps++;
      s.countedAt = at;
    }
    s.lastAt = at;
    s.lastWall = wall;
    if (at > this.lastAny) this.lastAny = at;
    return back;
  }

  /**
   * The device behind `sensor` said it went offline (a Sparkplug death certificate): silent now, without waiting out
   * `factor` of its usual interval (a probe: a dead device's silence came a minute or more later, if at all). Returns
   * the `silent` event, or undefined for a sensor not watched or already silent.
   */
  offline(sensor: string, now: number, cause: string): SilenceEvent | undefined {
    const s = this.sensors.get(sensor);
    if (!s) return undefined;
    this.sensors.delete(sensor);
    this.keepSilent(sensor, s);
    return { type: 'silent', sensor, lastHeardAt: s.lastWall, quietMs: Math.max(0, now - s.lastAt), usualMs: s.usual, cause };
  }

  /**
   * The sensors that went silent by monotonic time `now` (each once until it is heard again), then the silences ended
   * for room since the last check (`unresolved: 'evicted'`; quiet until wall clock `wall`).
   */
  check(now: number, wall = Date.now()): SilenceEvent[] {
    const out: SilenceEvent[] = [];
    let judged = 0;
    for (const [sensor, s] of this.sensors) {
      if (s.gaps < MIN_GAPS) continue;
      const quiet = now - s.lastAt;
      if (quiet < Math.max(this.o.minMs, this.o.factor * s.usual)) {
        judged++;
        continue;
      }
      // An iteration survives the delete (LruMap).
      this.sensors.delete(sensor);
      this.keepSilent(sensor, s);
      out.push({ type: 'silent', sensor, lastHeardAt: s.lastWall, quietMs: quiet, usualMs: s.usual });
    }
    for (const [sensor, s] of this.evicted.splice(0)) out.push({ ...this.ended(sensor, s, now, wall), unresolved: 'evicted' });
    this.judgedNow = judged + this.silenced.size;
    return out;
  }

  /**
   * vigil could not hear for a while (no broker, intake paused): every sensor not yet silent counts its quiet time
   * from monotonic time `now`, so vigil's own outage is not signalled as every sensor's silence.
   */
  restart(now: number): void {
    for (const s of this.sensors.values()) {
      s.lastAt = Math.max(s.lastAt, now);
      // Nor is it an interval between the sensor's readings (a review: a 2 h outage taught a 1/min sensor 13 min).
      s.countedAt = s.lastAt;
    }
  }
}
