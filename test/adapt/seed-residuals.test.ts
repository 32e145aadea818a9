/**
 * Residual tracking across a swap (runtime/adapt/seed-residuals.ts, TrackedResiduals.seed): the incoming model's
 * per-sensor means start from its residuals on each sensor's newest reservoir windows, not from its card (adapted
 * model) or from a mean frozen at the swap (the previous model brought back by a rollback).
 */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import type { BatchRunner } from '../../runtime/inference/model-ref.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import { seedResidualMeans } from '../../runtime/adapt/seed-residuals.ts';
import type { StoredWindow } from '../../runtime/adapt/reservoir-file.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';

const residual = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.01, below: 1 } };
/** Window 3 x 2 channels, span 2; scaled = (x - 1) / 2. */
const card = {
  name: 'm', window: 3, channels: ['a', 'b'],
  scaler: { kind: 'standard', offset: [1, 1], scale: [2, 2] },
  scoring: { error: 'mahalanobis', span: 2, residual },
} as unknown as ModelCard;

/** A model that reconstructs every value as 0: the residual is the scaled input. */
const zeros: BatchRunner = { provider: 'test', run: (input) => of({ reconstruction: new Float32Array(input.length), extra: {} }) };

/** A window of `sensor` ending at `t` whose values are `a` and `b` on every row (original units). */
const win = (sensor: string, t: number, a: number, b: number): StoredWindow => ({ sensor, tsFirst: t - 2, tsLast: t, data: Float32Array.from([a, b, a, b, a, b]) });

describe('seeding residual means at a swap', () => {
  it('takes, per sensor, the mean span residual of its newest windows under the incoming model', async () => {
    // Sensor s: older windows at 101 (scaled 50) must not count; its newest two are at 3 and 5 (scaled 1 and 2).
    const windows = [win('s', 30, 5, 1), win('s', 10, 101, 101), win('t', 5, 1, 9), win('s', 20, 3, 1), win('s', 11, 101, 101)];
    const means = await seedResidualMeans(card, zeros, windows, 2);
    expect(means).toEqual({ s: [1.5, 0], t: [0, 4] });
    expect(await seedResidualMeans(card, zeros, windows, 0)).toEqual({});
    const plain = { ...card, scoring: { error: 'mse', span: 2 } } as unknown as ModelCard;
    expect(await seedResidualMeans(plain, zeros, windows, 2)).toEqual({});
  });

  it('a seeded model starts from the seed: an adapted one instead of its card, a rolled-back one instead of its frozen means', () => {
    const tracked = new TrackedResiduals();
    tracked.for(card)!.of('s')[0] = 5;
    const adapted = { scoring: { ...card.scoring, residual: { ...residual, mean: [7, 7] } } };
    tracked.seed(adapted, { s: [2, 3] });
    expect(Array.from(tracked.for(adapted)!.of('s'))).toEqual([2, 3]);
    // A sensor without a seed starts from the card, as before.
    expect(Array.from(tracked.for(adapted)!.of('u'))).toEqual([7, 7]);
    // Rollback: without a seed the old model resumes its means as they were at the swap ...
    const back = JSON.parse(JSON.stringify(card)) as typeof card;
    tracked.seed(back, { s: [4, 4] });
    expect(Array.from(tracked.for(back)!.of('s'))).toEqual([4, 4]);
    // ... and a seed is used once: a later swap without one is not seeded.
    expect(Array.from(tracked.for(adapted)!.of('s'))).toEqual([2, 3]);
  });
});
