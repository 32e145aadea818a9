/**
 * The alert tracker under maintenance (runtime/alerts/maintenance.ts): windows in the span open nothing, an open
 * alert closes at the first of them saying so, the window counts start again, windows before the span and after its
 * end are judged as usual, and the span survives a save and restore (a malformed one is refused, naming the field).
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { AlertTracker, checkPolicy, type AlertTrackerState } from '../../runtime/alerts/tracker.ts';
import { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import { unknownClockNote } from '../../runtime/alerts/maintenance.ts';
import { trackAlerts } from '../../runtime/alerts/raise-alerts.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import type { Verdict } from '../../runtime/stream/types.ts';

// 3 of 5 to open, 2 quiet to close; no opening at once on a critical window, so the counts show.
const policy = checkPolicy({ openK: 3, openN: 5, closeM: 2, cooldownMs: 0, openCritical: false });
const verdict = (t: number, score: number): Verdict => ({
  sensor: 's', seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(6), score, perChannel: Float32Array.from([1, 2]),
  provider: 'ort-node/cpu', threshold: 1, anomaly: score > 1,
});
const roundTrip = (s: AlertTrackerState): AlertTrackerState => JSON.parse(JSON.stringify(s));
const run = (t: AlertTracker, scores: number[], at: number) => scores.map((s, i) => t.step(verdict(at + 1000 * i, s)).kind);
const m = { from: 10_000, until: 20_000, by: '10.0.0.7 curl/8.1' };

describe('an alert tracker under maintenance', () => {
  it('closes an open alert at the span\'s first window, opens nothing in it, and needs fresh evidence after it', () => {
    const t = new AlertTracker(policy);
    t.maintain(m);
    // Before the span (a backlog older than the command): judged as usual.
    expect(run(t, [3, 3, 3, 3], 6000)).toEqual(['none', 'none', 'open', 'none']);
    const close = t.step(verdict(10_000, 3));
    expect(close).toMatchObject({ kind: 'close', openedAt: 8000, durationMs: 2000, maintenance: m });
    expect(run(t, [5, 5, 5, 5, 5, 5, 5, 5, 5], 11_000)).toEqual(Array(9).fill('muted'));
    expect(t.isOpen).toBe(false);
    // After it: three anomalous windows of five again, not the muted windows' tail.
    expect(run(t, [5, 5, 5], 20_000)).toEqual(['none', 'none', 'open']);
    expect(t.maintenanceSet).toBeUndefined();
  });

  it('a quiet sensor\'s maintenance closes nothing; ended early (undefined), it judges as usual at once', () => {
    const t = new AlertTracker(policy);
    t.maintain(m);
    expect(run(t, [3, 3], 10_000)).toEqual(['muted', 'muted']);
    t.maintain(undefined);
    expect(run(t, [3, 3, 3], 12_000)).toEqual(['none', 'none', 'open']);
  });

  it('an alert open through a maintenance no window came in (the machine off) closes for it at the first window after', () => {
    const t = new AlertTracker(policy);
    expect(run(t, [3, 3, 3], 7000)).toEqual(['none', 'none', 'open']);
    t.maintain(m);
    // Nothing from 10 000 to 20 000 (the pump stripped down); back at 25 000 behaving as before the work.
    expect(t.step(verdict(25_000, 3))).toMatchObject({ kind: 'close', openedAt: 9000, maintenance: m });
    expect(t.isOpen).toBe(false);
    expect(t.maintenanceSet).toBeUndefined();
    // Then fresh evidence, as after any close.
    expect(run(t, [3, 3, 3], 26_000)).toEqual(['none', 'none', 'open']);
  });

  it('is saved and restored with the sensor\'s alert state; a malformed one is refused naming the field', () => {
    const t = new AlertTracker(policy);
    t.maintain(m);
    run(t, [0.5], 9000);
    const saved = roundTrip(t.toJSON());
    expect(saved.maintenance).toEqual(m);
    const back = AlertTracker.restore(policy, saved);
    expect(run(back, [5, 5, 5], 10_000)).toEqual(['muted', 'muted', 'muted']);
    expect(() => AlertTracker.restore(policy, { ...saved, maintenance: { ...m, until: 'tomorrow' } as never })).toThrow(/maintenance\.until must be a finite number, got "tomorrow"/);
    expect(() => AlertTracker.restore(policy, { ...saved, maintenance: { from: 1, until: 2 } as never })).toThrow(/maintenance\.by must be a string/);
  });

  it('the bank refuses a sensor it holds no state of; the stage marks muted windows, counts them, and the close says maintenance', async () => {
    const bank = new AlertBank(policy);
    expect(bank.maintain('s', m)).toBe(false);
    bank.get('s');
    expect(bank.maintain('s', m)).toBe(true);
    expect(bank.maintenanceOf('s', 15_000)).toEqual(m);
    const counters = createCounters();
    const { card } = tinyModel({ window: 3, channels: ['a', 'b'] });
    const scores = [3, 3, 3, 3, 3, 3, 3];
    const out = await lastValueFrom(from(scores.map((s, i) => verdict(7000 + 1000 * i, s))).pipe(trackAlerts({ card, bank, counters }), toArray()));
    expect(out.map((d) => d.alert?.type ?? (d.muted ? 'muted' : '-'))).toEqual(['-', '-', 'open', 'close', 'muted', 'muted', 'muted']);
    expect(out[3].muted).toBe(true);
    expect(out[3].alert?.marked).toEqual({ command: 'maintenance', by: m.by, until: m.until });
    expect(counters.windowsMuted).toBe(3);
  });
  it("says when a sensor's clock is not known and its data time runs apart from the command's", () => {
    const start = Date.UTC(2026, 11, 7, 10, 0, 0);
    const until = start + 30 * 60_000;
    expect(unknownClockNote(undefined, start, until)).toBe('');
    // Live (its latest window within a minute), or its clock learnt: nothing to add.
    expect(unknownClockNote({ lastTs: start - 20_000 }, start, until)).toBe('');
    expect(unknownClockNote({ lastTs: start - 3_600_000, clockLead: -3_600_000 }, start, until)).toBe('');
    expect(unknownClockNote({ lastTs: null }, start, until)).toBe('');
    // A replay an hour ahead, or a backfill a day behind.
    for (const lastTs of [start + 3_600_000, start - 86_400_000]) {
      expect(unknownClockNote({ lastTs }, start, until)).toBe(`; its clock is not known (its readings have not arrived at the pace they were taken: a replay or a backfill?) and its latest window is stamped ${new Date(lastTs).toISOString()}, so only windows stamped from 2026-12-07T10:00:00.000Z to 2026-12-07T10:30:00.000Z are muted`);
    }
  });
});
