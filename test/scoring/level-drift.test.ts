/**
 * Residual levels followed as a random walk (`scoring.residual.tracking.drift`, runtime/scoring/mahalanobis.ts):
 * a channel whose level is known to wander weighs less the longer it goes unconfirmed and is followed once normal
 * windows confirm it; a channel that never wandered keeps its full weight; the drift is estimated at training only
 * from a move of the held-out residuals that their noise cannot explain (train/level-drift.ts `levelDrift`).
 */
import { describe, expect, it } from 'vitest';
import { invertSpd, mahalanobisScores, trackedState, type ResidualModel } from '../../runtime/scoring/mahalanobis.ts';
import { ResidualBaselines } from '../../runtime/scoring/residual-baselines.ts';
import { parseCard } from '../../runtime/model/card.ts';
import { levelDrift } from '../../train/level-drift.ts';
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
  it('a wandering channel is excused the longer it goes unconfirmed, learnt at the slow rate meanwhile, then followed', () => {
    // Offset 4 on channel 0: the score without the allowance is 16 / 2 = 8, above the learning gate (5).
    const { scores, state } = run(model(0.1), 0, 4, 400);
    // Each window adds 0.1 to the level's uncertainty p: the window counts against 1 + p.
    expect(scores[0]).toBeCloseTo(8 / 1.1, 5);
    expect(scores[1]).toBeCloseTo(8 / 1.2, 5);
    for (let i = 1; i < 6; i++) expect(scores[i]).toBeLessThan(scores[i - 1]);
    expect(scores[4]).toBeGreaterThan(5);
    expect(scores[6]).toBeCloseTo(8 / 1.7, 5);
    // Excused but not confirmed: the 7th window is learnt at the tracking rate, not the Kalman gain (0.41), and the
    // uncertainty follows that gain exactly ((1 - k)^2 p + k^2 R).
    const seven = run(model(0.1), 0, 4, 7).state;
    expect(seven[0]).toBeCloseTo(0.003 * 4, 9);
    expect(seven[2]).toBeCloseTo(0.997 ** 2 * 0.7 + 0.003 ** 2, 9);
    // Once the mean is close enough for a window to be normal as it stands, the Kalman gain takes over.
    expect(scores[399]).toBeLessThan(0.01);
    expect(state[0]).toBeCloseTo(4, 2);
    expect(state[2]).toBeLessThan(0.5);
  });

  it('scores a window against the innovation covariance: correlated channels, one of them wandering', () => {
    // Channels moving together (rho 0.95); only channel 0 wanders. A common-mode offset is what they usually do.
    const cov = Float64Array.from([1, 0.95, 0.95, 1]);
    const m: ResidualModel = { mean: [0, 0], precision: Array.from(invertSpd(cov, 2)), shrinkage: 0, windows: 100, method: 'test', tracking: { rate: 0.003, below: 1e9, drift: [0.05, 0] } };
    const state = trackedState(m);
    state[2] = 0.5; // as if unconfirmed for a while; learning is off (huge gate would learn: keep the mean still)
    m.tracking!.below = -1;
    for (const d of [[1, 1], [2, -1], [-0.5, 3]]) {
      const before = state[2];
      const { scores } = mahalanobisScores(Float32Array.from(d), new Float32Array(2), 1, 1, 2, 1, m, () => state);
      const p = before + 0.05;
      const inv = invertSpd(Float64Array.from([1 + p, 0.95, 0.95, 1]), 2);
      const direct = (d[0] * (inv[0] * d[0] + inv[1] * d[1]) + d[1] * (inv[2] * d[0] + inv[3] * d[1])) / 2;
      expect(scores[0]).toBeCloseTo(direct, 5);
      // More allowed variance never raises a window's score.
      const P = m.precision;
      const raw = (d[0] * (P[0] * d[0] + P[1] * d[1]) + d[1] * (P[2] * d[0] + P[3] * d[1])) / 2;
      expect(scores[0]).toBeLessThanOrEqual(raw + 1e-9);
    }
  });

  it('bounds the level uncertainty, so an absurd drift or a lasting fault never overflows the state', () => {
    const { scores, state } = run(model(1e307), 0, 4, 10);
    for (const v of [...scores, ...state]) expect(Number.isFinite(v)).toBe(true);
    // At most 1e6 x the residual variance: the channel still counts sqrt(1 / (1 + 1e6)) of its weight.
    expect(state[2]).toBeLessThanOrEqual(1e6);
    expect(state[2]).toBeGreaterThan(0.99e6);
    expect(scores[9]).toBeGreaterThan(0);
    expect(scores[9]).toBeLessThanOrEqual(8 / (1 + 0.99e6));
  });

  it('a channel that never wandered keeps its full weight and its trained level', () => {
    const { scores, state } = run(model(0.1), 1, 4, 60);
    for (const s of scores) expect(s).toBeCloseTo(8, 5);
    expect([state[0], state[1], state[3]]).toEqual([0, 0, 0]);
    expect(state[2]).toBeCloseTo(6, 9);
  });

  it('a channel of drift 0 on a card with drift still learns at the tracking rate', () => {
    const { state } = run(model(0.1), 1, 2, 3);
    // Score 4 / 2 = 2 < 5, normal as it stands: channel 1 (p = 0) moves at the rate, channel 0 saw no deviation.
    expect(state[1]).toBeCloseTo(2 * (1 - 0.997 ** 3), 9);
    expect(state[0]).toBe(0);
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

  it('is estimated per row from a move of the held-out mean beyond its noise, whatever the training stride', () => {
    // Channel 0's held-out mean moved by 1; residual variance 1e-6 (noise negligible); channel 1 did not move.
    const m: ResidualModel = { mean: [0, 0], precision: [1e6, 0, 0, 1e6], shrinkage: 0, windows: 400, method: 'test' };
    const held = Float64Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    // A random walk of q per row moves the difference of two adjacent means by q (rows1 + rows2) / 3.
    expect(levelDrift(m, held, 400, 4)[0]).toBeCloseTo(1 / (500 / 3), 6);
    expect(levelDrift(m, held, 400, 4, 2)[0]).toBeCloseTo(1 / (1000 / 3), 6);
    expect(levelDrift(m, held, 400, 4)[1]).toBe(0);
  });

  it('estimates a known random walk without bias, and finds none where there is only noise', () => {
    const q = 0.01;
    const ratios: number[] = [];
    let none = 0;
    for (let seed = 0; seed < 300; seed++) {
      const rng = createRng(seed, 'walk');
      // 500 rows, one window per row (window 1: every residual independent); noise sd 0.1 around the walking level.
      let level = 0;
      const rows = Float64Array.from({ length: 500 }, () => ((level += Math.sqrt(q) * rng.normal()), level + 0.1 * rng.normal()));
      const fitted = rows.subarray(0, 400);
      const mean = fitted.reduce((a, b) => a + b) / 400;
      const m: ResidualModel = { mean: [mean], precision: [1 / 0.01], shrinkage: 0, windows: 400, method: 'test' };
      const est = levelDrift(m, rows.slice(400), 400, 1)[0];
      ratios.push(est / q);
      const flat = Float64Array.from({ length: 100 }, () => mean + 0.1 * rng.normal());
      if (levelDrift(m, flat, 400, 1)[0] === 0) none++;
    }
    const meanRatio = ratios.reduce((a, b) => a + b) / ratios.length;
    expect(meanRatio).toBeGreaterThan(0.8);
    expect(meanRatio).toBeLessThan(1.25);
    expect(none).toBeGreaterThanOrEqual(297);
  });

  it('a card whose drift does not have one entry per channel is refused', () => {
    const card = JSON.parse(JSON.stringify(tinyModel({ name: 'd', window: 4, channels: ['a', 'b'], layers: [meanLayer(4, 2)], scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1] }, threshold: 1 }).card));
    card.scoring = { error: 'mahalanobis', span: 1, residual: model(0.1) };
    expect(parseCard(card).scoring.residual?.tracking?.drift).toEqual([0.1, 0]);
    card.scoring.residual.tracking.drift = [0.1];
    expect(() => parseCard(card)).toThrow(/tracking\.drift has 1 entries; expected one per channel \(2\)/);
  });
});
