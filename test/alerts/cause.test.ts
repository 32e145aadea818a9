/**
 * What raised an alert: a window scored by the inputs' spread or by a stuck sensor (not by the model's own
 * statistic) carries which check it was from the model stage to the alert event, the published payload, the
 * `vigil alerts` line, the dashboard and a saved tracker.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { verdictCause } from '../../runtime/alerts/raise-alerts.ts';
import { trackedEvents } from './tracked-events.ts';
import { AlertTracker, ALERT_DEFAULTS } from '../../runtime/alerts/tracker.ts';
import type { ModelCard, Scoring } from '../../runtime/model/card.ts';
import { alertPayload, AlertPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import { CAUSE_TEXT, causeAt } from '../../runtime/scoring/cause.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import type { BatchScores } from '../../runtime/scoring/reconstruction.ts';
import { applySpread, spreadReference, successiveDifferences } from '../../runtime/scoring/spread.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { ScoredWindow, SensorWindow, Verdict } from '../../runtime/stream/types.ts';
import { createRng } from '../../runtime/util/prng.ts';
import { formatAlert } from '../../simulators/alerts/format.ts';
import { DashboardStore } from '../../dashboard/store.ts';
import { fitSpread } from '../../train/spread-calibration.ts';

const W = 16;
const C = 3;
const BAR = 10;

/** N windows of a slow sine per channel plus noise; `rough` windows triple channel 1's noise, `stuck` ones hold channel 2 still. */
function windows(n: number, { rough = [] as number[], stuck = [] as number[], seed = 1 } = {}): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * W * C);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < W; t++) {
      for (let c = 0; c < C; c++) {
        const g = c === 1 && rough.includes(i) ? 3 : 1;
        x[i * W * C + t * C + c] = c === 2 && stuck.includes(i) ? 0.5 : Math.sin((i + t) / 20 + c) + g * 0.05 * rng.normal();
      }
    }
  }
  return x;
}

/** Scoring by the squared error with the spread (calibrated on 200 training windows) and the stuck-sensor check. */
function scoring(): Scoring {
  const train = windows(200, { seed: 2 });
  const diffs = successiveDifferences(train, 200, W, C);
  const spread = fitSpread(spreadReference(diffs, C), diffs, BAR, 1e-3, 'test')!;
  return { error: 'mse', span: 4, spread, flatline: { channels: [0, 1, 2], score: 2 * BAR, method: 'test' } };
}

describe('what raised an alert', () => {
  it('an alert names a stuck sensor whatever scored its window, the spread or the memory only over the bar', () => {
    const v = { threshold: 4, score: 6 } as const;
    expect(verdictCause({ ...v, cause: 'stuck', ownScore: 3 })).toBe('stuck');
    expect(verdictCause({ ...v, score: 1, cause: 'stuck' })).toBe('stuck');
    expect(verdictCause({ ...v, cause: 'spread' })).toBe('spread');
    // Under the bar (raw, whatever smoothing made of it), neither names anything.
    expect(verdictCause({ ...v, score: 3, cause: 'spread' })).toBeUndefined();
    expect(verdictCause({ ...v, score: 5, rawScore: 3, cause: 'spread' })).toBeUndefined();
    // The memory: only where the window's own statistic alone is not over the bar.
    expect(verdictCause({ ...v, cause: 'memory', ownScore: 3 })).toBe('memory');
    expect(verdictCause({ ...v, cause: 'memory', ownScore: 5 })).toBeUndefined();
    expect(verdictCause({ ...v })).toBeUndefined();
  });

  it('the spread raises a window\'s own statistic even where the memory scored it higher: not a persistent shift then', () => {
    const scored = { scores: Float32Array.from([9, 9]), own: Float32Array.from([1, 1]), perChannel: new Float32Array(2 * C) };
    const spread = { reference: [1, 1, 1], channels: [0, 1, 2], center: 0, limit: 5, scale: 1, method: 't' };
    // Window 0's spread (6) passed its limit (5), window 1's (2) did not; the memory's 9 is the score of both.
    applySpread(scored, Float32Array.from([6, 2]), new Float64Array(2 * C).fill(1), spread, C);
    expect(Array.from(scored.own)).toEqual([6, 2]);
    expect(Array.from(scored.scores)).toEqual([9, 9]);
    expect(verdictCause({ threshold: 4, score: 9, ownScore: 6, cause: 'memory' })).toBeUndefined();
    // Where it gives the score, the spread is the cause only past its own limit.
    const low: BatchScores = { scores: Float32Array.from([0.5, 0.5]), perChannel: new Float32Array(2 * C) };
    applySpread(low, Float32Array.from([6, 2]), new Float64Array(2 * C).fill(1), spread, C);
    expect([causeAt(low.causes, 0), causeAt(low.causes, 1)]).toEqual(['spread', undefined]);
  });

  it('a stuck window is marked stuck whatever scored it; the spread marks the windows it scored; the model, none', () => {
    const s = scoring();
    // Window 0 normal, 1 roughened, 2 stuck, 3 reconstructed badly (its own statistic is the larger), 4 both rough
    // and badly reconstructed, 5 stuck and badly reconstructed (in channel 0).
    const x = windows(6, { rough: [1, 4], stuck: [2, 5], seed: 3 });
    const reconstruction = x.slice();
    for (const i of [3, 4, 5]) for (let t = W - 4; t < W; t++) reconstruction[i * W * C + t * C] += 30;
    const out = scoreOutputs(x, { reconstruction, extra: {} }, 6, W, C, s);
    expect([0, 1, 2, 3, 4, 5].map((i) => causeAt(out.causes, i))).toEqual([undefined, 'spread', 'stuck', undefined, undefined, 'stuck']);
    expect(out.scores[1]).toBeGreaterThan(BAR);
    expect(out.scores[2]).toBe(2 * BAR);
    expect(out.scores[3]).toBeGreaterThan(2 * BAR);
    // The stuck channel leads the blame even where the model's own error in another channel scored the window.
    expect(out.scores[5]).toBeGreaterThan(2 * BAR);
    const terms = Array.from(out.perChannel.subarray(5 * C, 6 * C));
    expect(terms.indexOf(Math.max(...terms))).toBe(2);
    // No cause in a batch: no codes at all (the common case costs nothing).
    expect(scoreOutputs(x.subarray(0, W * C), { reconstruction: x.slice(0, W * C), extra: {} }, 1, W, C, s).causes).toBeUndefined();
  });

  it('the alert a roughened or a stuck window opens says so, in the event, the payload, the alert line, the dashboard and a saved tracker', async () => {
    const base = tinyModel({ name: 'skid', window: W, channels: ['flow', 'vib', 'temp'] }).card;
    const card = { ...structuredClone(base), scoring: scoring() } as ModelCard;
    const x = windows(30, { rough: [10, 11, 12], stuck: [20, 21], seed: 5 });
    const input: SensorWindow[] = Array.from({ length: 30 }, (_, k) => ({
      sensor: 'p1', seq: k + W, tsFirst: k * 1000, tsLast: (k + W - 1) * 1000, receivedAt: k, data: x.subarray(k * W * C, (k + 1) * W * C), scaler: card.scaler,
    }));
    // A model that reconstructs every window perfectly: only the checks can raise a score.
    const session = { provider: 'fake/echo', run: async (batch: Float32Array, n: number) => ({ reconstruction: batch.slice(0, n * W * C), extra: {} }), close: async () => {} };
    const scored: ScoredWindow[] = await lastValueFrom(from([input.slice(0, 15), input.slice(15)]).pipe(inferBatches({ card, session }, { maxBatch: 8 }), toArray()));
    // Over the bar: the roughened windows by their spread, the stuck ones by the check (what a check gives a window
    // under the bar is marked too, and decides nothing).
    const over = scored.flatMap((w, k) => (w.score > BAR ? [`${k}:${w.cause}`] : []));
    expect(over).toEqual(expect.arrayContaining(['11:spread', '12:spread', '20:stuck', '21:stuck']));
    expect(over.every((o) => ['10:spread', '11:spread', '12:spread', '20:stuck', '21:stuck'].includes(o))).toBe(true);

    // Open on one window and close after 3, so the two incidents 8 windows apart stay two alerts (the defaults' merge
    // gap, 10 quiet windows, would make them one).
    const policy = { ...ALERT_DEFAULTS, openK: 1, openN: 1, closeM: 3 };
    // Saved and restored mid-alert: the close still says what raised its worst window.
    const { events, saved } = trackedEvents(scored, card, policy, BAR, 20 + W);
    expect(events.map((e) => `${e.type}:${e.cause}`)).toEqual(['open:spread', 'close:spread', 'open:stuck', 'close:stuck']);
    expect(saved?.open?.peak.cause).toBe('stuck');
    expect(events[2].contributors[0].channel).toBe('temp');

    const payload = alertPayload(events[2]);
    expect(AlertPayloadSchema.parse(JSON.parse(JSON.stringify(payload))).cause).toBe('stuck');
    expect(formatAlert(payload)).toContain(CAUSE_TEXT.stuck);
    expect(formatAlert(alertPayload(events[0]))).toContain(CAUSE_TEXT.spread);
    expect(formatAlert(alertPayload(events[3]))).toMatch(/clear.*a stuck sensor/);

    const store = new DashboardStore();
    for (const e of events) store.addAlert(e);
    expect(store.recentAlerts(5).map((a) => a.cause)).toEqual(expect.arrayContaining(['spread', 'stuck']));
    // An alert the model opened and a stuck sensor explains by its worst window: the dashboard's span says stuck.
    const late = new DashboardStore();
    late.addAlert({ ...events[2], cause: undefined });
    late.addAlert(events[3]);
    expect(late.recentAlerts(1)[0].cause).toBe('stuck');
    // And while it is open: the first anomalous window a check explains shows on the open span at once.
    const live = new DashboardStore();
    const verdicts = scored.map((w) => ({ ...w, threshold: BAR, anomaly: w.score > BAR }) as Verdict);
    live.addAlert({ ...events[2], cause: undefined });
    expect(live.recentAlerts(1)[0].cause).toBeUndefined();
    live.addVerdict(verdicts[20]);
    expect(live.recentAlerts(1)[0]).toMatchObject({ end: null, cause: 'stuck' });

    // A saved state with a check this version does not know is refused, naming the field.
    const bad = JSON.parse(JSON.stringify(saved));
    bad.open.peak.cause = 'vibes';
    expect(() => AlertTracker.restore(ALERT_DEFAULTS, bad, 'p1')).toThrow(/open\.peak\.cause must be one of memory, spread, stuck, got "vibes"/);
  });
});
