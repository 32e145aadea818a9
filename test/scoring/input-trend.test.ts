/**
 * Trends seen in training (train/trend.ts, `ResidualTracking.trend`): which channels count as climbing steadily, how
 * their input offsets follow in every window (runtime/scoring/input-offsets.ts), the card's checks, and through
 * inferBatches a climb that goes on after training at its training pace (followed) against a faster one (a fault).
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { parseCard, type ModelCard } from '../../runtime/model/card.ts';
import { learnInputOffsets, MAX_INPUT_OFFSET, MAX_TREND_OFFSET } from '../../runtime/scoring/input-offsets.ts';
import { trackedState, type ResidualModel } from '../../runtime/scoring/mahalanobis.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { inputTrends } from '../../train/trend.ts';
import { tinyCard } from '../stream/helpers.ts';

/** N windows of W rows x C channels whose last rows are `last(i)` (C values), the other rows 0. */
function windows(n: number, w: number, c: number, last: (i: number) => number[]): Float32Array {
  const data = new Float32Array(n * w * c);
  for (let i = 0; i < n; i++) data.set(last(i), (i * w + w - 1) * c);
  return data;
}

/** A fixed pseudo-random noise in [-0.5, 0.5). */
const noise = (() => {
  let x = 11;
  return () => (x = (x * 16807) % 2147483647) / 2147483647 - 0.5;
})();

describe('inputTrends', () => {
  it('finds a channel a straight line explains, per row, and not a step of the operating point or noise', () => {
    const n = 300;
    // Channel 0 climbs 0.02 per window (windows 2 rows apart: 0.01 per row) with noise of sd ~0.29 (rise 6 over 300
    // windows: R^2 ~ 0.97); channel 1 steps by 3 half-way (R^2 <= 0.75); channel 2 is noise alone.
    const data = windows(n, 4, 3, (i) => [0.02 * i + noise(), (i >= n / 2 ? 3 : 0) + 0.2 * noise(), noise()]);
    const t = inputTrends(data, n, 4, 3, (i) => 2 * i);
    expect(t[0]).toBeCloseTo(0.01, 3);
    expect(t[1]).toBe(0);
    expect(t[2]).toBe(0);
    // A falling channel follows as fast as a climbing one (the follower moves either way).
    expect(inputTrends(windows(n, 4, 1, (i) => [-0.02 * i + noise()]), n, 4, 1, (i) => i)[0]).toBeCloseTo(0.02, 3);
    // Windows left out (they touched labelled rows) leave a gap in rows, not in the slope: the same climb, every
    // other window gone from the middle third, is 0.02 a row still.
    const kept = Array.from({ length: n }, (_, i) => i).filter((i) => i < 100 || i >= 200 || i % 2 === 0);
    expect(inputTrends(windows(kept.length, 4, 1, (j) => [0.02 * kept[j]]), kept.length, 4, 1, (j) => kept[j])[0]).toBeCloseTo(0.02, 9);
    // A constant channel has no trend (and no division by its zero variance).
    expect(inputTrends(windows(n, 4, 1, () => [1]), n, 4, 1, (i) => i)).toEqual([0]);
  });
});

/** The N windows of W rows (stride 1) over the rows `row(t)` (C values each) for t = 0 .. N + W - 2. */
function rowWindows(n: number, w: number, c: number, row: (t: number) => number[]): Float32Array {
  const rows = Array.from({ length: n + w - 1 }, (_, t) => row(t));
  const data = new Float32Array(n * w * c);
  for (let i = 0; i < n; i++) for (let t = 0; t < w; t++) data.set(rows[i + t], (i * w + t) * c);
  return data;
}

describe('inputTrends by the windows\' means', () => {
  it('finds a climb its rows\' noise hides from the last-row test, and still no step or noise', () => {
    const n = 300;
    // Channel 0 climbs 0.0067 per row under noise of sd ~0.29: a line explains about 0.8 of the windows' last rows
    // (under TREND_MIN_R2), 0.99 of their means over 32 rows (the SKAB-like temperatures: 0.85-0.88 against 0.97-1.00).
    // Channel 1 steps by 1 half-way under the same noise (its means: at most 0.75); channel 2 is that noise alone.
    const data = rowWindows(n, 32, 3, (t) => [0.0067 * t + noise(), (t >= (n + 31) / 2 ? 1 : 0) + noise(), noise()]);
    const t = inputTrends(data, n, 32, 3, (i) => i + 31);
    expect(t[0]).toBeCloseTo(0.0067, 3);
    expect(t[1]).toBe(0);
    expect(t[2]).toBe(0);
  });
});

const model = (trend: number[]): ResidualModel => ({
  mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test',
  tracking: { rate: 0.01, below: 5, input: 0.5, trend },
});

describe('a trending channel\'s input offset', () => {
  it('follows its residual in every window, above the gate too, by at most its step; the others only under the gate', () => {
    const m = model([0.1, 0]);
    const state = trackedState(m);
    const learn = (r: number[], score: number, k: number) =>
      learnInputOffsets(Float64Array.from(r), Float32Array.from([score]), 1, 2, m, { applied: new Float64Array(2), index: Float64Array.from([k]) }, () => state);
    // Above the gate (score 9 >= 5): channel 0 moves by its step towards its residual, channel 1 stays.
    learn([2, 2], 9, 0);
    expect(state[4]).toBeCloseTo(0.1, 12);
    expect(state[5]).toBe(0);
    // A residual smaller than the step is followed exactly (e = r - (o - applied) = 0.13 - 0.1).
    learn([0.13, 0], 9, 1);
    expect(state[4]).toBeCloseTo(0.13, 12);
    // Under the gate: channel 0 still by at most its step, not at `input`; channel 1 at `input` (0.5 of the way).
    learn([-5, 1], 1, 2);
    expect(state[4]).toBeCloseTo(0.03, 12);
    expect(state[5]).toBeCloseTo(0.5, 12);
    // The means and uncertainties are not the offsets' to move.
    expect(Array.from(state.subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('stops at MAX_TREND_OFFSET, far beyond the bound of the others', () => {
    const m = model([1, 0]);
    const state = trackedState(m);
    for (let k = 0; k < 50; k++) learnInputOffsets(Float64Array.from([100, 100]), Float32Array.from([0]), 1, 2, m, { applied: Float64Array.from([state[4], state[5]]), index: Float64Array.from([k]) }, () => state);
    expect(state[4]).toBe(MAX_TREND_OFFSET);
    expect(state[5]).toBe(MAX_INPUT_OFFSET);
  });
});

describe('the card', () => {
  const card = (tracking: Record<string, unknown>) => {
    const c = structuredClone(tinyCard) as ModelCard;
    c.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.01, below: 4, ...tracking } } };
    return JSON.parse(JSON.stringify(c));
  };
  it('carries one trend per channel, and only beside input offsets', () => {
    expect(parseCard(card({ input: 0.01, trend: [0.02] })).scoring.residual!.tracking!.trend).toEqual([0.02]);
    expect(() => parseCard(card({ input: 0.01, trend: [0.02, 0] }))).toThrow(/tracking\.trend has 2 entries; expected one per channel \(1\)/);
    expect(() => parseCard(card({ trend: [0.02] }))).toThrow(/trend moves input offsets, which need scoring\.residual\.tracking\.input/);
    expect(() => parseCard(card({ input: 0.01, trend: [-1] }))).toThrow();
  });
});

/** Window 2 x 1 channel, span 1, inputs following at 0.003 under the gate (4), and a trend step when given. */
function cardWith(trend?: number): ModelCard {
  const card = structuredClone(tinyCard);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0, below: 4, input: 0.003, ...(trend !== undefined ? { trend: [trend] } : {}) } } };
  return card;
}

/** Windows whose last value climbs by `rate` per window from 0.5, through a model that knows values up to 1 only. */
async function climb(rate: number, trend?: number): Promise<number[]> {
  const card = cardWith(trend);
  const session = {
    provider: 'fake/saturating',
    run: async (input: Float32Array, n: number) => ({ reconstruction: input.slice(0, n * 2).map((v) => Math.min(v, 1)), extra: {} }),
    close: async () => {},
  };
  const ws: SensorWindow[] = Array.from({ length: 400 }, (_, k) => ({ sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([0, 0.5 + rate * k]), scaler: tinyCard.scaler }));
  const batches: SensorWindow[][] = [];
  for (let i = 0; i < ws.length; i += 8) batches.push(ws.slice(i, i + 8));
  const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session }, { residuals: new TrackedResiduals() }), toArray()));
  return out.map((w) => w.score);
}

describe('a climb that goes on after training, through inferBatches', () => {
  it('at its training pace is followed to the end; without the trend it outruns the offsets and never comes back under the gate', async () => {
    // 0.01 per window to 4.5, where the model knows up to 1. The trend allows 0.012 per window.
    const followed = await climb(0.01, 0.012);
    // The offsets reach a window 16 to 48 windows after they are learnt (input-blocks.ts): up to ~0.5 behind, score ~0.25.
    expect(Math.max(...followed)).toBeLessThan(0.5);
    const outrun = await climb(0.01);
    expect(outrun.at(-1)).toBeGreaterThan(4);
    // Its offsets learn at 0.003 per window, and only from windows under the gate: the last 20 windows are all over it.
    expect(outrun.slice(-20).every((s) => s >= 4)).toBe(true);
  });

  it('a faster one (a fault) still shows, by what it adds beyond the pace', async () => {
    // 0.03 per window against the trend's 0.012: the excess, 0.018 per window, builds a residual past the gate.
    const fault = await climb(0.03, 0.012);
    expect(fault.at(-1)).toBeGreaterThan(4);
    expect(fault.at(-1)).toBeGreaterThan(10 * Math.max(...(await climb(0.01, 0.012))));
  });
});
