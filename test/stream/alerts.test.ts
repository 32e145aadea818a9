import { describe, expect, it } from 'vitest';
import { AlertTracker, ALERT_DEFAULTS, checkPolicy } from '../../runtime/alerts/tracker.ts';
import { raiseAlerts } from '../../runtime/alerts/raise-alerts.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import type { Verdict } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { newScheduler } from './helpers.ts';
import { alertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { alertProblem, formatAlert } from '../../simulators/alerts/format.ts';

const { card } = tinyModel({ window: 2, channels: ['current', 'vibration', 'temp'], name: 'pump' });
const verdict = (t: number, score: number, anomaly: boolean, perChannel = [1, 2, 1], sensor = 's'): Verdict => ({
  sensor, seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(6), score, perChannel: Float32Array.from(perChannel),
  provider: 'ort-node/cpu', threshold: 1, anomaly,
});
/** Feed anomaly flags at t = 1000, 2000, ...: 1 a warning (1.5x), C a critical window (2x), 0 quiet; the step kinds. */
const run = (t: AlertTracker, flags: string, t0 = 0) => [...flags].map((f, i) => t.step(verdict(t0 + (i + 1) * 1000, f === 'C' ? 2 : f === '1' ? 1.5 : 0.5, f !== '0')).kind);

describe('AlertTracker', () => {
  it('opens on k of n anomalous windows and closes after m quiet ones', () => {
    const t = new AlertTracker(checkPolicy({ openK: 2, openN: 3, closeM: 2, cooldownMs: 0 }));
    // A quiet window followed by an anomalous one restarts the quiet count.
    expect(run(t, '1010100')).toEqual(['none', 'none', 'open', 'none', 'none', 'none', 'close']);
  });

  it('does not open on isolated anomalies that never reach k of n', () => {
    const t = new AlertTracker(checkPolicy({ openK: 2, openN: 3, closeM: 1, cooldownMs: 0 }));
    expect(run(t, '1001001').every((k) => k === 'none')).toBe(true);
    expect(t.isOpen).toBe(false);
  });

  it('by default opens on 5 of the last 10 windows, or at once on a critical one, and closes after 10 quiet ones', () => {
    // Windows just over the bar a few apart (what a calibrated bar gives on normal data) open nothing.
    const t = new AlertTracker(ALERT_DEFAULTS);
    expect(run(t, '1001000100100010010001').every((k) => k === 'none')).toBe(true);
    // The fifth of ten opens; nine quiet windows do not close it, the tenth does.
    const u = new AlertTracker(ALERT_DEFAULTS);
    expect(run(u, '11010101')).toEqual([...new Array(7).fill('none'), 'open']);
    expect(run(u, '0000000001000000000', 10_000)).toEqual(new Array(19).fill('none'));
    expect(run(u, '0', 40_000)).toEqual(['close']);
    // A spike or a stuck sensor (twice the bar) does not wait for four more windows.
    expect(run(u, '0C', 70_000)).toEqual(['none', 'open']);
    expect(ALERT_DEFAULTS).toMatchObject({ openK: 5, openN: 10, closeM: 10, cooldownMs: 0 });
  });

  it('a critical window opens at once under any k of n, but not inside a cooldown; openCritical false leaves it to k of n', () => {
    const t = new AlertTracker(checkPolicy({ openK: 3, openN: 5, closeM: 1, cooldownMs: 2500 }));
    expect(run(t, '1C0C')).toEqual(['none', 'open', 'close', 'suppressed']);
    // A config that asks 3 of 3 to ignore single spikes (a review: the rule overrode it with no way out).
    const strict = new AlertTracker(checkPolicy({ openK: 3, openN: 3, closeM: 1, cooldownMs: 0, openCritical: false }));
    expect(run(strict, '0C00CCC')).toEqual(['none', 'none', 'none', 'none', 'none', 'none', 'open']);
  });

  it('needs fresh evidence after a close and honours the cooldown', () => {
    const t = new AlertTracker(checkPolicy({ openK: 1, openN: 1, closeM: 1, cooldownMs: 2500 }));
    // open at 1000, close at 2000; 3000 and 4000 are inside the 2500 ms cooldown; 5000 opens.
    expect(run(t, '10111')).toEqual(['open', 'close', 'suppressed', 'suppressed', 'open']);
  });

  it('ignores repeated and earlier verdicts (dedupe)', () => {
    const t = new AlertTracker(checkPolicy({ openK: 1, openN: 1, closeM: 1, cooldownMs: 0 }));
    expect(t.step(verdict(1000, 2, true)).kind).toBe('open');
    expect(t.step(verdict(1000, 2, true)).kind).toBe('duplicate');
    expect(t.step(verdict(500, 2, true)).kind).toBe('duplicate');
    expect(t.isOpen).toBe(true);
  });

  it('rejects a bad policy naming the field', () => {
    expect(() => checkPolicy({ openK: 3, openN: 2, closeM: 1, cooldownMs: 0 })).toThrow(/openK \(3\) must not exceed openN \(2\)/);
    expect(() => checkPolicy({ openK: 1, openN: 1, closeM: 0, cooldownMs: 0 })).toThrow(/closeM must be an integer >= 1/);
  });
});

describe('raiseAlerts', () => {
  it('emits open and close events with contributors, model, provider, duration and peak', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const counters = createCounters();
      const src = cold('abcde|', {
        a: verdict(1000, 0.5, false),
        b: verdict(2000, 3, true, [1, 6, 3]),
        c: verdict(3000, 5, true, [8, 1, 1]),
        d: verdict(4000, 0.4, false),
        e: verdict(5000, 0.3, false),
      });
      const model = { name: 'pump', version: '0.0.1', weights: card.onnx.sha256.slice(0, 12) };
      expectObservable(src.pipe(raiseAlerts({ card, closeM: 2, counters }))).toBe('-b--e|', {
        b: { type: 'open', sensor: 's', tsFirst: 1000, tsLast: 2000, receivedAt: 2000, score: 3, threshold: 1, provider: 'ort-node/cpu', model,
          contributors: [{ channel: 'vibration', share: 0.6 }, { channel: 'temp', share: 0.3 }, { channel: 'current', share: 0.1 }] },
        e: { type: 'close', sensor: 's', tsFirst: 4000, tsLast: 5000, receivedAt: 5000, score: 0.3, threshold: 1, provider: 'ort-node/cpu', model,
          contributors: [{ channel: 'current', share: 0.8 }, { channel: 'vibration', share: 0.1 }, { channel: 'temp', share: 0.1 }],
          openedAt: 2000, durationMs: 3000, peakScore: 5, peakThreshold: 1, critical: true },
      });
    });
  });

  it('unsubscribes from the source on teardown', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const src = hot('-a--b', { a: verdict(1000, 2, true), b: verdict(2000, 0.1, false) });
      expectObservable(src.pipe(raiseAlerts({ card })), '^--!').toBe('-a-', { a: expect.objectContaining({ type: 'open' }) });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('keeps sensors independent and passes errors on', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab#', { a: verdict(1000, 2, true, [1, 1, 1], 'x'), b: verdict(1000, 2, true, [1, 1, 1], 'y') }, new Error('down'));
      const out = src.pipe(raiseAlerts({ card, topK: 1 }));
      expectObservable(out).toBe('ab#', {
        a: expect.objectContaining({ type: 'open', sensor: 'x' }),
        b: expect.objectContaining({ type: 'open', sensor: 'y' }),
      }, new Error('down'));
    });
  });

  it('says when the window behind an event held a channel nobody measured, its payload and its line too', () => {
    // A probe: a sensor that never sent two of its channels got an alert naming them, with nothing to say they were
    // the training mean, not readings.
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab|', { a: { ...verdict(1000, 2, true, [1, 3, 1], 'x'), incomplete: true }, b: verdict(1000, 2, true, [1, 3, 1], 'y') });
      expectObservable(src.pipe(raiseAlerts({ card }))).toBe('ab|', {
        a: expect.objectContaining({ type: 'open', sensor: 'x', incomplete: true }),
        b: expect.not.objectContaining({ incomplete: expect.anything() }),
      });
    });
    const base = { type: 'open' as const, sensor: 'x', tsFirst: 0, tsLast: 1000, score: 2, threshold: 1, contributors: [{ channel: 'vibration', share: 1 }], model: { name: 'pump', version: '1' }, provider: 'cpu' };
    const p = alertPayload({ ...base, incomplete: true });
    expect(p.incomplete).toBe(true);
    expect(alertProblem(p)).toBeUndefined();
    expect(formatAlert(p)).toMatch(/judged with a channel its readings did not carry/);
    expect(alertPayload(base)).not.toHaveProperty('incomplete');
    expect(formatAlert(alertPayload(base))).not.toMatch(/did not carry/);
  });
});
