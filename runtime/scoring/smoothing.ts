/**
 * Optional smoothing of window scores per sensor before thresholding: EWMA or a moving average over the last
 * `window` scores, or none. Serialisable state so a restart continues the same sequence bit for bit.
 */
import { z } from 'zod';
import { describeIssues } from '../util/describe-issues.ts';

/** Config: `{ kind: 'none' }`, `{ kind: 'ewma', alpha }` or `{ kind: 'mean', window }`. */
export const SmoothingConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('ewma'), alpha: z.number().gt(0).max(1).default(0.2) }).strict(),
  z.object({ kind: z.literal('mean'), window: z.number().int().min(1).max(100_000).default(5) }).strict(),
]);
/** Parsed smoothing config. */
export type SmoothingConfig = z.output<typeof SmoothingConfigSchema>;

/** Serialised smoother: config plus state. */
export interface SmootherState {
  config: SmoothingConfig;
  state: { value?: number | null; values?: number[]; head?: number; sum?: number };
}

/** A per-sensor score smoother. */
export interface Smoother {
  /** Feed a raw score, get the smoothed one (non-finite scores pass through without touching the state). */
  smooth(score: number): number;
  /** Serialise config and state. */
  toJSON(): SmootherState;
}

/** Validate a smoothing config, naming the bad key and what was expected. */
export function parseSmoothingConfig(config: unknown, where = 'smoothing'): SmoothingConfig {
  const kind = (config as { kind?: unknown } | null)?.kind;
  if (typeof config !== 'object' || config === null || !['none', 'ewma', 'mean'].includes(String(kind))) {
    throw new Error(`${where}.kind: expected one of none, ewma, mean; got ${JSON.stringify(kind)}`);
  }
  const res = SmoothingConfigSchema.safeParse(config);
  if (!res.success) throw new Error(describeIssues(res.error, where));
  return res.data;
}

/** Build a smoother from config (default: none). */
export function createSmoother(config: unknown = { kind: 'none' }): Smoother {
  const c = parseSmoothingConfig(config);
  if (c.kind === 'ewma') return ewmaSmoother(c.alpha);
  if (c.kind === 'mean') return meanSmoother(c.window);
  return { smooth: (x) => x, toJSON: () => ({ config: c, state: {} }) };
}

/** Rebuild a smoother from `toJSON()` output. */
export function restoreSmoother(saved: SmootherState): Smoother {
  const c = parseSmoothingConfig(saved?.config, 'saved smoothing.config');
  const s = saved.state ?? {};
  if (c.kind === 'ewma') {
    if (s.value !== null && s.value !== undefined && !Number.isFinite(s.value)) throw new Error('saved smoothing.state.value: expected a finite number or null');
    return ewmaSmoother(c.alpha, s.value ?? NaN);
  }
  if (c.kind === 'mean') {
    const values = s.values ?? [];
    if (!Array.isArray(values) || values.length > c.window || !values.every(Number.isFinite)) {
      throw new Error(`saved smoothing.state.values: expected at most ${c.window} finite numbers`);
    }
    const head = s.head ?? values.length % c.window;
    const sum = s.sum ?? values.reduce((a, b) => a + b, 0);
    if (!Number.isInteger(head) || head < 0 || head >= c.window || !Number.isFinite(sum)) throw new Error('saved smoothing.state: head or sum out of range');
    return meanSmoother(c.window, values, head, sum);
  }
  return createSmoother(c);
}

function ewmaSmoother(alpha: number, start = NaN): Smoother {
  let value = start;
  return {
    smooth(x) {
      if (!Number.isFinite(x)) return x;
      value = Number.isNaN(value) ? x : value + alpha * (x - value);
      return value;
    },
    toJSON: () => ({ config: { kind: 'ewma', alpha }, state: { value: Number.isFinite(value) ? value : null } }),
  };
}

function meanSmoother(window: number, start: number[] = [], startHead = 0, startSum = 0): Smoother {
  const ring = new Float64Array(window);
  ring.set(start);
  let held = start.length;
  let head = startHead;
  let sum = startSum;
  return {
    smooth(x) {
      if (!Number.isFinite(x)) return x;
      if (held === window) sum -= ring[head];
      else held++;
      ring[head] = x;
      head = (head + 1) % window;
      sum += x;
      // Exact re-add once per lap so the running sum's rounding error cannot grow over months.
      if (head === 0) sum = ring.reduce((a, b) => a + b, 0);
      return sum / held;
    },
    toJSON: () => ({ config: { kind: 'mean', window }, state: { values: Array.from(ring.subarray(0, held)), head, sum } }),
  };
}
