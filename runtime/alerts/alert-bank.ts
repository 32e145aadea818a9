/**
 * One AlertTracker per sensor, created on first sight (or restored from saved state), bounded by `maxSensors`
 * with least-recently-used eviction. The caller owns the bank, so the live process saves `snapshot()` with the
 * threshold state and a restart resumes open alerts instead of opening them again. A sensor evicted with its alert
 * open has it closed, `unresolved: 'evicted'`, and the close handed to `onEvict`: dropped without a word, the alert
 * stayed open for its consumers for good, and the sensor's return opened a second one for the same incident.
 */
import { LruMap, lruAdd, lruTouch } from '../util/lru.ts';
import { adoptStates, collectBy, forgetSensors, savedThenHeld } from '../util/held-states.ts';
import { AlertTracker, type AlertPolicy, type AlertStep, type AlertTrackerState, type Unresolved } from './tracker.ts';
import { isCritical } from './escalation.ts';
import type { Maintenance } from './maintenance.ts';

/** An alert open now: its sensor, when it opened (data time) and its peak window so far. */
export interface OpenAlert {
  sensor: string;
  openedAt: number;
  peak: NonNullable<AlertTrackerState['open']>['peak'];
  critical: boolean;
}

/** Options of an AlertBank. */
export interface AlertBankOptions {
  /** Most sensors tracked; the least recently used one is dropped beyond (default 10,000). */
  maxSensors?: number;
  /** Saved states by sensor, restored on first sight. */
  saved?: Record<string, AlertTrackerState>;
  /** Told of each open alert closed because its sensor was evicted to admit `admitted` (the close step). */
  onEvict?: (sensor: string, close: AlertStep, admitted: string) => void;
}

/** Per-sensor alert trackers under one policy. */
export class AlertBank {
  private readonly held = new LruMap<string, AlertTracker>();
  private readonly saved: Map<string, AlertTrackerState>;
  private readonly maxSensors: number;
  private readonly onEvict: AlertBankOptions['onEvict'];
  /** Saved states that could not be restored (the sensor started closed); reasons kept for the log. */
  readonly restoreFailures: { sensor: string; reason: string }[] = [];

  constructor(
    readonly policy: AlertPolicy,
    opts: AlertBankOptions = {},
  ) {
    this.maxSensors = opts.maxSensors ?? 10_000;
    this.onEvict = opts.onEvict;
    this.saved = new Map();
    // Checked now, not on each sensor's first sight: an open alert that cannot be resumed is not announced as one
    // (`openSensors`), and the failure is known at the start (`restoreFailures`), not after the alert opened again.
    for (const [sensor, state] of Object.entries(opts.saved ?? {})) {
      try {
        AlertTracker.restore(policy, state, sensor);
        this.saved.set(sensor, state);
      } catch (err) {
        this.restoreFailures.push({ sensor, reason: (err as Error).message });
      }
    }
  }

  /** The tracker of a sensor, created (or restored) on first use. */
  get(sensor: string): AlertTracker {
    return lruTouch(this.held, sensor) ?? lruAdd(this.held, sensor, this.create(sensor), this.maxSensors, (gone, t) => this.evicted(gone, t, sensor));
  }

  /** A tracker dropped for room: its open alert is closed, said to `onEvict`, never just forgotten. */
  private evicted(sensor: string, t: AlertTracker, admitted: string): void {
    const close = t.abandon('evicted');
    if (close) this.onEvict?.(sensor, close, admitted);
    // An operator's maintenance still to come or under way outlives the eviction (waiting with the saved states; the
    // state file keeps it while it lasts, runtime/ops/thresholds.ts): forgotten, the sensor's return raised the alerts
    // it was set to keep quiet. Only while the saved states are within the bound, so the memory stays bounded.
    const m = t.maintenanceSet;
    if (m && m.until > Date.now() && this.saved.size < this.maxSensors) this.saved.set(sensor, t.toJSON());
  }

  /**
   * Hold the saved open alerts now, least recent first (saved order), as their sensors' first sight would: a saved
   * state waits outside the bound, and a fleet partition's next owner dropped it from its saves for room once new
   * sensors filled the bound (`snapshot`), an open alert gone without a close. Held, it is evicted like any other, its
   * close told to `onEvict`.
   */
  holdOpen(): void {
    for (const [sensor, state] of [...this.saved]) if (state.open) this.get(sensor);
  }

  /**
   * Close the sensor's open alert unresolved (`AlertTracker.abandon`: its sensor went silent for good, or its silence
   * was let go for room, `evicted`); undefined when none is open.
   */
  abandon(sensor: string, why: Unresolved = 'silent'): AlertStep | undefined {
    if (!this.held.has(sensor) && !this.saved.get(sensor)?.open) return undefined;
    return this.get(sensor).abandon(why);
  }

  /**
   * Put a sensor under maintenance, or end it (undefined: maintenance.ts); false when the sensor has no alert state
   * here (not seen since this vigil started, nor saved: a name mistyped, or a sensor another worker holds).
   */
  maintain(sensor: string, m: Maintenance | undefined): boolean {
    if (!this.held.has(sensor) && !this.saved.has(sensor)) return false;
    this.get(sensor).maintain(m);
    return true;
  }

  /** The sensor's maintenance lasting past `now`, if any (no creation, no change of recency). */
  maintenanceOf(sensor: string, now = Date.now()): Maintenance | undefined {
    const m = this.held.get(sensor)?.maintenanceSet ?? this.saved.get(sensor)?.maintenance;
    return m && m.until > now ? m : undefined;
  }

  /** Sensors whose maintenance lasts past `now` (held or saved). */
  inMaintenance(now: number): string[] {
    return [...this.held.keys(), ...this.saved.keys()].filter((s) => this.maintenanceOf(s, now) !== undefined);
  }

  /** Sensors whose alert is open now (held or saved and not seen yet). */
  openSensors(): string[] {
    const out = [...this.held].filter(([, t]) => t.isOpen).map(([s]) => s);
    for (const [s, st] of this.saved) if (st.open) out.push(s);
    return out;
  }

  /**
   * The alerts open now, as their state holds them (opened at, peak window, critical): what a page opened after a
   * restart shows before the next event (a probe's dashboard said "normal" at 15x with the alert still open).
   */
  openAlerts(): OpenAlert[] {
    const out: OpenAlert[] = [];
    for (const sensor of this.openSensors()) {
      const open = this.stateOf(sensor)?.open;
      if (open) out.push({ sensor, openedAt: open.openedAt, peak: open.peak, critical: open.critical ?? isCritical(open.peak.score, open.peak.threshold) });
    }
    return out;
  }

  /** Serialised state of every tracker (plus saved ones not seen yet, so a quiet sensor's open alert is kept). */
  snapshot(): Record<string, AlertTrackerState> {
    return collectBy(savedThenHeld(this.saved, this.held, this.maxSensors), (s) => this.stateOf(s));
  }

  /** One sensor's state as `snapshot` has it (no creation, no change of recency). */
  stateOf(sensor: string): AlertTrackerState | undefined {
    return this.held.get(sensor)?.toJSON() ?? this.saved.get(sensor);
  }

  /** Take saved states for sensors not held yet (a fleet partition handed over); returns how many were taken. */
  adopt(states: Record<string, AlertTrackerState>): number {
    return adoptStates(this.held, this.saved, states);
  }

  /** Drop held and saved trackers of the sensors `which` selects (a partition handed to another worker). */
  forget(which: (sensor: string) => boolean): void {
    forgetSensors([this.held, this.saved], which);
  }

  private create(sensor: string): AlertTracker {
    const state = this.saved.get(sensor);
    if (state) {
      this.saved.delete(sensor);
      try {
        return AlertTracker.restore(this.policy, state, sensor);
      } catch (err) {
        this.restoreFailures.push({ sensor, reason: (err as Error).message });
      }
    }
    return new AlertTracker(this.policy);
  }
}
