/** Shared pieces of the adaptive threshold configs and of their serialised state. */
import { z } from 'zod';

/**
 * `learnFromAnomalies` (default false): when false, a score the threshold flags is not learnt from (or, for
 * window-quantile kinds, is learnt only as the current level), so an incident cannot raise its own bar.
 */
export const learnFromAnomalies = z.boolean().default(false);

/**
 * `holdoff` (default 20): with `learnFromAnomalies` false, the scores right after a flagged one are not learnt
 * either. Scores of overlapping windows come in runs, and the sub-threshold part of an incident (half of a
 * level shift, say) would otherwise lift the bar while the incident is still going on.
 */
export const holdoff = z.number().int().min(0).max(1_000_000).default(20);

/**
 * The `holdoff` rule of the adaptive kinds in one place: a flagged score is not learnt and restarts a count of
 * `holdoff` scores that are not learnt either. `quiet` (the count left) is part of each kind's saved state.
 */
export class HoldOff {
  /** Scores still to skip. */
  quiet = 0;

  constructor(private readonly holdoff: number) {}

  /** Whether this score must not be learnt (call only where the kind refuses to learn from anomalies). */
  skip(flagged: boolean): boolean {
    if (flagged) {
      this.quiet = this.holdoff;
      return true;
    }
    if (this.quiet > 0) {
      this.quiet--;
      return true;
    }
    return false;
  }
}

/** A finite number from serialised state, or an error naming the field. */
export function readNumber(state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`threshold state: ${key} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** A number, null meaning NaN/Infinity that JSON cannot hold. */
export function readNumberOrNull(state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (v === null) return NaN;
  if (typeof v !== 'number') throw new Error(`threshold state: ${key} must be a number or null, got ${JSON.stringify(v)}`);
  return v;
}

/** An array of finite numbers from serialised state. */
export function readNumbers(state: Record<string, unknown>, key: string): number[] {
  const v = state[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`threshold state: ${key} must be an array of finite numbers`);
  }
  return v as number[];
}

/** The saved window of a windowed kind: finite numbers, no more than its configured `window`. */
export function windowValues(state: Record<string, unknown>, key: string, window: number): number[] {
  const values = readNumbers(state, key);
  if (values.length > window) throw new Error(`threshold state: ${values.length} values; expected at most window ${window}`);
  return values;
}

/** Refinement of the windowed kinds' configs: they cannot wait for more scores than their window holds. */
export const minCountFitsWindow: [(c: { minCount: number; window: number }) => boolean, { message: string; path: string[] }] = [
  (c) => c.minCount <= c.window,
  { message: 'minCount must be <= window', path: ['minCount'] },
];

/** A boolean from serialised state. */
export function readBool(state: Record<string, unknown>, key: string): boolean {
  const v = state[key];
  if (typeof v !== 'boolean') throw new Error(`threshold state: ${key} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** JSON-safe number: NaN and infinities become null. */
export function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
