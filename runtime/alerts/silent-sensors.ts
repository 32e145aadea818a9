/**
 * A sensor that stops reporting is a fact an operator must hear about: with no readings the model has nothing to
 * say, and no alert must not be read as all is well (a dead transmitter, a cut cable, a gateway's lost route). Each
 * decoded reading is heard here with its arrival time; a sensor heard regularly (at least MIN_GAPS intervals) that
 * has been quiet for `factor` times its usual interval, and at least `minMs`, is signalled silent once; its next
 * reading signals it back. The usual interval is a running mean of the sensor's recent gaps (the silence itself never
 * enters it), so a sensor reporting every 5 s is silent after a minute, one reporting every 10 min after 100 min.
 * Time is the arrival wall clock (Date.now), checked on a timer by the caller.
 */
import { lruGet } from '../util/lru.ts';

/** Settings: the config's `alerts.silent`, and how many sensors are remembered. */
export interface SilentSensorOptions {
  /** Quiet for this many times the sensor's usual interval ... */
  factor: number;
  /** ... and at least this long (ms), it is silent. */
  minMs: number;
  /** Sensors remembered (the least recently heard forgotten first, never signalled). */
  maxSensors: number;
}

/** A sensor gone silent, or back. */
export interface SilenceEvent {
  type: 'silent' | 'resumed';
  sensor: string;
  /** When it was last heard before the silence (epoch ms). */
  lastHeardAt: number;
  /** How long it has been quiet (silent: so far; resumed: in all). */
  quietMs: number;
  /** Its usual interval between readings before the silence (ms). */
  usualMs: number;
}

/** Intervals a sensor must have shown before its silence is judged (a usual interval from fewer is a guess). */
export const MIN_GAPS = 8;
/** Weight of the newest gap in the running mean. */
const GAP_WEIGHT = 0.1;

interface Heard {
  lastAt: number;
  usual: number;
  gaps: number;
  silent: boolean;
}

/** The per-sensor watch: `heard` every reading, `check` on a timer. */
export class SilentSensors {
  private readonly sensors = new Map<string, Heard>();
  private silentNow = 0;

  constructor(private readonly o: SilentSensorOptions) {}

  /** Sensors silent now. */
  get silent(): number {
    return this.silentNow;
  }

  /** A reading of `sensor` arrived at `at`; returns its `resumed` event when it had been signalled silent. */
  heard(sensor: string, at: number): SilenceEvent | undefined {
    const s = lruGet(this.sensors, sensor, () => ({ lastAt: at, usual: 0, gaps: -1, silent: false }), this.o.maxSensors);
    const gap = at - s.lastAt;
    let back: SilenceEvent | undefined;
    if (s.silent) {
      s.silent = false;
      this.silentNow = Math.max(0, this.silentNow - 1);
      back = { type: 'resumed', sensor, lastHeardAt: s.lastAt, quietMs: gap, usualMs: s.usual };
    } else if (s.gaps >= 0 && gap >= 0) {
      // Readings of one burst (a backlog flushed at once) arrive together: their gaps of 0 pull the mean down, which
      // only makes the watch quicker to signal, never slower.
      s.usual = s.gaps === 0 ? gap : s.usual + GAP_WEIGHT * (gap - s.usual);
      s.gaps++;
    } else s.gaps = 0;
    if (at >= s.lastAt) s.lastAt = at;
    return back;
  }

  /** The sensors that went silent by `now` (each once until it is heard again). */
  check(now: number): SilenceEvent[] {
    const out: SilenceEvent[] = [];
    // Counted afresh: a silent sensor forgotten for room (maxSensors) is no longer silent here.
    let silent = 0;
    for (const [sensor, s] of this.sensors) {
      if (s.silent) silent++;
      if (s.silent || s.gaps < MIN_GAPS) continue;
      const quiet = now - s.lastAt;
      if (quiet < Math.max(this.o.minMs, this.o.factor * s.usual)) continue;
      s.silent = true;
      silent++;
      out.push({ type: 'silent', sensor, lastHeardAt: s.lastAt, quietMs: quiet, usualMs: s.usual });
    }
    this.silentNow = silent;
    return out;
  }
}
