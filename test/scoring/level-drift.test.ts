/**
 * Residual levels followed as a random walk (`scoring.residual.tracking.drift`, runtime/scoring/mahalanobis.ts):
 * a channel whose level is known to wander weighs less the longer it goes unconfirmed and is followed once normal
 * windows confirm it; a channel that never wandered keeps its full weight; the drift is estimated at training only
 * from a move of the held-out residuals that their noise cannot explain (train/score-exported.ts `levelDrift`).
 */
import { describe, expect, it } from 'vitest';
import { mahalanobisScores, trackedState, type ResidualModel } from '../../runtime/scoring/mahalanobis.ts';
import { ResidualBaselines } from '../../runtime/scoring/residual-baselines.ts';
import { parseCard } from '../../runtime/model/card.ts';
import { levelDrift } from '../../train/score-exported.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { tinyModel, meanLayer } from '@vigil/fixtures/tiny-model.ts';

/** Two independent channels of unit residual variance; channel 0 may wander by `drift0` per window, channel 1 never. */
const model = (drift0: number): ResidualModel => ({
  mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 100, method: 'test',
  tracking: { rate: 0.003, below: 5, drift: [drift0, 0] },
});

/** Score `n` windows (span 1, window 1) whose residual is `offset` on `channel`, in order, for one state. */
function run(m: ResidualModel, channel: number, offset: number, n: number, state = trackedState(m)) {
  const input = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) input[i * 2 + channel] = offset;
  const { scores } = mahalanobisScores(input, new Float32Array(n * 2), n, 1, 2, 1, m, () => state);
  return { scores: Array.from(scores), state };
}

describe('residual level drift', () => {
  it('a wandering channel weighs less the longer it goes unconfirmed, then its new level is followed', () => {
    // Offset 4 on channel 0: the untracked score is 16 / 2 = 8, above the learning gate (5).
    const { scores, state } = run(model(0.1), 0, 4, 60);
    // Each window adds 0.1 to the level's uncertainty p: the deviation counts as 4 sqrt(1 / (1 + p)).
    expect(scores[0]).toBeCloseTo(8 / 1.1, 5);
    expect(scores[1]).toBeCloseTo(8 / 1.2, 5);
    for (let i = 1; i < 6; i++) expect(scores[i]).toBeLessThan(scores[i - 1]);
    // Under the gate from the 7th window (8 / (1 + 0.7) < 5): the Kalman gain p / (p + 1) follows the level fast.
    expect(scores[4]).toBeGreaterThan(5);
    expect(scores[6]).toBeCloseTo(8 / 1.7, 5);
    expect(scores[59]).toBeLessThan(0.01);
    expect(state[0]).toBeCloseTo(4, 2);
    // Confirmed: the uncertainty fell back to its steady level (about sqrt(q R)), far below the 0.7 it reached.
    expect(state[2]).toBeLessThan(0.5);
  });

  it('a channel that never wandered keeps its full weight and its trained level', () => {
    const { scores, state } = run(model(0.1), 1, 4, 60);
    for (const s of scores) expect(s).toBeCloseTo(8, 5);
    expect([state[0], state[1], state[3]]).toEqual([0, 0, 0]);
    expect(state[2]).toBeCloseTo(6, 9);
  });

  it('without drift on the card the mean moves at the tracking rate only, as before', () => {
    const m = model(0);
    delete m.tracking!.drift;
    expect(trackedState(m).length).toBe(2);
    const { scores, state } = run(m, 0, 2, 3);
    // Score 2 < 5: each window moves the mean 0.3 % of the way.
    expect(scores[0]).toBeCloseTo(2, 6);
    expect(state[0]).toBeCloseTo(2 * (1 - 0.997 ** 3), 9);
  });

  it('a state saved before the card tracked uncertainty is scored as certain and restored with uncertainty 0', () => {
    const m = model(0.1);
    const { scores } = run(m, 0, 4, 2, Float64Array.from([0, 0]));
    expect(scores).toEqual([8, 8]);
    const baselines = new ResidualBaselines(m);
    expect(Array.from(baselines.of('new'))).toEqual([0, 0, 0, 0]);
    expect(baselines.restore({ old: [1, 2], full: [1, 2, 0.5, 0], bad: [1, 2, 3] })).toEqual(['bad']);
    expect(Array.from(baselines.of('old'))).toEqual([1, 2, 0, 0]);
    expect(Array.from(baselines.of('full'))).toEqual([1, 2, 0.5, 0]);
  });

  it('is estimated only from a move of the held-out residual mean beyond its noise', () => {
    const rng = createRng(7, 'held');
    const n = 400;
    const window = 4;
    // Held-out residuals: channel 0 moved by 1 (20 standard errors of the two means), channel 1 by noise alone.
    const held = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      held[i * 2] = 1 + rng.normal();
      held[i * 2 + 1] = rng.normal();
    }
    const m = model(0);
    const drift = levelDrift(m, held, 400, window);
    const moved = (Array.from({ length: n }, (_, i) => held[i * 2]).reduce((a, b) => a + b) / n) ** 2;
    const noise = 1 * (window / n + window / 400);
    expect(drift[0]).toBeCloseTo((moved - noise) / 400, 9);
    expect(drift[1]).toBe(0);
  });

  it('a card whose drift does not have one entry per channel is refused', () => {
    const card = JSON.parse(JSON.stringify(tinyModel({ name: 'd', window: 4, channels: ['a', 'b'], layers: [meanLayer(4, 2)], scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1] }, threshold: 1 }).card));
    card.scoring = { error: 'mahalanobis', span: 1, residual: model(0.1) };
    expect(parseCard(card).scoring.residual?.tracking?.drift).toEqual([0.1, 0]);
    card.scoring.residual.tracking.drift = [0.1];
    expect(() => parseCard(card)).toThrow(/tracking\.drift has 1 entries; expected one per channel \(2\)/);
  });
});
