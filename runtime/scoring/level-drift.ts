/**
 * Residual levels that wander (`scoring.residual.tracking.drift`): each channel's residual level is a random walk,
 * followed per sensor by a Kalman filter. The level's uncertainty p grows by the channel's drift every window and
 * shrinks with every window learnt from; a window is scored against the innovation covariance Σ + diag(p) (Σ the
 * residual covariance the card's precision inverts), so a channel known to wander weighs less the longer it goes
 * unconfirmed, together with what the channels it moves with predict of it. Only a window normal without that
 * allowance is learnt at the Kalman gain; one the allowance alone brought under the gate is learnt at the slow
 * tracking rate, so a fault on a wandering channel is excused from alerting in time but learnt no faster than before.
 */
import type { ResidualModel } from './mahalanobis.ts';
import { invertSpd, solveSpdInPlace } from './spd.ts';

/**
 * A sensor's tracked state: the residual mean (C), then each channel's level uncertainty (C) when the card has
 * `drift` or `input` (0 without `drift`), then its input offsets (C) when it has `input` (input-offsets.ts), then
 * its residual memory (C) when it has `memory` (residual-memory.ts; the slots before it are there, unused, whatever
 * else the card tracks).
 */
export function trackedState(model: ResidualModel): Float64Array {
  const c = model.mean.length;
  const t = model.tracking;
  const s = new Float64Array(model.memory ? 4 * c : t?.input ? 3 * c : t?.drift ? 2 * c : c);
  s.set(model.mean);
  return s;
}

/**
 * A tracked state from saved or seeded values: C means, C means then C uncertainties, those then C input offsets, or
 * those then C memory values (a state saved before the card tracked uncertainty, inputs or memory, or seeded means,
 * start certain, unshifted, forgetting: 0).
 * Absent: the card's own start.
 */
export function stateFrom(model: ResidualModel, values: readonly number[] | undefined): Float64Array {
  const state = trackedState(model);
  if (values) state.set(values.slice(0, state.length));
  return state;
}

const variances = new WeakMap<ResidualModel, Float64Array>();
/** Each channel's residual variance: the diagonal of the covariance Σ the card's precision inverts (once per card). */
export function residualVariance(model: ResidualModel): Float64Array {
  let v = variances.get(model);
  if (!v) {
    const c = model.mean.length;
    const cov = invertSpd(Float64Array.from(model.precision), c);
    v = Float64Array.from({ length: c }, (_, k) => cov[k * c + k]);
    variances.set(model, v);
  }
  return v;
}

/** The largest level uncertainty, in units of the channel's residual variance. */
const MAX_UNCERTAINTY = 1e6;

/** What scoring with drift needs of a residual model, computed once per card. */
interface DriftParts {
  /** Each channel's residual variance: the diagonal of Σ. */
  variance: Float64Array;
  /** The channels whose level wanders (drift > 0). */
  wandering: Int32Array;
}
const parts = new WeakMap<ResidualModel, DriftParts>();

function partsOf(model: ResidualModel, drift: number[]): DriftParts {
  let p = parts.get(model);
  if (!p) {
    p = { variance: residualVariance(model), wandering: Int32Array.from(drift.flatMap((q, k) => (q > 0 ? [k] : []))) };
    parts.set(model, p);
  }
  return p;
}

/**
 * How much each channel of a tracked state counts, sqrt(R / (R + p)) (1: fully; a state without uncertainties, or a
 * card without drift: all 1), and how far its level has moved from the card's, in residual standard deviations.
 */
export function levelWeights(model: ResidualModel, state: Float64Array): { weight: number; movedSd: number }[] {
  const c = model.mean.length;
  const drift = model.tracking?.drift;
  const variance = drift && partsOf(model, drift).variance;
  return Array.from({ length: c }, (_, k) => {
    const sd = variance ? Math.sqrt(variance[k]) : 1;
    const p = variance && state.length >= 2 * c ? state[c + k] : 0;
    return { weight: variance ? Math.sqrt(variance[k] / (variance[k] + p)) : 1, movedSd: (state[k] - model.mean[k]) / sd };
  });
}

/** The per-window steps of level-drift scoring for one batch (scratch space allocated once). */
export class LevelWalk {
  private readonly parts: DriftParts;
  private readonly m: Float64Array;
  private readonly z: Float64Array;

  constructor(
    private readonly model: ResidualModel,
    private readonly drift: number[],
  ) {
    this.parts = partsOf(model, drift);
    const k = this.parts.wandering.length;
    this.m = new Float64Array(k * k);
    this.z = new Float64Array(k);
  }

  /**
   * A new window: every channel's level uncertainty grows by its drift (`state` = trackedState layout), up to
   * MAX_UNCERTAINTY x its residual variance (the channel then counts 0.1 % of its weight; without a bound a lasting
   * fault, or an absurd drift on a hand-edited card, would overflow it).
   */
  predict(state: Float64Array): void {
    const c = this.drift.length;
    const R = this.parts.variance;
    for (let k = 0; k < c; k++) state[c + k] = Math.min(state[c + k] + this.drift[k], MAX_UNCERTAINTY * R[k]);
  }

  /**
   * x = (Σ + diag p)^-1 d, from y = P d (P = Σ^-1), by Woodbury over the wandering channels W:
   * x = y - P[:, W] (diag(1 / p_W) + P[W, W])^-1 y_W. Channels of p = 0 (not wandering) need no term.
   */
  weigh(y: Float64Array, state: Float64Array, x: Float64Array): void {
    x.set(y);
    const { wandering } = this.parts;
    const k = wandering.length;
    if (k === 0) return;
    const c = this.drift.length;
    const P = this.model.precision;
    const { m, z } = this;
    for (let a = 0; a < k; a++) {
      const ca = wandering[a];
      for (let b = 0; b < k; b++) m[a * k + b] = P[ca * c + wandering[b]];
      m[a * k + a] += 1 / state[c + ca];
      z[a] = y[ca];
    }
    solveSpdInPlace(m, z, k);
    for (let i = 0; i < c; i++) {
      let s = 0;
      for (let a = 0; a < k; a++) s += P[i * c + wandering[a]] * z[a];
      x[i] -= s;
    }
  }

  /**
   * Learn from a window under the gate (deviation d from the state's mean): each channel's level moves by the gain k,
   * max(rate, p / (p + R)) when the window is normal as it stands (`confirmed`), `rate` when only the drift allowance
   * brought it under the gate; its uncertainty becomes (1 - k)^2 p + k^2 R (exact for any gain). Channel `except`
   * (a stuck sensor's) learns nothing, its uncertainty included.
   */
  learn(d: Float64Array, state: Float64Array, rate: number, confirmed: boolean, except = -1): void {
    const c = this.drift.length;
    const R = this.parts.variance;
    for (let i = 0; i < c; i++) {
      if (i === except) continue;
      const p = state[c + i];
      const k = confirmed ? Math.max(rate, p / (p + R[i])) : rate;
      state[i] += k * d[i];
      state[c + i] = (1 - k) ** 2 * p + k * k * R[i];
    }
  }
}
