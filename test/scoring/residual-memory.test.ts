/**
 * Residual memory (`scoring.residual.memory`, runtime/scoring/residual-memory.ts): a small shift that persists is
 * flagged once the running average of the residual sees it, though no single window does; a window scores the
 * larger of the two statistics; the memory lives in the tracked state (saved and restored with it); it changes
 * nothing the trackers learn; `vigil train --memory on` calibrates it on the held-out windows in order.
 */
import { describe, expect, it } from 'vitest';
import { mahalanobisScores, trackedState, type ResidualModel } from '../../runtime/scoring/mahalanobis.ts';
import { memoryAt, memoryStatistics, MEMORY_LAMBDA } from '../../runtime/scoring/residual-memory.ts';
import { ResidualBaselines } from '../../runtime/scoring/residual-baselines.ts';
import { parseCard } from '../../runtime/model/card.ts';
import { fitMemory } from '../../train/score-exported.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { tinyModel, meanLayer } from '@vigil/fixtures/tiny-model.ts';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { ModelCard } from '../../runtime/model/card.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { tinyCard } from '../stream/helpers.ts';
import { alertEventOf } from '../../runtime/alerts/raise-alerts.ts';
import { AlertTracker, ALERT_DEFAULTS } from '../../runtime/alerts/tracker.ts';
import { alertPayload } from '../../runtime/mqtt/alert-payload.ts';
import type { ScoredWindow, Verdict } from '../../runtime/stream/types.ts';

/** Two independent channels of unit residual variance; the bar is 4 (learning below 2). */
const model = (memory: boolean): ResidualModel => ({
  mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 100, method: 'test',
  tracking: { rate: 0.003, below: 2 },
  ...(memory ? { memory: { lambda: MEMORY_LAMBDA, scale: 1, clip: 4, method: 'test' } } : {}),
});

/** Score residuals (N x 2, span 1, window 1) in order for one sensor's state. */
function score(m: ResidualModel, residuals: number[][], state = trackedState(m)) {
  const input = Float32Array.from(residuals.flat());
  const out = mahalanobisScores(input, new Float32Array(input.length), residuals.length, 1, 2, 1, m, () => state);
  return { scores: Array.from(out.scores), perChannel: Array.from(out.perChannel), state };
}

/** Unit-variance noise on both channels plus `shift` on channel 0 from window `from` on. */
function noisy(n: number, shift: number, from: number, seed = 3): number[][] {
  const r = createRng(seed, 'memory');
  return Array.from({ length: n }, (_, i) => [r.normal() + (i >= from ? shift : 0), r.normal()]);
}

describe('residual memory', () => {
  it('flags a persistent shift no single window shows, and scores the larger statistic', () => {
    // A shift of 1.5 sd on one of two channels: a window alone scores about (1.5^2 + 1) / 2 ~ 1.6 on average, far
    // under the bar of 4, so without memory hardly any window passes it; the EWMA's noise is sqrt(lambda / (2 -
    // lambda)) ~ 0.23 sd, so its statistic (about 1.5^2 / 2 ~ 1.1) clearly separates from normal (about 0.05).
    const data = noisy(600, 1.5, 300);
    const without = score(model(false), data).scores;
    const withMemory = score(model(true), data);
    const flagged = (s: number[], a: number, b: number, bar: number) => s.slice(a, b).filter((x) => x > bar).length / (b - a);
    expect(flagged(without, 320, 420, 4)).toBeLessThan(0.15);
    // The memory's own statistic is ~1.1 under a shift: its limit (scale 1 here) is the bar times 1 / 4.
    const m = model(true);
    m.memory!.scale = 4 / 0.5;
    const scaled = score(m, data).scores;
    // Flagged within a few windows, and for as long as the tracked level has not followed the shift (it learns from
    // windows normal on their own, at 0.003 per window, so the memory's view of the shift fades over hundreds).
    expect(flagged(scaled, 320, 420, 4)).toBeGreaterThan(0.9);
    expect(flagged(scaled, 20, 300, 4)).toBeLessThan(0.05);
    // Never lower than the window's own statistic.
    for (let i = 0; i < data.length; i++) expect(withMemory.scores[i]).toBeGreaterThanOrEqual(without[i] - 1e-6);
  });

  it('lets a spike into the memory only as far as the bar: its own window alerts, the memory forgets it in a few', () => {
    const m = model(true);
    m.memory!.scale = 8;
    // Three windows 30 sd off on channel 0 (own statistic 450, bar 4), then quiet.
    const data = noisy(200, 0, 0, 21).map((r, i) => (i >= 100 && i < 103 ? [r[0] + 30, r[1]] : r));
    const { scores } = score(m, data);
    expect(scores.slice(100, 103).every((s) => s > 4)).toBe(true);
    // Clipped, the three windows put at most 1 - 0.9^3 of a bar-sized residual into the memory: under the bar within
    // a few windows of the spike (unclipped, 30 sd holds the memory over the bar for some 20 windows).
    expect(scores.slice(106, 200).filter((s) => s > 4).length).toBe(0);
    m.memory!.clip = 1e9;
    expect(score(m, data).scores.slice(106, 200).filter((s) => s > 4).length).toBeGreaterThan(10);
  });

  it('keeps the memory in the tracked state after the offsets, and its channel contributions name the channel it holds', () => {
    const m = model(true);
    expect(trackedState(m).length).toBe(8);
    expect(memoryAt(m)).toBe(6);
    expect(memoryAt(model(false))).toBe(-1);
    const { state, scores, perChannel } = score(m, [[1, 0], [1, 0], [1, 0]]);
    // e_k = 1 - 0.9^k on channel 0 after k windows of residual 1 (learnt means move it only at 0.003 per window).
    expect(state[6]).toBeCloseTo(1 - 0.9 ** 3, 2);
    expect(state[7]).toBe(0);
    // With uncorrelated channels, the one the memory holds contributes the whole score.
    for (let i = 0; i < 3; i++) {
      expect(perChannel[2 * i]).toBeCloseTo(scores[i], 5);
      expect(perChannel[2 * i + 1]).toBe(0);
    }
  });

  it('continues from a restored state exactly as without the restart', () => {
    const m = model(true);
    m.memory!.scale = 8;
    const data = noisy(200, 1, 50, 9);
    const straight = score(m, data).scores;
    const first = score(m, data.slice(0, 120));
    const saved = new ResidualBaselines(m);
    saved.restore({ s: Array.from(first.state) });
    const second = score(m, data.slice(120), saved.of('s')).scores;
    expect([...first.scores, ...second]).toEqual(straight);
    // A state saved before the card had a memory (means, uncertainties, offsets) restores with the memory at 0.
    const older = new ResidualBaselines(m);
    expect(older.restore({ s: [0.1, 0.2, 0, 0, 0, 0] })).toEqual([]);
    expect(Array.from(older.of('s'))).toEqual([0.1, 0.2, 0, 0, 0, 0, 0, 0]);
    expect(older.restore({ t: new Array(10).fill(0) })).toEqual(['t']);
  });

  it('learns what it learnt without memory: the memory only adds alerts, it never stops the tracker', () => {
    const m = model(true);
    m.memory!.scale = 8;
    // A shift of 1 on channel 0 that the memory flags, while each window alone is mostly normal enough to learn from.
    const data = noisy(800, 1, 0, 5);
    const withMemory = score(m, data);
    const without = score(model(false), data);
    expect(withMemory.scores.slice(20, 120).filter((s) => s > 4).length).toBeGreaterThan(50);
    expect(Array.from(withMemory.state.subarray(0, 2))).toEqual(Array.from(without.state));
    expect(without.state[0]).toBeGreaterThan(0.7);
  });

  it('vigil train --memory on: calibrated so that its limit lands on the bar', () => {
    const base = model(false);
    const held = Float64Array.from(noisy(400, 0, 0, 11).flat());
    const fitted = fitMemory(base, held, 4, 0.001, 1, 'held-out');
    expect(fitted.lambda).toBe(MEMORY_LAMBDA);
    // The statistic's limit on these windows times the scale is the bar: about 4 of 400 normal windows above it.
    // Shrunk to what 4 windows in a row need to pass the limit (8.4 x it), or to the bar if lower.
    expect(fitted.clip).toBeCloseTo(Math.min(4, (4 / fitted.scale) / (1 - 0.9 ** 4) ** 2), 5);
    const q = memoryStatistics(held, base, fitted).subarray(10);
    const above = Array.from(q).filter((x) => x * fitted.scale > 4).length;
    expect(above).toBeLessThan(8);
    expect(fitted.scale).toBeGreaterThan(1);
    // Too few windows in order for a limit: refused, saying what it needs.
    expect(() => fitMemory(base, held.subarray(0, 2 * 25), 4, 0.001, 1, 'held-out')).toThrow(/needs at least 30 held-out windows in time order, got 25/);
  });

  it('a card with a memory but no tracked state is refused, saying why', () => {
    const card = JSON.parse(JSON.stringify(tinyModel({ name: 'd', window: 4, channels: ['a', 'b'], layers: [meanLayer(4, 2)], scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1] }, threshold: 1 }).card));
    const { tracking: _, ...untracked } = model(false);
    card.scoring = { error: 'mahalanobis', span: 1, residual: { ...untracked, memory: { lambda: 0.1, scale: 2, clip: 1, method: 't' } } };
    expect(() => parseCard(card)).toThrow(/memory needs scoring.residual.tracking/);
    card.scoring.residual.tracking = model(false).tracking;
    expect(parseCard(card).scoring.residual?.memory?.scale).toBe(2);
  });

  it('streams a backlog in batches of 1 or 64 to the same scores: the memory steps window by window, in order', async () => {
    const card = structuredClone(tinyCard) as ModelCard;
    card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0, below: 4 }, memory: { lambda: MEMORY_LAMBDA, scale: 8, clip: 4, method: 'test' } } };
    // A model that reconstructs everything as 1: the last value of each 2 x 1 window is its residual + 1. From window
    // 50 on the residual is 0.8 (own statistic 0.64, far under the bar of 4; the memory's 8 x 0.64 = 5.1 over it).
    const windows: SensorWindow[] = Array.from({ length: 200 }, (_, k) => ({ sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([1, k < 50 ? 1 : 1.8]), scaler: tinyCard.scaler }));
    const session = { provider: 'fake/ones', run: async (input: Float32Array, n: number) => ({ reconstruction: new Float32Array(n * 2).fill(1), extra: {} }), close: async () => {} };
    let scored: ScoredWindow[] = [];
    const scores = async (batch: number) => {
      const batches: SensorWindow[][] = [];
      for (let i = 0; i < windows.length; i += batch) batches.push(windows.slice(i, i + batch));
      scored = await lastValueFrom(from(batches).pipe(inferBatches({ card, session }, { residuals: new TrackedResiduals(), maxBatch: batch }), toArray()));
      return scored.map((w) => w.score);
    };
    const one = await scores(1);
    expect(await scores(64)).toEqual(one);
    // A window the memory scored carries its own statistic beside it (0.8² = 0.64 here, one channel): the
    // alert it opens says so, in the event and in the published payload.
    expect(scored[40].ownScore).toBeUndefined();
    expect(scored[100].ownScore).toBeCloseTo(0.64, 5);
    // Alerts open on one window here (the defaults' 5 of 10 would wait past the first memory-scored window).
    const policy = { ...ALERT_DEFAULTS, openK: 1, openN: 1, closeM: 3 };
    const tracker = new AlertTracker(policy);
    const events = scored.map((w) => alertEventOf(tracker.step({ ...w, threshold: 4, anomaly: w.score > 4 } as Verdict), card)).filter((e) => e !== undefined);
    expect(events[0]).toMatchObject({ type: 'open', memory: true, cause: 'memory' });
    expect(scored[100].cause).toBe('memory');
    expect(alertPayload(events[0]!).memory).toBe(true);
    expect(alertPayload({ ...events[0]!, memory: undefined }).memory).toBeUndefined();
    // A window loud on its own is not called a persistent shift, though the memory scored it higher still.
    const loud = { ...scored[100], ownScore: 5, threshold: 4, anomaly: true } as Verdict;
    const t2 = new AlertTracker(policy);
    const loudEvent = alertEventOf(t2.step(loud), card);
    expect([loudEvent?.type, loudEvent?.memory, loudEvent?.cause]).toEqual(['open', undefined, undefined]);
    // The peak that explains a close survives a save and restore of the tracker with what scored it.
    const t3 = new AlertTracker(policy);
    for (const w of scored.slice(60, 80)) t3.step({ ...w, threshold: 4, anomaly: w.score > 4 } as Verdict);
    const back = AlertTracker.restore(policy, JSON.parse(JSON.stringify(t3.toJSON())), 'p');
    let close: ReturnType<typeof alertEventOf>;
    for (const w of scored.slice(80).map((x) => ({ ...x, score: 0, ownScore: undefined, threshold: 4, anomaly: false }) as Verdict)) close ??= alertEventOf(back.step(w), card);
    expect(close).toMatchObject({ type: 'close', memory: true, cause: 'memory' });
    expect(one.slice(0, 50).every((x) => x === 0)).toBe(true);
    // 8 x 0.64 x (1 - 0.9^k)^2 passes 4 from the 21st window of the shift on, and stays over it.
    expect(one.slice(50, 70).every((x) => x < 4)).toBe(true);
    expect(one.slice(71).every((x) => x > 4)).toBe(true);
  });

  it('leaves the input offsets to learn as without memory when streamed (they learn on the window\'s own statistic)', async () => {
    // Inputs that follow the residual (rate 0.01), a model that reconstructs everything as 1, a lasting residual of
    // 0.8: each window alone is far under the learning gate (2); the memory (scale 20) passes the gate within 5 windows
    // and the bar (4) within 8, and must not stop the offsets.
    const card = (memory: boolean) => {
      const c = structuredClone(tinyCard) as ModelCard;
      c.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0, below: 2, input: 0.01 }, ...(memory ? { memory: { lambda: MEMORY_LAMBDA, scale: 20, clip: 4, method: 'test' } } : {}) } };
      return c;
    };
    const windows = () => Array.from({ length: 300 }, (_, k): SensorWindow => ({ sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1, data: Float32Array.from([1, 1.8]), scaler: tinyCard.scaler }));
    const session = { provider: 'fake/ones', run: async (_input: Float32Array, n: number) => ({ reconstruction: new Float32Array(n * 2).fill(1), extra: {} }), close: async () => {} };
    const offsets = async (memory: boolean) => {
      const c = card(memory);
      const residuals = new TrackedResiduals();
      const scores = (await lastValueFrom(from(windows().map((w) => [w])).pipe(inferBatches({ card: c, session }, { residuals, maxBatch: 1 }), toArray()))).map((w) => w.score);
      return { offset: residuals.for(c)!.of('p')[2], scores };
    };
    const without = await offsets(false);
    const withMemory = await offsets(true);
    expect(without.offset).toBeGreaterThan(0.7);
    expect(withMemory.offset).toBeCloseTo(without.offset, 6);
    expect(withMemory.scores.slice(10, 30).every((x) => x > 4)).toBe(true);
    // The offsets take the shift out of the residual, and with it what the memory sees.
    expect(withMemory.scores.at(-1)).toBeLessThan(2);
  });

  it('keeps a window whose own statistic is not finite out of the memory', () => {
    const m = model(true);
    const { state, scores } = score(m, [[1, 0], [Number.POSITIVE_INFINITY, 0], [Number.NaN, 0], [1, 0]]);
    for (const v of state) expect(Number.isFinite(v)).toBe(true);
    expect(state[6]).toBeCloseTo(1 - 0.9 ** 2, 2);
    expect(Number.isFinite(scores[3])).toBe(true);
  });
});
