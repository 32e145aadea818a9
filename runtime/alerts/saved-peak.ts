/**
 * An open alert's peak window as a saved tracker keeps it (tracker.ts `AlertTrackerState`): what its close event is
 * explained by after a restart (score, bar, time, per-channel blame, what a check found, the channels outside the
 * range training saw), JSON-safe, and read back with every field checked; and the operator's mark it keeps.
 */
import type { Verdict } from '../stream/types.ts';
import { CAUSES, type Cause } from '../scoring/cause.ts';
import type { Mark } from '../scoring/re-anchor.ts';

/** The saved peak. `outside`: per channel the span mean outside the seen range, null where inside. */
export interface SavedPeak {
  score: number;
  threshold: number;
  tsFirst: number;
  tsLast: number;
  perChannel: number[];
  ownScore?: number;
  cause?: Cause;
  outside?: (number | null)[];
  /** The window had a channel its readings did not carry (Verdict.incomplete; absent: it had all, or saved before). */
  incomplete?: boolean;
}

/** A finite number, else an error naming the saved field. */
export function savedNumber(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`saved alert state: ${what} must be a finite number, got ${JSON.stringify(x)}`);
  return x;
}

/** The peak verdict as saved. */
export function savePeak(p: Verdict): SavedPeak {
  return {
    score: p.score, threshold: p.threshold, tsFirst: p.tsFirst, tsLast: p.tsLast, perChannel: Array.from(p.perChannel),
    ...(p.ownScore !== undefined ? { ownScore: p.ownScore } : {}),
    ...(p.cause ? { cause: p.cause } : {}),
    ...(p.outside ? { outside: Array.from(p.outside, (x) => (Number.isNaN(x) ? null : x)) } : {}),
    ...(p.incomplete ? { incomplete: true } : {}),
  };
}

/** A saved peak's `outside` as a verdict holds it: span means, NaN where the channel was inside (null saved). */
export function outsideValues(saved: readonly (number | null)[]): Float32Array {
  return Float32Array.from(saved, (v) => (v === null ? NaN : v));
}

/** The peak verdict of sensor `sensor` from its saved form; throws, naming the field, when it is malformed. */
export function restorePeak(peak: SavedPeak, sensor: string): Verdict {
  const cause = peak.cause;
  if (cause !== undefined && !CAUSES.includes(cause)) throw new Error(`saved alert state: open.peak.cause must be one of ${CAUSES.join(', ')}, got ${JSON.stringify(cause)}`);
  const outside = peak.outside as unknown;
  if (outside !== undefined && !(Array.isArray(outside) && outside.every((v) => v === null || (typeof v === 'number' && Number.isFinite(v))))) {
    throw new Error(`saved alert state: open.peak.outside must be an array of numbers and nulls, got ${JSON.stringify(outside)}`);
  }
  return {
    sensor,
    score: savedNumber(peak?.score, 'open.peak.score'),
    threshold: savedNumber(peak.threshold, 'open.peak.threshold'),
    anomaly: true,
    tsFirst: savedNumber(peak.tsFirst, 'open.peak.tsFirst'),
    tsLast: savedNumber(peak.tsLast, 'open.peak.tsLast'),
    perChannel: Float32Array.from(peak.perChannel ?? []),
    ...(peak.ownScore !== undefined ? { ownScore: savedNumber(peak.ownScore, 'open.peak.ownScore') } : {}),
    ...(cause !== undefined ? { cause } : {}),
    ...(outside !== undefined ? { outside: outsideValues(outside as (number | null)[]) } : {}),
    ...(peak.incomplete === true ? { incomplete: true } : {}),
    data: new Float32Array(0),
    seq: 0,
    receivedAt: 0,
    provider: '',
  };
}

/** A saved `open.marked`, when it is one (anything else is dropped: it only annotates the close). */
export function savedMark(m: unknown): Mark | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { command, by } = m as { command?: unknown; by?: unknown };
  if (command !== 'normal' && command !== 'trained') return undefined;
  return { command, ...(typeof by === 'string' ? { by } : {}) };
}
