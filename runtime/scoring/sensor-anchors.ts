/**
 * The re-anchorings of one model's sensors (re-anchor.ts): those in progress by sensor, and which sensors an operator
 * marked normal under it (a model swap takes those marks back: TrackedResiduals says so). Not saved: a restart leaves
 * each state as it was learnt, and a re-anchoring in progress is asked for again.
 */
import type { ResidualModel } from './mahalanobis.ts';
import { startAnchor, type Anchor } from './re-anchor.ts';

/** Re-anchorings by sensor, and the marks they leave, for one model's tracked states. */
export class SensorAnchors {
  private readonly bySensor = new Map<string, Anchor>();
  /** Sensors whose level an operator marked normal under this model (and did not send back to training since). */
  readonly marked = new Set<string>();

  /**
   * Start one on `state` (the sensor's tracked state under `model`), replacing any in progress (returned; the new one
   * starts from the state before it); `by`: who asked.
   */
  start(sensor: string, kind: 'normal' | 'trained', windows: number, state: Float64Array, model: ResidualModel, by?: string): { started: Anchor; replaced?: Anchor } {
    const was = this.bySensor.get(sensor);
    const replaced = was && !was.moved ? was : undefined;
    const started = startAnchor(kind, windows, state, model, replaced);
    if (by !== undefined) started.by = by;
    this.bySensor.set(sensor, started);
    return { started, ...(replaced ? { replaced } : {}) };
  }

  /** Whether any sensor has one (scoring looks up none otherwise). */
  get any(): boolean {
    return this.bySensor.size > 0;
  }

  /** The sensor's, if any (a done one stays until `take`). */
  of(sensor: string): Anchor | undefined {
    return this.bySensor.get(sensor);
  }

  /** Those in progress (not done), by sensor. */
  pending(): [string, Anchor][] {
    return [...this.bySensor].filter(([, a]) => !a.moved);
  }

  /** Those completed since the last call, removed; the marks follow them. */
  take(): [string, Anchor][] {
    const done = [...this.bySensor].filter(([, a]) => a.moved);
    for (const [sensor, a] of done) {
      this.bySensor.delete(sensor);
      if (a.kind === 'normal') this.marked.add(sensor);
      else this.marked.delete(sensor);
    }
    return done;
  }

  /** Drop the sensors `which` selects (a fleet partition handed to another worker). */
  forget(which: (sensor: string) => boolean): void {
    for (const sensor of [...this.bySensor.keys()]) if (which(sensor)) this.bySensor.delete(sensor);
    for (const sensor of [...this.marked]) if (which(sensor)) this.marked.delete(sensor);
  }
}
