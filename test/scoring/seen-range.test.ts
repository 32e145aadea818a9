/**
 * Where the inputs were in training (`scoring.seen`): a window whose inputs are somewhere training never went (an
 * operating point a short training run never saw, a pump that started) carries the channels from the model stage to
 * its alert event, the published payload, the `vigil alerts` line, `vigil score`'s summary, the dashboard and a saved
 * tracker, in the channels' own units; it never changes a score.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { trackedEvents } from '../alerts/tracked-events.ts';
import { alertLines } from '../../runtime/alerts/alert-lines.ts';
import { AlertTracker, ALERT_DEFAULTS } from '../../runtime/alerts/tracker.ts';
import { ModelCardSchema, parseCard, type ModelCard, type Scoring } from '../../runtime/model/card.ts';
import { alertPayload, AlertPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import { fitSeen, outsideChannels, outsideSeen, SEEN_MARGIN } from '../../runtime/scoring/seen-range.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { ScoredWindow, SensorWindow } from '../../runtime/stream/types.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { formatAlert } from '../../simulators/alerts/format.ts';
import { DashboardStore } from '../../dashboard/store.ts';

const W = 8;
const C = 3;

/** N windows of noise (sd 0.1) around 0; `shift[i]` moves channel 1 of window i's last 2 rows by that much. */
function windows(n: number, shift: Record<number, number> = {}, seed = 1): Float32Array {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * W * C }, () => 0.1 * rng.normal());
  for (const [i, d] of Object.entries(shift)) for (let t = W - 2; t < W; t++) x[Number(i) * W * C + t * C + 1] += d;
  return x;
}

describe('the range training saw', () => {
  it('is the lowest and highest mean of each channel\'s last span rows over the training windows', () => {
    const x = windows(3);
    // Window 2's channel 0 sits at 5 over its last two rows (span 2), at -1 before them: only the span counts.
    for (let t = 0; t < W; t++) x[2 * W * C + t * C] = t >= W - 2 ? 5 : -1;
    const seen = fitSeen(x, 3, W, C, 2, 'training');
    expect(seen.high[0]).toBe(5);
    expect(seen.low[0]).toBeGreaterThan(-1);
    expect(seen.low.every((l, c) => l <= seen.high[c])).toBe(true);
    expect(seen.method).toMatch(/last 2 row\(s\) over the 3 training windows/);
  });

  it('flags a window whose span mean leaves the range by more than the margin, and only that channel', () => {
    const seen = fitSeen(windows(200, {}, 2), 200, W, C, 2, 'training');
    const range = seen.high[1] - seen.low[1];
    const scoring = { span: 2, seen };
    // Noise like training's: nothing outside, nothing allocated.
    expect(outsideSeen(windows(50, {}, 3), 50, W, C, scoring)).toBeUndefined();
    // Window 1 just inside the margin, window 2 past it (both from channel 1's high end, noise aside).
    const far = seen.high[1] + 2 * SEEN_MARGIN * range + 0.3;
    const x = windows(3, { 1: seen.high[1] + 0.5 * SEEN_MARGIN * range, 2: far }, 4);
    const out = outsideSeen(x, 3, W, C, scoring)!;
    expect(Array.from(out.any)).toEqual([0, 0, 1]);
    expect(Number.isNaN(out.values[2 * C])).toBe(true);
    expect(out.values[2 * C + 1]).toBeGreaterThan(seen.high[1] + SEEN_MARGIN * range);
    // Inputs shifted by learnt offsets (input-offsets.ts) are judged as measured: the offset is added back (here the
    // window's input was shifted up by what it measured above training: as measured, it is inside).
    const applied = new Float64Array(3 * C);
    applied[2 * C + 1] = -far;
    expect(outsideSeen(x, 3, W, C, scoring, applied)).toBeUndefined();
    // A channel constant in training is outside as soon as it moves.
    const still = { span: 2, seen: { low: [0, 0, 0], high: [0, 0, 0], method: 't' } };
    const moved = new Float32Array(W * C);
    moved[(W - 1) * C + 2] = 0.01;
    expect(Array.from(outsideSeen(moved, 1, W, C, still)!.any)).toEqual([1]);
    // A card without a range: nothing judged.
    expect(outsideSeen(x, 3, W, C, { span: 2 })).toBeUndefined();
  });

  it('judges a channel that climbed through training as the model sees it: with the offset that follows its climb', () => {
    const seen = { low: [-1, -1, -1], high: [1, 1, 1], method: 't' };
    // Both channels 1 and 2 measure 5 (far above training) and are shifted down by 5 for the model (to 0).
    const x = new Float32Array(W * C);
    const applied = Float64Array.from([0, 5, 5]);
    const residual = { mean: [0, 0, 0], precision: [1, 0, 0, 0, 1, 0, 0, 0, 1], shrinkage: 0, windows: 10, method: 't', tracking: { rate: 0.003, below: 1, input: 0.003, trend: [0, 0.01, 0] } };
    const out = outsideSeen(x, 1, W, C, { span: 2, seen, residual }, applied)!;
    // Channel 2 is outside as measured; channel 1's climb is followed by design: inside as the model sees it.
    expect(Array.from(out.values.subarray(0, C), (v) => (Number.isNaN(v) ? null : v))).toEqual([null, null, 5]);
  });

  it('names the channels outside in their own units, farthest first', () => {
    const card = { channels: ['flow', 'speed', 'temp'], scaler: { offset: [100, 45, 40], scale: [10, 1, 2] }, scoring: { seen: { low: [-1, -1, -1], high: [1, 1, 1], method: 't' } } };
    // speed 2 ranges (of 2) past its high end, temp half a range under its low end; flow inside.
    const named = outsideChannels(Float32Array.from([NaN, 5, -2]), card)!;
    expect(named).toEqual([
      { channel: 'speed', value: 50, low: 44, high: 46 },
      { channel: 'temp', value: 36, low: 38, high: 42 },
    ]);
    expect(outsideChannels(Float32Array.from([NaN, 5, -2]), { ...card, scoring: {} })).toBeUndefined();
    // A channel constant in training (range 0) one step out does not outrank one ten ranges out (a review: a setpoint
    // 50 -> 50.01 pushed the operating-point change out of the two channels an alert line shows).
    const still = { ...card, scoring: { seen: { low: [0, -0.5, 0], high: [0, 0.5, 0], method: 't' } } };
    expect(outsideChannels(Float32Array.from([0.01, 10.5, NaN]), still)!.map((o) => o.channel)).toEqual(['speed', 'flow']);
  });

  it('never changes a score', () => {
    const x = windows(4, { 3: 50 }, 5);
    const reconstruction = x.map((v) => v * 0.9);
    const base: Scoring = { error: 'mse', span: 2 };
    const withSeen: Scoring = { ...base, seen: fitSeen(windows(100, {}, 6), 100, W, C, 2, 'training') };
    const a = scoreOutputs(x, { reconstruction, extra: {} }, 4, W, C, base);
    const b = scoreOutputs(x, { reconstruction, extra: {} }, 4, W, C, withSeen);
    expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
    expect(Array.from(b.perChannel)).toEqual(Array.from(a.perChannel));
    expect(a.outside).toBeUndefined();
    expect(Array.from(b.outside!.any)).toEqual([0, 0, 0, 1]);
  });

  it('the alert a window outside the range opens says where, in the event, the payload, the lines, the dashboard and a saved tracker', async () => {
    const base = tinyModel({ name: 'skid', window: W, channels: ['flow', 'speed', 'temp'] }).card;
    const scaler = { kind: 'standard' as const, offset: [100, 45, 40], scale: [10, 1, 2] };
    const card = ModelCardSchema.parse({ ...structuredClone(base), scaler, scoring: { error: 'mse', span: 2, seen: fitSeen(windows(200, {}, 7), 200, W, C, 2, 'training') } }) as ModelCard;
    // Windows 10-14: speed 3 scaled units up (48 against a trained 44.6-45.4 or so).
    const x = windows(30, { 10: 3, 11: 3, 12: 3, 13: 3, 14: 3 }, 8);
    const input: SensorWindow[] = Array.from({ length: 30 }, (_, k) => ({
      sensor: 'p1', seq: k + W, tsFirst: k * 1000, tsLast: (k + W - 1) * 1000, receivedAt: k, data: x.subarray(k * W * C, (k + 1) * W * C), scaler: card.scaler,
    }));
    // A model that reconstructs every window as 0: the squared error is the input's, so the moved windows score high.
    const session = { provider: 'fake/zero', run: async (_: Float32Array, n: number) => ({ reconstruction: new Float32Array(n * W * C), extra: {} }), close: async () => {} };
    const scored: ScoredWindow[] = await lastValueFrom(from([input.slice(0, 12), input.slice(12)]).pipe(inferBatches({ card, session }, { maxBatch: 8 }), toArray()));
    expect(scored.flatMap((w, k) => (w.outside ? [k] : []))).toEqual([10, 11, 12, 13, 14]);

    const BAR = 1;
    const policy = { ...ALERT_DEFAULTS, openK: 1, openN: 1, closeM: 3 };
    // Saved and restored mid-alert: the close still says where its worst window was.
    const { events, saved } = trackedEvents(scored, card, policy, BAR, 12 + W);
    expect(events.map((e) => e.type)).toEqual(['open', 'close']);
    for (const e of events) {
      expect(e.outside).toHaveLength(1);
      expect(e.outside![0]).toMatchObject({ channel: 'speed' });
      expect(e.outside![0].value).toBeCloseTo(48, 0);
      expect(e.outside![0].high).toBeLessThan(46);
    }
    expect(saved?.open?.peak.outside?.filter((v) => v !== null)).toHaveLength(1);

    const payload = AlertPayloadSchema.parse(JSON.parse(JSON.stringify(alertPayload(events[0]))));
    expect(payload.outside).toEqual([{ channel: 'speed', value: expect.closeTo(48, 0), trained: [expect.any(Number), expect.any(Number)] }]);
    expect(formatAlert(payload)).toMatch(/outside training: speed 4[78]\.\d+ \(trained 4[45]\.\d+ to 4[56]\.\d+\)/);
    expect(alertLines(events)[0]).toMatch(/outside training: speed 4[78]/);

    const store = new DashboardStore();
    for (const e of events) store.addAlert(e);
    expect(store.recentAlerts(1)[0].outside?.[0].channel).toBe('speed');
    // A dashboard that saw only the close (started mid-alert) takes it from the close.
    const late = new DashboardStore();
    late.addAlert(events[1]);
    expect(late.recentAlerts(1)[0].outside?.[0].channel).toBe('speed');
    // A card whose range does not have one entry per channel is refused, saying so.
    const wrong = structuredClone(card);
    wrong.scoring.seen = { low: [0], high: [1], method: 't' };
    expect(() => parseCard(JSON.parse(JSON.stringify(wrong)))).toThrow(/scoring\.seen has 1 channels; expected 3/);

    // A saved state whose outside values are not numbers is refused, naming the field.
    const bad = JSON.parse(JSON.stringify(saved));
    bad.open.peak.outside = ['fast'];
    expect(() => AlertTracker.restore(policy, bad, 'p1')).toThrow(/open\.peak\.outside must be an array of numbers and nulls/);
  });
});
