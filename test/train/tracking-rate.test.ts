import { describe, expect, it } from 'vitest';
import { createRng } from '../../runtime/util/prng.ts';
import { mahalanobisScores, trackedState } from '../../runtime/scoring/mahalanobis.ts';
import { cardScoring, type ExportedScored } from '../../train/score-exported.ts';
import { RATE_ROWS, trackingRate } from '../../train/tracking-rate.ts';

const W = 16;
const C = 3;

/** N windows of a slow sine per channel plus noise. */
function windows(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * W * C);
  for (let i = 0; i < n; i++) for (let t = 0; t < W; t++) for (let c = 0; c < C; c++) x[i * W * C + t * C + c] = Math.sin((i + t) / 20 + c) + 0.05 * rng.normal();
  return x;
}

/** A card's scoring for 300 windows taken every `stride` rows, tracking at 0.003 with inputs following. */
function scoringAt(rows?: number) {
  const n = 300;
  const data = windows(n, 7);
  const rng = createRng(8);
  const out = { recon: data.map((v) => v + 0.02 * rng.normal()), samples: new Float32Array(0) } as unknown as ExportedScored;
  const options = { window: W, channels: C, score: 'mahalanobis' as const, loss: 'mse' as const, span: 4, samples: 0, track: 0.003, trackInputs: true, rows, thresholdRisk: 1e-3 };
  return cardScoring({ data, count: n }, out, { from: 0, count: 200 }, { from: 200, count: 100 }, options);
}

describe('trackingRate', () => {
  it('keeps the rate asked for on a short run and remembers for a share of a long one', () => {
    expect(trackingRate(0.003, 400)).toBe(0.003);
    expect(trackingRate(0.003, RATE_ROWS / 0.003)).toBe(0.003);
    expect(trackingRate(0.003, 86_400)).toBeCloseTo(RATE_ROWS / 86_400, 12);
    expect(trackingRate(0.003, 0)).toBe(0.003);
  });

  it('sets the card: a run of 3,000 rows (or an unknown one) tracks at 0.003, one of 30,000 at 9 / rows, inputs alike', () => {
    expect(scoringAt().scoring.residual!.tracking!.rate).toBe(0.003);
    const short = scoringAt(3000).scoring.residual!.tracking!;
    expect(short.rate).toBe(0.003);
    expect(short.input).toBe(0.003);
    const rows = 30_000;
    const long = scoringAt(rows).scoring.residual!.tracking!;
    expect(long.rate).toBeCloseTo(RATE_ROWS / rows, 12);
    expect(long.input).toBe(long.rate);
  });

  it('a slow ramp on one channel passes the bar with a long run\'s rate and is followed under it at 0.003', () => {
    const card = scoringAt(30_000);
    const model = structuredClone(card.scoring.residual!);
    const bar = card.threshold.value;
    // Residuals as trained, then channel 0's residual climbing by 2e-5 per window (about 0.002 of its sd) for 20,000 windows, 40 sd in all.
    const n = 20_000;
    const input = new Float32Array(n * W * C);
    const output = new Float32Array(n * W * C);
    const rng = createRng(3);
    for (let i = 0; i < n; i++) for (let t = 0; t < W; t++) for (let c = 0; c < C; c++) {
      const k = (i * W + t) * C + c;
      output[k] = -(model.mean[c] + 0.02 * rng.normal()) - (c === 0 ? 2e-5 * i : 0);
    }
    const peak = (rate: number) => {
      const m = { ...model, tracking: { ...model.tracking!, rate } };
      const state = trackedState(m);
      const s = mahalanobisScores(input, output, n, W, C, 4, m, () => state).scores;
      return Math.max(...s.subarray(n - 100));
    };
    expect(peak(model.tracking!.rate)).toBeGreaterThan(bar);
    expect(peak(0.003)).toBeLessThan(bar);
  });
});
