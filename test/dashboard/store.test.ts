import { describe, expect, it } from 'vitest';
import { PointRing } from '../../dashboard/ring.ts';
import { DashboardStore, INVALID_RECENT_MS } from '../../dashboard/store.ts';
import { spansFromFlags } from '../../dashboard/spans.ts';
import { causeLine, eventCause } from '../../runtime/alerts/alert-lines.ts';
import type { AlertEvent, Verdict } from '../../runtime/stream/types.ts';

function verdict(sensor: string, ts: number, score: number, threshold = 1, data = new Float32Array([0, 0])): Verdict {
  return { sensor, tsFirst: ts - 10, tsLast: ts, data, seq: ts, receivedAt: 0, score, perChannel: new Float32Array([score / 2, score / 2]), provider: 'test', threshold, anomaly: score > threshold };
}

function alert(type: 'open' | 'close', sensor: string, ts: number, extra: Partial<AlertEvent> = {}): AlertEvent {
  return { type, sensor, tsFirst: ts - 10, tsLast: ts, score: 5, threshold: 1, contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'test', ...extra };
}

describe('PointRing', () => {
  it('keeps the last capacity rows and answers "what is new since cursor"', () => {
    const r = new PointRing<number>(3);
    for (let i = 0; i < 5; i++) r.push(i);
    expect(r.since()).toEqual([2, 3, 4]);
    expect(r.since(4)).toEqual([4]);
    expect(r.since(5)).toEqual([]);
    // A cursor older than what is held gets what is held, not garbage.
    expect(r.since(1)).toEqual([2, 3, 4]);
    expect(r.last()).toBe(4);
    expect(() => new PointRing(0)).toThrow(/capacity/);
    r.resize(2);
    expect(r.since()).toEqual([3, 4]);
    r.push(5);
    expect(r.since(5)).toEqual([5]);
    expect(r.since()).toEqual([4, 5]);
  });
});

describe('DashboardStore', () => {
  it('bounds memory per sensor however many points arrive', () => {
    const s = new DashboardStore({ capacity: 50, now: () => 0 });
    for (let i = 0; i < 10_000; i++) {
      s.addReading({ sensor: 'p1', ts: i, values: { a: i, b: -i }, receivedAt: 0 });
      s.addVerdict(verdict('p1', i, 0.1));
    }
    const pts = s.pointsSince('p1');
    expect(pts.raw).toHaveLength(50);
    expect(pts.scores).toHaveLength(50);
    expect(pts.raw[49]).toEqual([9999, 9999, -9999]);
    expect(s.summaries()[0]).toMatchObject({ name: 'p1', state: 'ok', windows: 10_000, score: 0.1 });
  });

  it('keeps fewer points per sensor as sensors multiply, within the point budget, and forgets the quietest beyond maxSensors', () => {
    let now = 0;
    const s = new DashboardStore({ capacity: 1000, pointBudget: 10_000, maxSensors: 50, now: () => now });
    for (let i = 0; i < 1000; i++) s.addVerdict(verdict('first', i, 0.1));
    expect(s.pointsSince('first').scores).toHaveLength(1000);
    for (let k = 0; k < 60; k++) {
      now++;
      for (let i = 0; i < 300; i++) s.addVerdict(verdict(`s${k}`, i, 0.1));
    }
    // 50 sensors x 1000 rows would be 50,000 > 10,000: halved to 125 (the last halving that fits), floor 60.
    expect(s.perSensorCapacity).toBe(125);
    expect(s.summaries()).toHaveLength(50);
    expect(s.evicted).toBe(11);
    expect(s.has('first')).toBe(false); // heard from longest ago
    const kept = s.pointsSince('s59').scores;
    expect(kept).toHaveLength(125);
    expect(kept[124][0]).toBe(299); // the newest rows survive a resize
  });

  it('tracks alert spans and puts alerting sensors first', () => {
    const s = new DashboardStore({ now: () => 0 });
    s.addVerdict(verdict('a-sensor', 1, 0.1));
    s.addVerdict(verdict('z-sensor', 1, 0.1));
    s.addAlert(alert('open', 'z-sensor', 2));
    s.addVerdict(verdict('z-sensor', 3, 9));
    expect(s.summaries().map((x) => [x.name, x.state])).toEqual([
      ['z-sensor', 'alert'],
      ['a-sensor', 'ok'],
    ]);
    expect(s.openAlerts()).toBe(1);
    s.addAlert(alert('close', 'z-sensor', 4));
    expect(s.spansOf('z-sensor')).toEqual([expect.objectContaining({ start: 2, end: 4, peakScore: 9 })]);
    expect(s.recentAlerts()).toHaveLength(1);
    expect(s.openAlerts()).toBe(0);
  });

  it('lists every alert still open, not only the newest: one open all shift stays after 20 newer ones', () => {
    // A shift probe: 25 alerts open, the list held the newest 20 (11 of them open): the longest-open were gone.
    const s = new DashboardStore({ now: () => 0 });
    s.addAlert(alert('open', 'long-open', 1));
    for (let i = 0; i < 25; i++) {
      s.addAlert(alert('open', `p${i}`, 10 + i * 2));
      if (i % 2) s.addAlert(alert('close', `p${i}`, 11 + i * 2));
    }
    const listed = s.recentAlerts(20);
    expect(listed.slice(0, 20).map((a) => a.sensor)).toEqual(Array.from({ length: 20 }, (_, k) => `p${24 - k}`));
    expect(listed.slice(20).map((a) => a.sensor)).toEqual(['p4', 'p2', 'p0', 'long-open']);
    expect(listed.filter((a) => a.end === null)).toHaveLength(s.openAlerts());
  });

  it('records a close whose open it never saw (dashboard started mid-alert)', () => {
    const s = new DashboardStore({ now: () => 0 });
    s.addAlert(alert('close', 'p', 100, { openedAt: 40, peakScore: 7 }));
    expect(s.spansOf('p')).toEqual([expect.objectContaining({ start: 40, end: 100, peakScore: 7 })]);
  });

  it("names the stuck channel beside the cause, and takes a close's channels (its worst window, as MQTT says it)", () => {
    // A probe: the row read 'discharge_pressure 49% ... a stuck sensor', the opening's channels beside a cause a later
    // window of another channel showed, the stuck one named nowhere.
    const s = new DashboardStore({ channels: ['x', 'y'], now: () => 0 });
    s.addVerdict(verdict('p', 1, 0.1));
    s.addAlert(alert('open', 'p', 2, { contributors: [{ channel: 'x', share: 1 }] }));
    s.addVerdict({ ...verdict('p', 3, 4), perChannel: new Float32Array([1, 3]), cause: 'stuck' });
    expect(s.spansOf('p')[0]).toMatchObject({ cause: 'stuck', causeChannel: 'y', contributors: [{ channel: 'x', share: 1 }] });
    s.addAlert(alert('close', 'p', 9, { contributors: [{ channel: 'y', share: 0.6 }, { channel: 'x', share: 0.4 }], cause: 'stuck' }));
    expect(s.spansOf('p')[0]).toMatchObject({ cause: 'stuck', causeChannel: 'y', contributors: [{ channel: 'y', share: 0.6 }, { channel: 'x', share: 0.4 }] });
    // Another check's cause is about the window, not a channel.
    s.addAlert(alert('open', 'p', 20, { cause: 'spread' }));
    expect(s.spansOf('p')[1]).toMatchObject({ cause: 'spread' });
    expect(s.spansOf('p')[1]).not.toHaveProperty('causeChannel');
    expect(causeLine('stuck', 'y')).toBe('y: a stuck sensor (holding exactly still)');
    expect(eventCause(alert('close', 'p', 9, { contributors: [{ channel: 'y', share: 0.5 }], cause: 'stuck' }))).toBe('y: a stuck sensor (holding exactly still)');
    expect(eventCause(alert('close', 'p', 9, { cause: 'spread' }))).toBe('a roughened signal (row-to-row spread)');
  });

  it('an open alert names its worst window\'s channels, the same before and after a restart (restored from its saved peak)', () => {
    // A probe: a restart mid-incident turned the row's `chlorine 39% · current 23% · filter_dp 21%` (the opening's)
    // into `chlorine 56% · current 17% · turbidity 9%` (the saved peak's) on the same open alert.
    const live = new DashboardStore({ channels: ['x', 'y'], now: () => 0 });
    live.addAlert(alert('open', 'p', 2, { score: 3, contributors: [{ channel: 'x', share: 0.7 }, { channel: 'y', share: 0.3 }] }));
    const worst = { ...verdict('p', 3, 40), perChannel: new Float32Array([10, 30]) };
    live.addVerdict(worst);
    live.addVerdict({ ...verdict('p', 4, 20), perChannel: new Float32Array([20, 0]) }); // under the peak: not its channels
    expect(live.spansOf('p')[0].contributors.map((c) => c.channel)).toEqual(['y', 'x']);
    const restarted = new DashboardStore({ channels: ['x', 'y'], now: () => 0 });
    restarted.restoreOpen({ sensor: 'p', openedAt: 2, critical: true, peak: { score: 40, threshold: 1, tsFirst: worst.tsFirst, tsLast: 3, perChannel: [10, 30] } });
    expect(restarted.spansOf('p')[0].contributors).toEqual(live.spansOf('p')[0].contributors);
    // An escalation past the peak brings its own window's channels.
    live.addAlert({ ...alert('open', 'p', 5, { score: 90, contributors: [{ channel: 'x', share: 0.9 }, { channel: 'y', share: 0.1 }] }), type: 'escalate' });
    expect(live.spansOf('p')[0].contributors.map((c) => c.channel)).toEqual(['x', 'y']);
  });

  it('keeps an open alert restored after a restart outside training where its saved worst window was', () => {
    const s = new DashboardStore({ channels: ['x', 'y'], now: () => 0 });
    const seen = (v: Float32Array) => Array.from(v).flatMap((x, c) => (Number.isNaN(x) ? [] : [{ channel: ['x', 'y'][c], value: x * 10, low: 0, high: 5 }]));
    s.restoreOpen({ sensor: 'p', openedAt: 2, critical: false, peak: { score: 4, threshold: 1, tsFirst: 0, tsLast: 3, perChannel: [3, 1], outside: [null, 0.9] } }, seen);
    // A probe: the live row said "outside training" before the restart and nothing after it.
    expect(s.spansOf('p')[0].outside).toEqual([{ channel: 'y', value: expect.closeTo(9, 5), low: 0, high: 5 }]);
    s.restoreOpen({ sensor: 'q', openedAt: 2, critical: false, peak: { score: 4, threshold: 1, tsFirst: 0, tsLast: 3, perChannel: [3, 1], outside: [null, null] } }, seen);
    expect(s.spansOf('q')[0].outside).toBeUndefined();
  });

  it('marks a span judged on a channel nobody measured, from its open or its close', () => {
    const s = new DashboardStore({ now: () => 0 });
    s.addAlert(alert('open', 'p', 2, { incomplete: true }));
    s.addAlert(alert('close', 'p', 9));
    s.addAlert(alert('open', 'p', 20));
    s.addAlert(alert('close', 'p', 29, { incomplete: true }));
    s.addAlert(alert('open', 'p', 40));
    expect(s.spansOf('p').map((sp) => sp.incomplete === true)).toEqual([true, true, false]);
  });

  it('keeps an unresolved close (its sensor went silent for good) marked on its span', () => {
    const s = new DashboardStore({ now: () => 0 });
    s.addAlert(alert('open', 'gone', 10));
    s.addAlert({ ...alert('close', 'gone', 20), unresolved: 'silent' });
    expect(s.spansOf('gone')).toEqual([expect.objectContaining({ start: 10, end: 20, unresolved: 'silent' })]);
  });

  it("marks a listed sensor whose readings are refused as invalid for 5 minutes (a probe: 3 of 4 refused, it read 'normal')", () => {
    let now = 0;
    const s = new DashboardStore({ now: () => now });
    s.addVerdict(verdict('p', 1, 0.1));
    const rejected = (sensor: string | undefined, reason: string) => ({ reason, detail: 'd', topic: `x/${sensor}/data`, receivedAt: now, ...(sensor ? { sensor } : {}) });
    s.addRejected(rejected('p', 'bad_value'));
    now = 1000;
    s.addRejected(rejected('p', 'out_of_range'));
    // A junk topic's refusals make no row; a malformed message says nothing of a sensor's values.
    s.addRejected(rejected('junk', 'bad_value'));
    s.addRejected(rejected('p', 'bad_json'));
    const of = (n: string) => s.summaries().find((x) => x.name === n);
    expect(of('p')?.invalid).toEqual({ count: 2, reason: 'out_of_range', at: 1000 });
    expect(of('junk')).toBeUndefined();
    now = 1000 + INVALID_RECENT_MS + 1;
    expect(of('p')?.invalid).toBeUndefined();
  });

  it('a sensor the runtime says is silent is listed silent, not normal with its last score (a probe: a green "normal" for 2 minutes of silence)', () => {
    const s = new DashboardStore({ now: () => 0 });
    s.addVerdict(verdict('quiet', 1, 0.08));
    s.addVerdict(verdict('talking', 1, 0.1));
    const state = (list: ReturnType<DashboardStore['summaries']>, n: string) => list.find((x) => x.name === n)?.state;
    const list = s.summaries((n) => n === 'quiet');
    expect([state(list, 'quiet'), state(list, 'talking')]).toEqual(['silent', 'ok']);
    expect(state(s.summaries(), 'quiet')).toBe('ok');
    // An open alert still reads as one.
    s.addAlert(alert('open', 'quiet', 2));
    expect(state(s.summaries(() => true), 'quiet')).toBe('alert');
    // ...and says it is silent too (a re-probe: an alert on a sensor gone quiet looked like any other).
    expect(s.summaries(() => true).find((x) => x.name === 'quiet')?.silent).toBe(true);
    expect(s.summaries(() => false).find((x) => x.name === 'quiet')?.silent).toBeUndefined();
  });

  it('without readings, shows the last window row in original units via the card scaler', () => {
    const s = new DashboardStore({ channels: ['x', 'y'], scaler: { kind: 'standard', offset: [10, 20], scale: [2, 4] }, now: () => 0 });
    // Window of 2 rows x 2 channels, scaled; last row (1, -1) -> (12, 16).
    s.addVerdict(verdict('p', 5, 0.1, 1, new Float32Array([0, 0, 1, -1])));
    expect(s.channelsOf('p')).toEqual(['x', 'y']);
    expect(s.pointsSince('p').raw).toEqual([[5, 12, 16]]);
  });

  it('measures throughput over whole seconds and latency quantiles', () => {
    let now = 10_000;
    const s = new DashboardStore({ now: () => now });
    for (let sec = 0; sec < 5; sec++) {
      for (let i = 0; i < 100; i++) s.addVerdict({ ...verdict('p', i, 0.1), receivedAt: now - 2 });
      now += 1000;
    }
    const m = s.measured();
    expect(m.throughput).toBeCloseTo(100, 5);
    expect(m.latencyMs).toEqual({ p50: 2, p99: 2 });
  });
});

describe('DashboardStore rejected messages', () => {
  it('keeps the last 20 with a readable payload preview and counts by reason', () => {
    const s = new DashboardStore({ now: () => 0 });
    for (let i = 0; i < 25; i++) s.addRejected({ reason: 'bad-json', detail: `line ${i}`, topic: 't', payload: new TextEncoder().encode(`{oops ${i}`), receivedAt: i });
    s.addRejected({ reason: 'no-channels', detail: 'd', topic: 't', payload: Uint8Array.from([0x08, 0x00, 0x12, 0xff]), receivedAt: 99 });
    const r = s.rejected();
    expect(r.byReason).toEqual({ 'bad-json': 25, 'no-channels': 1 });
    expect(r.recent).toHaveLength(20);
    expect(r.recent[0]).toMatchObject({ reason: 'no-channels', preview: '08 00 12 ff' }); // binary shown as hex
    expect(r.recent[1].preview).toBe('{oops 24');
  });
});

describe('spansFromFlags', () => {
  it('merges runs of flagged windows, bridging short gaps when asked', () => {
    const ts = [0, 1, 2, 3, 4, 5, 6, 7];
    const flags = [0, 1, 1, 0, 1, 0, 0, 1];
    expect(spansFromFlags(ts, flags)).toEqual([
      { start: 1, end: 2, first: 1, last: 2 },
      { start: 4, end: 4, first: 4, last: 4 },
      { start: 7, end: 7, first: 7, last: 7 },
    ]);
    expect(spansFromFlags(ts, flags, 1).map((s) => [s.start, s.end])).toEqual([
      [1, 4],
      [7, 7],
    ]);
  });
});
