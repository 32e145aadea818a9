/**
 * Per-sensor residual means for Mahalanobis scoring with tracking (`scoring.residual.tracking`): each sensor
 * starts at the card's mean and follows its own slow normal drift. Bounded by `maxSensors` (least recently
 * seen dropped first); `snapshot`/`restore` carry the learnt means across restarts.
 */
import { offsetsAt, seededValues } from './input-offsets.ts';
import { clockTail, restoreClock } from './input-blocks.ts';
import { stateFrom, trackedState, type ResidualModel } from './mahalanobis.ts';
import { LruMap, lruAdd, lruTouch } from '../util/lru.ts';
import { forgetSensors } from '../util/held-states.ts';
import { decodeFloats, encodeFloats } from '../util/float-state.ts';
import { collectBy } from '../util/held-states.ts';
import type { Anchor } from './re-anchor.ts';
import { SensorAnchors } from './sensor-anchors.ts';

/**
 * What `TrackedResiduals.anchor` did: started (with the anchor it replaced, if one was in progress), or why not (the
 * card does not track, the sensor has no state).
 */
type AnchorStart = { started: Anchor; replaced?: Anchor } | 'untracked' | 'unseen';

/** Tracked residual means by sensor. */
export class ResidualBaselines {
  private readonly held = new LruMap<string, Float64Array>();
  /** What operators asked of these sensors' levels (sensor-anchors.ts). */
  readonly anchors = new SensorAnchors();

  constructor(
    readonly model: ResidualModel,
    private readonly maxSensors = 10_000,
  ) {}

  /** The sensor's mean, created from the card's on first sight. */
  of(sensor: string): Float64Array {
    // A sensor evicted takes its re-anchoring with it: one left behind would wait on a clock that starts again.
    return lruTouch(this.held, sensor) ?? lruAdd(this.held, sensor, trackedState(this.model), this.maxSensors, (gone) => this.anchors.forget((s) => s === gone));
  }

  /** A sensor's state when held (never creates one, unlike `of`). */
  peek(sensor: string): Float64Array | undefined {
    return this.held.get(sensor);
  }

  /** Every sensor's state, as held (not copies). */
  entries(): IterableIterator<[string, Float64Array]> {
    return this.held.entries();
  }

  /** A sensor's learnt means as an `f64:` string (../util/float-state.ts), when held. */
  meanOf(sensor: string): string | undefined {
    const m = this.held.get(sensor);
    return m && encodeFloats(this.anchoredFrom(sensor)?.prior ?? m);
  }

  /** The sensor's re-anchoring in progress: its state is saved as it was before it (re-anchor.ts `prior`). */
  private anchoredFrom(sensor: string) {
    const a = this.anchors.of(sensor);
    return a && !a.moved ? a : undefined;
  }

  /**
   * With input offsets, a sensor's clock (which offsets reach which window, input-blocks.ts `clockTail`) as an
   * `f64:` string: saved beside the state, in its own field, which a vigil without clocks ignores.
   */
  clockOf(sensor: string): string | undefined {
    const m = this.held.get(sensor);
    if (!m || offsetsAt(this.model) < 0) return undefined;
    const anchor = this.anchoredFrom(sensor);
    const tail = anchor ? anchor.priorClock : clockTail(m, this.model.mean.length);
    return tail ? encodeFloats(Float64Array.from(tail)) : undefined;
  }

  /** Learnt means by sensor (`meanOf` of each). */
  snapshot(): Record<string, string> {
    return collectBy(this.held.keys(), (s) => this.meanOf(s));
  }

  /** The clock of each sensor that has one (`clockOf` of each). */
  clocks(): Record<string, string> {
    return offsetsAt(this.model) < 0 ? {} : collectBy(this.held.keys(), (s) => this.clockOf(s));
  }

  /**
   * Put learnt means back; entries of another channel count are skipped and returned by name. Still bounded by
   * `maxSensors`: the means restored last (a snapshot lists the most recently seen last) are the ones kept.
   */
  restore(states: Record<string, unknown>, keepHeld = false, clocks: Record<string, unknown> = {}): string[] {
    const skipped: string[] = [];
    const c = this.model.mean.length;
    const clocked = offsetsAt(this.model) >= 0;
    for (const [sensor, saved] of Object.entries(states)) {
      if (keepHeld && this.held.has(sensor)) continue;
      // An `f64:` string, or the plain array files written before it.
      const v = decodeFloats(saved);
      // C means, then C level uncertainties (never negative), then C input offsets, then C memory values, as far as the
      // card tracks them (a state saved under a card that tracked less starts the rest afresh; one that tracked more
      // keeps what fits).
      if (!Array.isArray(v) || v.length % c !== 0 || v.length < c || v.length > 4 * c || !v.every((x, k) => typeof x === 'number' && Number.isFinite(x) && (k < c || k >= 2 * c || x >= 0))) {
        skipped.push(sensor);
        continue;
      }
      const state = stateFrom(this.model, v);
      // A clock saved for a state of the same length (the same card's layout) goes back with it; otherwise it starts afresh.
      const tail = clocked && clocks[sensor] !== undefined ? decodeFloats(clocks[sensor]) : undefined;
      if (tail && v.length === state.length) restoreClock(state, c, tail);
      this.held.set(sensor, state);
    }
    for (const sensor of this.held.keys()) {
      if (this.held.size <= this.maxSensors) break;
      this.held.delete(sensor);
    }
    return skipped;
  }

  /** Drop the means of the sensors `which` selects (a fleet partition handed to another worker). */
  forget(which: (sensor: string) => boolean): void {
    forgetSensors([this.held], which);
    this.anchors.forget(which);
  }

  /**
   * Re-anchor a held sensor's state (re-anchor.ts): `normal`, from its next `windows` windows, or back to `trained`,
   * replacing any re-anchoring in progress; undefined when the sensor has no state here (never scored, or forgotten).
   */
  anchor(sensor: string, kind: 'normal' | 'trained', windows: number, by?: string): { started: Anchor; replaced?: Anchor } | undefined {
    const state = this.held.get(sensor);
    return state && this.anchors.start(sensor, kind, windows, state, this.model, by);
  }
}

/**
 * The tracked state of one series scored window after window in order (offline uses of a model: `vigil
 * encode`, `latent`, train/uses/windows.ts, which also shifts inputs as `vigil score` does), so its scores are the
 * ones `vigil score` gives; undefined when the card does not track.
 */
export function seriesMeanOf(scoring: { error: string; residual?: ResidualModel }): ((i: number) => Float64Array) | undefined {
  const model = trackedModel(scoring);
  if (!model) return undefined;
  const state = trackedState(model);
  return () => state;
}

/** The residual model of a scoring that tracks drift (mahalanobis with `tracking`), else undefined: one that follows a level. */
export function trackedModel(scoring: { error: string; residual?: ResidualModel }): ResidualModel | undefined {
  return scoring.error === 'mahalanobis' && scoring.residual?.tracking ? scoring.residual : undefined;
}

/**
 * The residual means of the model in service: one `ResidualBaselines` per card (a swapped-in model starts from
 * its own card's mean; a model swapped back in, as by a rollback, resumes the means it had), seeded with means a previous run saved when the card they were saved under (`savedFor`;
 * absent: whichever card comes first) scores. Shared by the inference stage, which moves them, and the state
 * store, which saves them.
 */
export class TrackedResiduals {
  private now: { card: object; key: string; baselines: ResidualBaselines } | undefined;
  /** The means of the models served before, by residual model (the last two): a model swapped back in resumes its own. */
  private readonly before = new Map<string, ResidualBaselines>();
  /** Means the next model swapped in starts from (runtime/adapt/seed-residuals.ts), by its residual model. */
  private seeded: { key: string; means: Record<string, number[]> } | undefined;
  /** Told of each re-anchoring completed (runtime/ops/re-anchors.ts: logged, saved soon), with the residual model it set. */
  onAnchored?: (sensor: string, anchor: Anchor, model: ResidualModel) => void;
  /** Told at a swap to a model new here (`card`) of the re-anchorings that start over under it, and the sensors marked normal under the old. */
  onSwapped?: (card: object, restarted: string[], marked: string[]) => void;

  constructor(
    private saved: Record<string, unknown> = {},
    private readonly maxSensors = 10_000,
    private readonly savedFor?: object,
    /** The input-offset clocks saved beside `saved` (ResidualBaselines.clocks). */
    private savedClocks: Record<string, unknown> = {},
  ) {}

  /** The means for `card`, or undefined when its scoring does not track. */
  for(card: { scoring: { error: string; residual?: ResidualModel } }): ResidualBaselines | undefined {
    const residual = trackedModel(card.scoring);
    if (!residual) return undefined;
    if (this.now?.card !== card) {
      // A rollback (vigil adapt rollback, runtime/adapt/) brings back the exact card: its means, not a fresh start.
      const key = JSON.stringify(residual);
      if (this.now) {
        this.before.delete(this.now.key);
        this.before.set(this.now.key, this.now.baselines);
        if (this.before.size > 2) this.before.delete(this.before.keys().next().value!);
      }
      const back = this.before.get(key);
      this.before.delete(key);
      const baselines = back ?? new ResidualBaselines(residual, this.maxSensors);
      if (!this.now && (this.savedFor === undefined || this.savedFor === card)) baselines.restore(this.saved, false, this.savedClocks);
      this.saved = {};
      this.savedClocks = {};
      // Seeded means are newer than any it held before the swap.
      if (this.seeded?.key === key) {
        // Measured on unshifted windows: with inputs tracked, what they show beyond the card's mean seeds the offsets.
        const seeded = this.seeded.means;
        baselines.restore(Object.fromEntries(Object.keys(seeded).map((s) => [s, seededValues(residual, seeded[s])])));
      }
      this.seeded = undefined;
      // What an operator asked of the model before (re-anchor.ts): a re-anchoring in progress starts over under a model
      // new to this process; the levels marked normal under it belong to its residuals, not these (said by
      // `onSwapped`). Not for a model scored before (a rollback, or the old model's batches still in flight right after
      // a swap, which flipped to it and back: each flip restarted every re-anchoring and said so again; a review).
      const was = back ? undefined : this.now?.baselines;
      const carried = was ? was.anchors.pending() : [];
      for (const [sensor, a] of carried) {
        baselines.of(sensor);
        baselines.anchor(sensor, a.kind, a.windows, a.by);
      }
      this.now = { card, key, baselines };
      if (was && (carried.length || was.anchors.marked.size)) this.onSwapped?.(card, carried.map(([s]) => s), [...was.anchors.marked]);
    }
    return this.now.baselines;
  }

  /** The states of `card` when it is the model in service and has scored (no side effects, unlike `for`). */
  peek(card: object): ResidualBaselines | undefined {
    return this.now?.card === card ? this.now.baselines : undefined;
  }

  /**
   * The means `card` starts from when it is next swapped in, by sensor (other sensors start as they would): set just
   * before a swap, so tracking carries on from today's normal instead of the card's or a stale one.
   */
  seed(card: { scoring: { error: string; residual?: ResidualModel } }, means: Record<string, number[]>): void {
    const residual = trackedModel(card.scoring);
    this.seeded = residual ? { key: JSON.stringify(residual), means } : undefined;
  }

  /**
   * Re-anchor `sensor` under `card`, the model in service (re-anchor.ts: `normal` from its next `windows` windows, or
   * back to `trained`): 'untracked' when the card's scoring follows no level, 'unseen' when the sensor has no state
   * (not scored since the start); `by`: who asked, said by the alert it closes.
   */
  anchor(card: { scoring: { error: string; residual?: ResidualModel } }, sensor: string, kind: 'normal' | 'trained', windows: number, by?: string): AnchorStart {
    if (!trackedModel(card.scoring)) return 'untracked';
    return this.peek(card)?.anchor(sensor, kind, windows, by) ?? 'unseen';
  }

  /** Hand the re-anchorings completed by the last batch to `onAnchored`. */
  settleAnchors(): void {
    const now = this.now;
    if (!now) return;
    for (const [sensor, anchor] of now.baselines.anchors.take()) this.onAnchored?.(sensor, anchor, now.baselines.model);
  }

  /** Take means (and their input-offset clocks) for sensors not held yet (a fleet partition handed over by the worker that owned it). */
  adopt(means: Record<string, unknown>, clocks: Record<string, unknown> = {}): void {
    if (this.now) this.now.baselines.restore(means, true, clocks);
    else {
      this.saved = { ...means, ...this.saved };
      this.savedClocks = { ...clocks, ...this.savedClocks };
    }
  }

  /** Drop the means of the sensors `which` selects (a partition handed to another worker). */
  forget(which: (sensor: string) => boolean): void {
    this.now?.baselines.forget(which);
    this.saved = Object.fromEntries(Object.entries(this.saved).filter(([s]) => !which(s)));
  }

  /**
   * Learnt means by sensor (the restored ones until the first window), of `card` when given: the model in service,
   * whose label the saved file carries. A model swapped in that has not scored yet has none of its own, and
   * another model's means must not be saved under its name.
   */
  snapshot(card?: object): Record<string, string | number[]> {
    if (this.now) return card === undefined || this.now.card === card ? this.now.baselines.snapshot() : {};
    return this.savedOf(card) ? collectBy(Object.keys(this.saved), (s) => this.stateOf(s, card).mean) : {};
  }

  /** The input-offset clocks beside `snapshot(card)`'s states, by sensor (the restored ones until the first window). */
  clocks(card?: object): Record<string, string> {
    if (this.now) return card === undefined || this.now.card === card ? this.now.baselines.clocks() : {};
    return this.savedOf(card) ? collectBy(Object.keys(this.savedClocks), (s) => this.stateOf(s, card).clock) : {};
  }

  /**
   * One sensor's part of `snapshot(card)` and `clocks(card)`: what a state file saves for it, collected a sensor at
   * a time so a save of thousands never holds the event loop in one piece.
   */
  stateOf(sensor: string, card?: object): { mean?: string | number[]; clock?: string } {
    if (this.now) {
      if (card !== undefined && this.now.card !== card) return {};
      const b = this.now.baselines;
      return { mean: b.meanOf(sensor), clock: b.clockOf(sensor) };
    }
    if (!this.savedOf(card)) return {};
    const mean = this.saved[sensor];
    const clock = this.savedClocks[sensor];
    return {
      mean: decodeFloats(mean) !== undefined ? (mean as string | number[]) : undefined,
      clock: typeof clock === 'string' ? clock : undefined,
    };
  }

  /** Whether the restored states (not yet taken by a first window) belong to `card`. */
  private savedOf(card?: object): boolean {
    return card === undefined || this.savedFor === undefined || this.savedFor === card;
  }
}
