/**
 * Per-sensor score smoothers for the live process, saved and restored with the threshold state: a restart
 * mid-incident resumes each sensor's smoothed score where it was instead of starting it from the next raw score
 * (which would move the verdicts an EWMA or moving mean was configured to steady). A saved smoother made under
 * another smoothing config starts that sensor fresh, with one warning for all of them.
 */
import { createSmoother, restoreSmoother, type Smoother, type SmootherState, type SmoothingConfig } from '../scoring/smoothing.ts';
import type { ScoreSmoother, SensorThreshold } from '../stream/threshold-bank.ts';
import { forgetSensors } from '../util/held-states.ts';
import type { VigilLogger } from './logger.ts';

/** Smoothers by sensor: the pipeline's factory, and their states for the state file and fleet hand-over. */
export interface SmootherStates {
  /** Per-sensor smoother factory for the pipeline (undefined: smoothing is off). */
  factory?: (sensor: string) => ScoreSmoother;
  /** One sensor's smoother state to save (its saved one while not seen yet), given its entry in the threshold bank when held. */
  stateOf(sensor: string, entry: SensorThreshold | undefined): SmootherState | undefined;
  /** Take saved states for sensors not held yet (`isHeld` says which are), restored on first sight. */
  adopt(states: Record<string, SmootherState>, isHeld: (sensor: string) => boolean): void;
  /** Drop the saved states of the sensors `which` selects. */
  forget(which: (sensor: string) => boolean): void;
  /** Saved states that could not be restored (the sensor started fresh); reasons kept for the log. */
  readonly restoreFailures: { sensor: string; reason: string }[];
}

/** A config as text whatever the order of its keys. */
const keyOf = (c: unknown) => JSON.stringify(c, c && typeof c === 'object' ? Object.keys(c).sort() : undefined);
const isSmoother = (s: ScoreSmoother | undefined): s is Smoother => typeof (s as Smoother | undefined)?.toJSON === 'function';

/** Smoothers of the configured kind, restored on first sight from `saved` where its config matches. */
export function smootherStates(config: SmoothingConfig, saved: Record<string, SmootherState>, log: VigilLogger): SmootherStates {
  const want = keyOf(config);
  const pending = new Map<string, SmootherState>();
  const restoreFailures: { sensor: string; reason: string }[] = [];
  const take = (states: Record<string, SmootherState>, isHeld: (sensor: string) => boolean = () => false) => {
    let differ = 0;
    for (const [sensor, s] of Object.entries(states)) {
      if (isHeld(sensor)) continue;
      if (keyOf(s?.config) === want) pending.set(sensor, s);
      else differ++;
    }
    if (differ) log.warn({ sensors: differ, configured: config }, 'saved score smoothing differs from the configured one; those sensors start smoothing afresh');
  };
  take(saved);
  const factory =
    config.kind === 'none'
      ? undefined
      : (sensor: string): ScoreSmoother => {
          const s = pending.get(sensor);
          if (!s) return createSmoother(config);
          pending.delete(sensor);
          try {
            return restoreSmoother(s);
          } catch (err) {
            restoreFailures.push({ sensor, reason: (err as Error).message });
            return createSmoother(config);
          }
        };
  const stateOf = (sensor: string, entry: SensorThreshold | undefined): SmootherState | undefined =>
    isSmoother(entry?.smoother) ? entry.smoother.toJSON() : pending.get(sensor);
  return {
    factory,
    stateOf,
    adopt: (states, isHeld) => take(states, isHeld),
    forget: (which) => void forgetSensors([pending], which),
    restoreFailures,
  };
}
