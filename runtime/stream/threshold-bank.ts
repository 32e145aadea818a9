/**
 * One Threshold per sensor, created on first sight by a factory (or restored from saved state), bounded by
 * `maxSensors` with least-recently-used eviction. The caller owns the bank, so it can persist `snapshot()`
 * periodically and on shutdown while the stream runs.
 */
import type { Threshold, ThresholdState } from '../thresholds/threshold.ts';
import { LruMap, lruAdd, lruTouch } from '../util/lru.ts';
import { adoptStates, collectBy, forgetSensors, savedThenHeld } from '../util/held-states.ts';

/** Builds a fresh threshold for a sensor (e.g. `() => createThreshold(config, card)`). */
export type ThresholdFactory = (sensor: string) => Threshold;

/** Options of a ThresholdBank. */
export interface ThresholdBankOptions {
  /** Most sensors held; the least recently used one is dropped beyond (default 10,000). */
  maxSensors?: number;
  /** Saved states by sensor, restored on first sight with `restore`. */
  saved?: Record<string, ThresholdState>;
  /** Rebuild a threshold from saved state (the thresholds module's restore function). */
  restore?: (state: ThresholdState, sensor: string) => Threshold;
}

/** A per-sensor score smoother (structurally the scoring module's `Smoother`). */
export interface ScoreSmoother {
  smooth(score: number): number;
}

/** Per-sensor threshold plus the optional smoother that feeds it. */
export interface SensorThreshold {
  threshold: Threshold;
  /** Created on first use by `applyThresholds` when smoothing is on. */
  smoother?: ScoreSmoother;
}

/** Per-sensor thresholds with bounded memory. */
export class ThresholdBank {
  private readonly held = new LruMap<string, SensorThreshold>();
  private readonly saved: Map<string, ThresholdState>;
  private readonly maxSensors: number;
  /** Sensors dropped to stay within `maxSensors`. */
  evicted = 0;
  /** Saved states that could not be restored (the sensor started afresh); reasons kept for the log. */
  readonly restoreFailures: { sensor: string; reason: string }[] = [];

  constructor(
    private readonly factory: ThresholdFactory,
    private readonly opts: ThresholdBankOptions = {},
  ) {
    this.maxSensors = opts.maxSensors ?? 10_000;
    this.saved = new Map(Object.entries(opts.saved ?? {}));
    if (this.saved.size > 0 && !opts.restore) throw new Error('ThresholdBank: saved states given without a restore function');
  }

  /** The entry for a sensor, created (or restored) on first use. */
  get(sensor: string): SensorThreshold {
    return lruTouch(this.held, sensor) ?? lruAdd(this.held, sensor, { threshold: this.create(sensor) }, this.maxSensors, () => this.evicted++);
  }

  /** The threshold of a sensor if it exists (no creation). */
  peek(sensor: string): Threshold | undefined {
    return this.held.get(sensor)?.threshold;
  }

  /** Every sensor's threshold and smoother (e.g. to persist smoother state too; assign `smoother` to restore one). */
  sensors(): IterableIterator<[string, SensorThreshold]> {
    return this.held.entries();
  }

  /** Sensors held. */
  get size(): number {
    return this.held.size;
  }

  /** Serialised state of every sensor's threshold (plus restored-but-unseen saved ones, so nothing is lost). */
  snapshot(): Record<string, ThresholdState> {
    return collectBy(this.keys(), (s) => this.stateOf(s));
  }

  /** The sensors `snapshot` lists: saved ones not seen yet, then the held ones, least recently seen first. */
  keys(): string[] {
    return savedThenHeld(this.saved, this.held, this.maxSensors);
  }

  /** One sensor's state as `snapshot` has it (no creation, no change of recency). */
  stateOf(sensor: string): ThresholdState | undefined {
    return this.held.get(sensor)?.threshold.toJSON() ?? this.saved.get(sensor);
  }

  /** A sensor's entry when held (no creation, no change of recency). */
  entry(sensor: string): SensorThreshold | undefined {
    return this.held.get(sensor);
  }

  /**
   * Take saved states for sensors not held yet, to be restored on first sight (e.g. states another worker of
   * a fleet handed over with a partition). Returns how many were taken; needs the `restore` option.
   */
  adopt(states: Record<string, ThresholdState>): number {
    if (!this.opts.restore) throw new Error('ThresholdBank.adopt: no restore function');
    return adoptStates(this.held, this.saved, states);
  }

  /** Drop held and saved states of the sensors `which` selects (e.g. a partition handed to another worker). */
  forget(which: (sensor: string) => boolean): number {
    return forgetSensors([this.held, this.saved], which);
  }

  private create(sensor: string): Threshold {
    const state = this.saved.get(sensor);
    if (state && this.opts.restore) {
      this.saved.delete(sensor);
      try {
        return this.opts.restore(state, sensor);
      } catch (err) {
        this.restoreFailures.push({ sensor, reason: (err as Error).message });
      }
    }
    return this.factory(sensor);
  }
}
