/**
 * The acceptance gate of an adaptation: the serving and the adapted model measured on the same held-back windows
 * (error on recent windows, error on the original validation windows, share of recent windows flagged, each
 * canary's share flagged), and the reasons, if any, to refuse the adapted one: the recent error did not fall
 * enough, the original error rose too much, the threshold rose beyond the model's own change of scale, the weights
 * moved too far, or a canary would no longer be flagged.
 */
import type { Lineage } from '@vigil/runtime/model/card.ts';
import type { Autoencoder } from '../models/autoencoder.ts';

/** The figures the gate judges, as the lineage keeps them. */
export type Validation = Lineage['validation'];

/** One model's side of the checks: the windows it saw, its reconstruction and scores, and its bar. */
export interface CheckSide {
  data: Float32Array;
  recon: Float32Array;
  scores: Float32Array;
  threshold: number;
  /** Index of the first held-back recent window, the first original validation window and the first canary window. */
  at: { recent: number; original: number; canaries: number };
}

/** The held-back windows: how many recent and original validation windows, and the canary events in order. */
export interface CheckSets {
  /** Values per window (W x C). */
  per: number;
  recent: number;
  original: number;
  events: { from: number; to: number; windows: { count: number } }[];
}

/** The limits of the gate (`vigil adapt --min-gain --max-rise --max-bar-rise --max-change --canary-share`). */
export interface AcceptanceBounds {
  minGain: number;
  maxRise: number;
  maxBarRise: number;
  maxChange: number;
  canaryShare: number;
}

/** The figures of the serving model (`before`) against the adapted one (`after`) on the held-back windows. */
export function validationFigures(before: CheckSide, after: CheckSide, sets: CheckSets, bounds: AcceptanceBounds): Validation {
  const mse = (side: CheckSide, from: number, count: number) => meanSquaredError(side.data, side.recon, sets.per, from, count);
  const flagged = (side: CheckSide, from: number, count: number) => shareAbove(side.scores, side.threshold, from, count);
  let b = before.at.canaries;
  let a = after.at.canaries;
  const canaries = sets.events.map((e) => {
    const shareBefore = flagged(before, b, e.windows.count);
    const shareAfter = flagged(after, a, e.windows.count);
    b += e.windows.count;
    a += e.windows.count;
    return { from: new Date(e.from).toISOString(), to: new Date(e.to).toISOString(), windows: e.windows.count, before: shareBefore, after: shareAfter, required: Math.min(bounds.canaryShare, shareBefore) };
  });
  return {
    recentError: { before: mse(before, before.at.recent, sets.recent), after: mse(after, after.at.recent, sets.recent) },
    originalError: { before: mse(before, before.at.original, sets.original), after: mse(after, after.at.original, sets.original), maxRise: bounds.maxRise },
    recentFlagged: { before: flagged(before, before.at.recent, sets.recent), after: flagged(after, after.at.recent, sets.recent) },
    threshold: {
      before: before.threshold, after: after.threshold,
      typical: { before: median(before.scores, before.at.original, sets.original), after: median(after.scores, after.at.original, sets.original) },
      maxRise: bounds.maxBarRise,
    },
    canaries,
  };
}

/** Why the adapted model is refused (none: accepted); a canary the serving model does not flag either is noted. */
export function refusalReasons(v: Validation, change: number, bounds: AcceptanceBounds, onNote?: (note: string) => void): string[] {
  const { recentError, originalError } = v;
  const reasons: string[] = [];
  const pct = (a: number, b: number) => `${(100 * (a / b - 1)).toFixed(1)} %`;
  if (!(recentError.after <= recentError.before * (1 - bounds.minGain))) {
    reasons.push(`recent error did not fall enough: ${recentError.before.toPrecision(3)} -> ${recentError.after.toPrecision(3)} (${pct(recentError.after, recentError.before)}; needs -${(100 * bounds.minGain).toFixed(0)} % or better)`);
  }
  if (!(originalError.after <= originalError.before * (1 + bounds.maxRise))) {
    reasons.push(`original validation error rose too much: ${originalError.before.toPrecision(3)} -> ${originalError.after.toPrecision(3)} (${pct(originalError.after, originalError.before)}; at most +${(100 * bounds.maxRise).toFixed(0)} %)`);
  }
  // A kept threshold (--threshold keep, or auto on reservoir windows) is the serving one by design: not a rise.
  const rise = v.threshold.after !== v.threshold.before ? barRise(v.threshold) : undefined;
  if (rise !== undefined && !(rise <= bounds.maxBarRise)) {
    const t = v.threshold;
    reasons.push(`the threshold rose beyond the model's own change of scale: ${t.before.toPrecision(3)} -> ${t.after.toPrecision(3)} while the original validation windows' median score went ${t.typical!.before.toPrecision(3)} -> ${t.typical!.after.toPrecision(3)}, a bar ${rise.toFixed(1)}x as lenient on the data the serving model was validated on (at most ${bounds.maxBarRise}x): recent data with a fault or an unusual stretch in it raises the bar it is then measured against (give normal --data, or --threshold keep)`);
  }
  if (!(change <= bounds.maxChange)) {
    reasons.push(`the weights moved too far: ${(100 * change).toFixed(1)} % (relative L2; at most ${(100 * bounds.maxChange).toFixed(0)} %; fewer --epochs or a lower --lr change less)`);
  }
  v.canaries.forEach((c, i) => {
    if (c.required > 0 && !(c.after >= c.required && c.after > 0)) {
      reasons.push(`canary ${i + 1} (${c.from}..${c.to}) would no longer be flagged: ${(100 * c.after).toFixed(0)} % of its ${c.windows} windows above the new threshold (serving model ${(100 * c.before).toFixed(0)} %, needs ${(100 * c.required).toFixed(0)} %)`);
    }
    if (c.required === 0) onNote?.(`canary ${i + 1} (${c.from}..${c.to}) is not flagged by the serving model either: it constrains nothing`);
  });
  return reasons;
}

/**
 * How many times as lenient the new threshold is as the serving one, each against its model's median score on the
 * original validation windows (normal data both models should score alike); undefined without those figures.
 */
export function barRise(t: Validation['threshold']): number | undefined {
  const m = t.typical;
  if (!m || !(m.before > 0 && m.after > 0 && t.before > 0)) return undefined;
  return t.after / m.after / (t.before / m.before);
}

/** Relative L2 change of all weights. */
export function weightChange(before: ReturnType<Autoencoder['weights']>, after: ReturnType<Autoencoder['weights']>): number {
  let d = 0;
  let n = 0;
  before.forEach((b, i) => {
    if (!b) return;
    const a = after[i]!;
    for (const [x, y] of [[b.kernel, a.kernel], [b.bias, a.bias]] as const) for (let j = 0; j < x.length; j++) (d += (y[j] - x[j]) ** 2, n += x[j] ** 2);
  });
  return Math.sqrt(d / Math.max(n, 1e-30));
}

/** Mean squared reconstruction error of windows `[from, from + count)` (scaled units). */
function meanSquaredError(x: Float32Array, recon: Float32Array, per: number, from: number, count: number): number {
  let s = 0;
  for (let i = from * per; i < (from + count) * per; i++) s += (x[i] - recon[i]) ** 2;
  return s / Math.max(1, count * per);
}

/** Share of `scores[from, from + count)` above `threshold`. */
function shareAbove(scores: Float32Array, threshold: number, from: number, count: number): number {
  let k = 0;
  for (let i = from; i < from + count; i++) if (scores[i] > threshold) k++;
  return k / Math.max(1, count);
}

/** Median of `scores[from, from + count)` (0 for none). */
function median(scores: Float32Array, from: number, count: number): number {
  if (count <= 0) return 0;
  const s = Float64Array.from(scores.subarray(from, from + count)).sort();
  return count % 2 ? s[(count - 1) / 2] : (s[count / 2 - 1] + s[count / 2]) / 2;
}
