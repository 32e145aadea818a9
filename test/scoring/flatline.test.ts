/** Stuck sensors: a channel that held still over a whole window, which it never did in training, is flagged. */
import { describe, expect, it } from 'vitest';
import type { Scoring } from '../../runtime/model/card.ts';
import { flatWindows, movingChannels } from '../../runtime/scoring/flatline.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { SensorState } from '../../runtime/stream/sensor-state.ts';
import type { RecentReadings } from '../../runtime/window/recent-readings.ts';

const W = 8;
const C = 3;

/** N windows of noise; `stuck[i]` holds channel c of window i at one value. */
function windows(n: number, stuck: Record<number, number> = {}, seed = 1): Float32Array {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * W * C }, () => rng.normal());
  for (const [i, c] of Object.entries(stuck)) for (let t = 0; t < W; t++) x[Number(i) * W * C + t * C + c] = 0.25;
  return x;
}

describe('stuck sensors', () => {
  it('watches only channels that moved in every training window', () => {
    const x = windows(20);
    // Channel 2 holds still in one training window (an idle or quantised signal): never watched.
    for (let t = 0; t < W; t++) x[5 * W * C + t * C + 2] = 1;
    expect(movingChannels(x, 20, W, C)).toEqual([0, 1]);
  });

  it('flags a window where a watched channel holds exactly still over all its rows, not one that stops for less', () => {
    const x = windows(4, { 1: 0, 3: 2 });
    // Window 2: channel 1 still for all rows but the first.
    for (let t = 1; t < W; t++) x[2 * W * C + t * C + 1] = 0.5;
    expect(Array.from(flatWindows(x, 4, W, C, [0, 1]))).toEqual([0, 1, 0, 0]);
    expect(Array.from(flatWindows(x, 4, W, C, [0, 1, 2]))).toEqual([0, 1, 0, 3]);
    // A window with a forward-filled row is not judged: a channel reported by exception holds still unstuck.
    expect(Array.from(flatWindows(x, 4, W, C, [0, 1, 2], (i) => i === 1))).toEqual([0, 0, 0, 3]);
  });

  it('the window stage marks windows that hold a forward-filled row, for as long as that row is in them', () => {
    const s = new SensorState(4, 2, { kind: 'standard', offset: [0, 0], scale: [1, 1] } as never, {} as RecentReadings, 1);
    const row = new Float32Array(2);
    // Asked as each window ends, as the window stage does.
    const marks = [false, false, true, false, false, false, false].map((filled, t) => s.hasFilled(s.append(row, t, false, filled)));
    expect(marks).toEqual([false, false, true, true, true, true, false]);
  });

  it('raises the window to the card\'s score, blames the channel, and learns nothing of that channel from it', () => {
    const n = 3;
    const input = windows(n, { 1: 2 });
    const reconstruction = input.slice(); // a perfect reconstruction: the error alone sees nothing
    const scoring: Scoring = {
      error: 'mahalanobis', span: 2,
      residual: { mean: [0, 0, 0], precision: [1, 0, 0, 0, 1, 0, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.5, below: 1e9 } },
      flatline: { channels: [0, 1, 2], score: 7, method: 'test' },
    };
    const means = [new Float64Array([0.1, 0.1, 0.1]), new Float64Array([0.1, 0.1, 0.1]), new Float64Array([0.1, 0.1, 0.1])];
    const s = scoreOutputs(input, { reconstruction, extra: {} }, n, W, C, scoring, (i) => means[i]);
    expect(s.scores[1]).toBe(7);
    expect(s.scores[0]).toBeLessThan(7);
    expect(s.perChannel[1 * C + 2]).toBe(7);
    // Windows 0 and 2 moved their sensors' levels towards their residual (0); the stuck window left its stuck channel's
    // level alone and moved the others' (they go on drifting while a transmitter is frozen).
    expect(means[0][0]).toBeCloseTo(0.05, 6);
    expect(means[1][0]).toBeCloseTo(0.05, 6);
    expect(means[1][1]).toBeCloseTo(0.05, 6);
    expect(means[1][2]).toBe(0.1);
    // With the spread past its limit too, the window is held for a reason that names no channel: nothing is learnt.
    const rough: Scoring = { ...scoring, spread: { reference: [1, 1, 1], channels: [0, 1, 2], center: 0, limit: 1e-9, scale: 1, method: 'test' } };
    const held = [new Float64Array([0.1, 0.1, 0.1]), new Float64Array([0.1, 0.1, 0.1]), new Float64Array([0.1, 0.1, 0.1])];
    scoreOutputs(input, { reconstruction, extra: {} }, n, W, C, rough, (i) => held[i]);
    expect(Array.from(held[1])).toEqual([0.1, 0.1, 0.1]);
    // A card without the section (older cards) scores as before.
    const plain = scoreOutputs(input, { reconstruction, extra: {} }, n, W, C, { ...scoring, flatline: undefined });
    expect(plain.scores[1]).toBeLessThan(7);
  });
});
