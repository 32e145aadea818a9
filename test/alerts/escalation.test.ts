/**
 * An alert escalates once when a window of it first reaches the critical multiple of its threshold (a probe: nine
 * alerts opened as warnings at 1.0-1.6x, four peaked at 14-20x, and nothing said so until they closed). The event,
 * its payload, its state across a restart, `vigil alerts`' line and the dashboard's alert list.
 */
import { describe, expect, it } from 'vitest';
import { AlertTracker, checkPolicy, CRITICAL_MULTIPLE, ESCALATE_FACTOR, type AlertTrackerState } from '../../runtime/alerts/tracker.ts';
import { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import { alertEventOf } from '../../runtime/alerts/raise-alerts.ts';
import { alertPayload, AlertPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import type { Verdict } from '../../runtime/stream/types.ts';
import { formatAlert } from '../../simulators/alerts/format.ts';
import { DashboardStore } from '../../dashboard/store.ts';
import { spansFromEvents } from '../../dashboard/spans.ts';

const policy = checkPolicy({ openK: 1, openN: 1, closeM: 2, cooldownMs: 0 });
const verdict = (t: number, score: number): Verdict => ({
  sensor: 's', seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(6), score, perChannel: Float32Array.from([1, 2]),
  provider: 'ort-node/cpu', threshold: 1, anomaly: score > 1,
});
const roundTrip = (s: AlertTrackerState): AlertTrackerState => JSON.parse(JSON.stringify(s));
const { card } = tinyModel({ window: 3, channels: ['a', 'b'] });

describe('alert escalation', () => {
  it('an alert opened as a warning escalates once, at its first critical window; one opened critical never does', () => {
    const t = new AlertTracker(policy);
    const kinds = [1.2, 1.5, 1.9, 2.4, 20, 0.5, 3, 0.5, 0.5].map((s, i) => t.step(verdict(1000 * (i + 1), s)).kind);
    expect(kinds).toEqual(['open', 'none', 'none', 'escalate', 'none', 'none', 'none', 'none', 'close']);
    // A new alert is judged afresh: this one opens critical, so no escalation.
    expect([5, 9, 0.5, 0.5].map((s, i) => t.step(verdict(20_000 + 1000 * i, s)).kind)).toEqual(['open', 'none', 'none', 'close']);
    expect(CRITICAL_MULTIPLE).toBe(2);
  });

  it('an alert open for a while escalates again on a surge an order of magnitude over its level, once per surge; its opening minutes do not', () => {
    // A setpoint change holds an alert open at 2.4x; a leak comes on top of it at 43x (a probe: it went unsaid).
    const t = new AlertTracker(policy);
    const run = (scores: number[], from: number) => scores.map((s, i) => t.step(verdict(from + 1000 * i, s)).kind);
    expect(run([2.4, 2.4], 1000)).toEqual(['open', 'none']);
    const settled = run(Array.from({ length: 150 }, () => 2.4), 3000);
    expect(settled.every((k) => k === 'none')).toBe(true);
    // The surge: one escalation, not one per window while it lasts.
    expect(run([43, 43, 43, 43], 200_000)).toEqual(['escalate', 'none', 'none', 'none']);
    // Back near its level, then a second surge: news again.
    expect(run([2.4, 2.4, 2.4, 43], 300_000)).toEqual(['none', 'none', 'none', 'escalate']);
    // Under ESCALATE_FACTOR times the level: no news.
    expect(run([2.4, 2.4, 0.95 * ESCALATE_FACTOR * 2.4], 400_000)).toEqual(['none', 'none', 'none']);
    // A restart keeps the level, the arming and the windows seen: the same surge is not announced twice.
    const r = new AlertTracker(policy);
    r.step(verdict(1000, 2.4));
    for (let i = 0; i < 150; i++) r.step(verdict(2000 + 1000 * i, 2.4));
    expect(r.step(verdict(200_000, 43)).kind).toBe('escalate');
    const back = AlertTracker.restore(policy, roundTrip(r.toJSON()), 's');
    expect(back.step(verdict(201_000, 43)).kind).toBe('none');
    // An intermittent fault (one window in eight at 1.5x, the rest quiet) is no surge, however long (a review: 81).
    const policy5 = checkPolicy({ openK: 1, openN: 1, closeM: 10, cooldownMs: 0 });
    const flicker = new AlertTracker(policy5);
    const kinds = Array.from({ length: 800 }, (_, i) => flicker.step(verdict(1000 * (i + 1), i % 8 === 0 ? 1.5 : 0.05)).kind);
    expect(kinds.filter((k) => k === 'escalate')).toEqual([]);
    // An incident's own opening (3x, then 30x a few windows on) is its opening, not a second fault.
    const fresh = new AlertTracker(policy);
    expect([3, 5, 30, 30].map((s, i) => fresh.step(verdict(1000 * (i + 1), s)).kind)).toEqual(['open', 'none', 'none', 'none']);
    // ... and stays so once the alert is established (a review: said at 3x only, it escalated at its 100th window).
    expect(Array.from({ length: 150 }, (_, i) => fresh.step(verdict(5000 + 1000 * i, 30)).kind).filter((k) => k !== 'none')).toEqual([]);
  });

  it('a fault that grows slowly under an alert already open is news at each order of magnitude over what was last said', () => {
    // A probe: a setpoint change held an alert open at 4.6x; a leak grew under it over hours to 620x, slower than the
    // level follows (an order of magnitude in 700 windows), and went unsaid.
    const t = new AlertTracker(policy);
    const at = (i: number) => 1000 * (i + 1);
    const kinds: string[] = [];
    for (let i = 0; i < 150; i++) kinds.push(t.step(verdict(at(i), 4.6)).kind);
    const ramp = (k: number) => 4.6 * Math.exp((Math.log(620 / 4.6) * k) / 700);
    const escalated: number[] = [];
    for (let k = 0; k <= 700; k++) if (t.step(verdict(at(150 + k), ramp(k))).kind === 'escalate') escalated.push(ramp(k));
    expect(kinds.slice(1).every((k) => k === 'none')).toBe(true);
    // At 46x (ten times the 4.6x it opened at) and at ten times that, once each.
    expect(escalated).toHaveLength(2);
    expect(escalated[0] / 4.6).toBeCloseTo(10, 0);
    expect(escalated[1] / escalated[0]).toBeCloseTo(10, 0);
    // A restart in between keeps what was said: the same growth is not said twice.
    const r = new AlertTracker(policy);
    for (let i = 0; i < 150; i++) r.step(verdict(at(i), 4.6));
    let k = 0;
    while (r.step(verdict(at(150 + k), ramp(k))).kind !== 'escalate') k++;
    const back = AlertTracker.restore(policy, roundTrip(r.toJSON()), 's');
    const after: string[] = [];
    for (let j = k + 1; j < k + 100; j++) after.push(back.step(verdict(at(150 + j), ramp(j))).kind);
    expect(after.every((x) => x === 'none')).toBe(true);
  });

  it('a stuck sensor found while its alert is open escalates once, with the cause, across a restart too (a probe: the pager heard it only at the close)', () => {
    const t = new AlertTracker(policy);
    const stuck = (at: number, score: number): Verdict => ({ ...verdict(at, score), cause: 'stuck' });
    // Opened critical at 5x: no escalation for the score; the stuck check's verdict at 2.1x is news.
    expect([t.step(verdict(1000, 5)).kind, t.step(verdict(2000, 4)).kind, t.step(stuck(3000, 2.1)).kind]).toEqual(['open', 'none', 'escalate']);
    expect(alertEventOf(t.step(stuck(4000, 2.1)), card)).toBeUndefined();
    const back = AlertTracker.restore(policy, roundTrip(t.toJSON()), 's');
    expect(back.step(stuck(5000, 2.1)).kind).toBe('none');
    // Its event says the cause; an alert that opened stuck says it at its opening and not again.
    const fresh = new AlertTracker(policy);
    fresh.step(verdict(1000, 5));
    expect(alertEventOf(fresh.step(stuck(2000, 2.1)), card)).toMatchObject({ type: 'escalate', cause: 'stuck' });
    const opened = new AlertTracker(policy);
    expect([stuck(1000, 2.1), stuck(2000, 2.1), verdict(3000, 3), stuck(4000, 2.1)].map((v) => opened.step(v).kind)).toEqual(['open', 'none', 'none', 'none']);
    // A stuck escalation at 2.1x after 5x was said does not lower what was said: 21x is no growth of ten (a review).
    expect(t.toJSON().open!.said).toBeCloseTo(Math.log(5), 6);
  });

  it('a restart does not escalate again, and a state saved before escalation existed goes by its peak', () => {
    const t = new AlertTracker(policy);
    t.step(verdict(1000, 1.2));
    expect(t.step(verdict(2000, 2.5)).kind).toBe('escalate');
    const restored = AlertTracker.restore(policy, roundTrip(t.toJSON()), 's');
    expect(restored.step(verdict(3000, 4)).kind).toBe('none');
    // Saved by an older vigil: no `critical` field. Peak 1.2x: it may still escalate; peak 3x: it already was.
    const old = (peak: number): AlertTrackerState => ({ recent: [1], lastTs: 2000, lastClosedAt: null, open: { openedAt: 1000, quiet: 0, peak: { score: peak, threshold: 1, tsFirst: 0, tsLast: 1000, perChannel: [1, 1] } } });
    expect(AlertTracker.restore(policy, old(1.2)).step(verdict(3000, 2.5)).kind).toBe('escalate');
    expect(AlertTracker.restore(policy, old(3)).step(verdict(3000, 2.5)).kind).toBe('none');
  });

  it('the escalate event: critical, the incident it belongs to, openedAt; vigil alerts and the dashboard show it', () => {
    const t = new AlertTracker(policy);
    const open = alertEventOf(t.step(verdict(1000, 1.2)), card)!;
    const up = alertEventOf(t.step(verdict(2000, 6)), card)!;
    expect(up).toMatchObject({ type: 'escalate', openedAt: 1000, score: 6 });
    const p = alertPayload(up);
    expect(AlertPayloadSchema.parse(p)).toMatchObject({ type: 'escalate', severity: 'critical', incident: alertPayload(open).incident, openedAt: new Date(1000).toISOString() });
    expect(alertPayload(open).severity).toBe('warning');
    const line = formatAlert(p, { now: new Date(0) });
    expect(line).toMatch(/ESCALATED {2}s {2}critical {2}score 6\.00 > 1\.00 \(6\.0x\) {2}\(open since /);
    expect(formatAlert(alertPayload(open), { now: new Date(0) })).toMatch(/ALERT {2}s {2}warning {2}score 1\.20 > 1\.00/);

    const store = new DashboardStore({ channels: ['a', 'b'] });
    store.addAlert(open);
    expect(store.recentAlerts()[0]).toMatchObject({ end: null });
    expect(store.recentAlerts()[0].critical).toBeUndefined();
    store.addAlert(up);
    // Still open, now critical, its peak raised.
    expect(store.recentAlerts()[0]).toMatchObject({ end: null, critical: true, peakScore: 6 });
    // An escalation neither opens nor closes a span.
    expect(spansFromEvents([open, up])).toEqual([{ start: 1000, end: null }]);
  });
});

describe('critical is judged against each window\'s own threshold', () => {
  it('an adaptive bar that rose: peak 3 against a bar of 2 is no escalation, and the dashboard does not call it critical (a review)', () => {
    const t = new AlertTracker(policy);
    const at = (ts: number, score: number, threshold: number): Verdict => ({ ...verdict(ts, score), threshold, anomaly: score > threshold });
    const store = new DashboardStore({ channels: ['a', 'b'] });
    for (const [ts, score, thr] of [[1000, 1.5, 1], [2000, 3, 2], [3000, 0.5, 2], [4000, 0.5, 2]]) {
      const step = t.step(at(ts, score, thr));
      expect(step.kind).not.toBe('escalate');
      const e = alertEventOf(step, card);
      if (e) store.addAlert(e);
    }
    expect(store.recentAlerts()[0]).toMatchObject({ end: 4000, peakScore: 3, peakThreshold: 2 });
    expect(store.recentAlerts()[0].critical).toBeUndefined();
  });

  it('the close says the peak\'s own threshold, so every reader gives the same ratio (a re-probe: 9.1x in vigil alerts, 2.0x on the page after a hot reload)', () => {
    const t = new AlertTracker(policy);
    const at = (ts: number, score: number, threshold: number): Verdict => ({ ...verdict(ts, score), threshold, anomaly: score > threshold });
    t.step(at(1000, 300, 211));
    t.step(at(2000, 422, 211));
    // A new model (threshold 46.6) takes over while the alert is open; its quiet windows close it.
    t.step(at(3000, 10, 46.6));
    const close = alertEventOf(t.step(at(4000, 10, 46.6)), card)!;
    expect(close).toMatchObject({ type: 'close', peakScore: 422, peakThreshold: 211, threshold: 46.6 });
    const p = alertPayload(close);
    expect(AlertPayloadSchema.parse(p)).toMatchObject({ peakScore: 422, peakThreshold: 211 });
    expect(formatAlert(p, { now: new Date(0) })).toContain('peak 422 (2.0x)');
    const store = new DashboardStore({ channels: ['a', 'b'] });
    store.addAlert(close);
    expect(store.recentAlerts()[0]).toMatchObject({ peakScore: 422, peakThreshold: 211 });
  });
});

describe('open alerts on a page opened after a restart', () => {
  it('a restored open alert shows as open (and critical) before its next event; its close ends it', () => {
    const t = new AlertTracker(policy);
    t.step(verdict(1000, 1.2));
    t.step(verdict(2000, 15));
    const bank = new AlertBank(policy, { saved: { s: roundTrip(t.toJSON()) } });
    const open = bank.openAlerts();
    expect(open).toEqual([expect.objectContaining({ sensor: 's', openedAt: 1000, critical: true, peak: expect.objectContaining({ score: 15, threshold: 1 }) })]);
    const store = new DashboardStore({ channels: ['a', 'b'] });
    store.restoreOpen(open[0]);
    expect(store.summaries().find((x) => x.name === 's')?.state).toBe('alert');
    expect(store.recentAlerts()[0]).toMatchObject({ sensor: 's', start: 1000, end: null, peakScore: 15, critical: true, contributors: [{ channel: 'b' }, { channel: 'a' }] });
    // Its close after the restart ends that span; no second one.
    const restored = bank.get('s');
    restored.step(verdict(3000, 0.5));
    store.addAlert(alertEventOf(restored.step(verdict(4000, 0.5)), card)!);
    expect(store.recentAlerts()).toHaveLength(1);
    expect(store.recentAlerts()[0]).toMatchObject({ start: 1000, end: 4000 });
    expect(store.summaries().find((x) => x.name === 's')?.state).not.toBe('alert');
  });
});
