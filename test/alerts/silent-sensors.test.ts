/** A sensor that stops reporting is signalled once, after its usual interval times the factor, and back at its next reading. */
import { describe, expect, it } from 'vitest';
import { MIN_GAPS, SilentSensors } from '../../runtime/alerts/silent-sensors.ts';

/** Wall clock of monotonic time t in these tests (the two clocks differ, as they do live). */
const WALL = 1.7e12;
const every = (w: SilentSensors, sensor: string, from: number, step: number, n: number) => {
  for (let i = 0; i < n; i++) expect(w.heard(sensor, from + i * step, WALL + from + i * step)).toBeUndefined();
  return from + (n - 1) * step;
};

describe('silent sensors', () => {
  it('signals a regular sensor quiet for minMs once, and its next reading as back, with how long it was quiet', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const last = every(w, 'p1', 0, 1000, 20);
    expect(w.check(last + 59_000)).toEqual([]);
    expect(w.check(last + 60_000)).toEqual([{ type: 'silent', sensor: 'p1', lastHeardAt: WALL + last, quietMs: 60_000, usualMs: 1000 }]);
    expect(w.silent).toBe(1);
    expect(w.check(last + 120_000)).toEqual([]);
    expect(w.heard('p1', last + 90_000, WALL + last + 90_000)).toEqual({ type: 'resumed', sensor: 'p1', lastHeardAt: WALL + last, quietMs: 90_000, usualMs: 1000 });
    expect(w.silent).toBe(0);
  });

  it('a device that says it went offline (a Sparkplug death) is silent at once, with the cause; back at its next reading', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const last = every(w, 'p1', 0, 1000, 3); // too few intervals to be judged by its quiet time yet
    expect(w.offline('p1', last + 500, 'DDEATH')).toEqual({ type: 'silent', sensor: 'p1', lastHeardAt: WALL + last, quietMs: 500, usualMs: 1000, cause: 'DDEATH' });
    expect(w.silent).toBe(1);
    expect(w.offline('p1', last + 600, 'NDEATH')).toBeUndefined(); // already silent
    expect(w.check(last + 120_000)).toEqual([]); // not signalled a second time
    expect(w.offline('never-heard', last, 'DDEATH')).toBeUndefined();
    expect(w.heard('p1', last + 5000, WALL + last + 5000)).toMatchObject({ type: 'resumed', sensor: 'p1', quietMs: 5000 });
  });

  it('the whole feed is silent when every sensor it can judge is silent and none at all was heard for minMs (a probe and a review)', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const last = every(w, 'p1', 0, 1000, 20);
    // A sensor heard once: no pace, never silent itself.
    w.heard('rare', last, WALL + last);
    w.check(last + 60_000);
    expect(w.feedSilent(last + 60_000)).toBe(true);
    // New sensors reporting (each too young to judge) say the feed lives.
    for (let k = 0; k < 3; k++) w.heard(`new-${k}`, last + 70_000, WALL + last + 70_000);
    w.check(last + 80_000);
    expect(w.feedSilent(last + 80_000)).toBe(false);
    expect(w.feedSilent(last + 130_000)).toBe(true);
    // One judged sensor back: not the whole feed.
    w.heard('p1', last + 140_000, WALL + last + 140_000);
    expect(w.feedSilent(last + 250_000)).toBe(false);
  });

  it('waits factor x the usual interval where that is longer, and judges no sensor before MIN_GAPS intervals', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const slow = every(w, 'slow', 0, 600_000, 12);
    expect(w.check(slow + 5_999_000)).toEqual([]);
    expect(w.check(slow + 6_000_000).map((e) => e.sensor)).toEqual(['slow']);
    const young = every(w, 'young', 0, 1000, MIN_GAPS);
    expect(w.check(young + 3_600_000)).toEqual([]);
  });

  it('takes readings arriving together as one arrival: a sensor sending batches is judged by the time between batches', () => {
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 100 });
    // 30 lines every 2 minutes (one message of several CSV lines, or a gateway flushing its buffer).
    let t = 0;
    for (let batch = 0; batch < 12; batch++, t += 120_000) for (let k = 0; k < 30; k++) w.heard('gw', t + k, WALL + t + k);
    const last = t - 120_000 + 29;
    expect(w.check(last + 10 * 120_000 - 1000)).toEqual([]);
    expect(w.check(last + 10 * 120_000 + 1000)).toHaveLength(1);
  });

  it('a sensor faster than one arrival per SAME_ARRIVAL_MS still learns its pace and is said silent (a probe: a 25 Hz sensor never was)', () => {
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 100 });
    const last = every(w, 'fast', 0, 40, 500);
    expect(w.check(last + 900)).toEqual([]);
    expect(w.check(last + 25_000)).toEqual([{ type: 'silent', sensor: 'fast', lastHeardAt: WALL + last, quietMs: 25_000, usualMs: 80 }]);
  });

  it('a sensor that slowed down for good is soon judged by its new pace, not signalled at every reading', () => {
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 100 });
    let t = every(w, 'p', 0, 100, 20);
    let signals = 0;
    // From now on it reports every 5 s, 50 x its old pace.
    for (let i = 0; i < 60; i++) {
      t += 5000;
      signals += w.check(t - 1).length;
      w.heard('p', t, WALL + t);
    }
    expect(signals).toBeGreaterThan(0);
    expect(signals).toBeLessThan(20);
    // Its usual interval has followed: quiet for less than 10 x 5 s, it is not silent.
    expect(w.check(t + 40_000)).toEqual([]);
  });

  it('after vigil could not hear (no broker), quiet time counts from when it can again', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const last = every(w, 'p', 0, 1000, 20);
    w.restart(last + 300_000);
    expect(w.check(last + 300_000 + 59_000)).toEqual([]);
    expect(w.check(last + 300_000 + 60_000)).toHaveLength(1);
    // Nor does the outage enter the pace it learns (a review: a 2 h outage taught a 1/min sensor 13 min).
    const q = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const end = every(q, 'm', 0, 60_000, 20);
    q.restart(end + 7_200_000);
    q.heard('m', end + 7_200_000 + 60_000, WALL + end + 7_200_000 + 60_000);
    expect(q.stateOf('m')!.usualMs).toBeCloseTo(60_000, 0);
  });

  it('is saved and taken back: a silent sensor stays silent and is said back, the others count quiet time from the restart', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const last = every(w, 'gone', 0, 1000, 20);
    every(w, 'alive', 0, 1000, 20);
    w.heard('alive', last + 50_000, WALL + last + 50_000);
    expect(w.check(last + 60_000).map((e) => e.sensor)).toEqual(['gone']);
    const saved = JSON.parse(JSON.stringify({ ...w.snapshot(), bad: { usualMs: 'x' } }));
    const back = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 }, saved, 5_000);
    expect(back.restoreFailures.map((f) => f.sensor)).toEqual(['bad']);
    expect(back.silent).toBe(1);
    expect(back.check(5_000 + 59_000)).toEqual([]);
    expect(back.check(5_000 + 60_000).map((e) => e.sensor)).toEqual(['alive']);
    // Its quiet time runs from its last reading before the restart, by the wall clock (a probe read the time since
    // the restart: 5,834 ms for a sensor quiet for 100 s).
    expect(back.heard('gone', 70_000, WALL + 999_000)).toMatchObject({ type: 'resumed', sensor: 'gone', lastHeardAt: WALL + last, usualMs: 1000, quietMs: 999_000 - last });
  });

  it("keeps a sensor signalled silent while new sensors take the room of those heard, and says it back at its next reading (a review: forgotten for room, its resumed never came and its silence stayed up for good)", () => {
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 2 });
    every(w, 'a', 0, 100, 10);
    every(w, 'b', 0, 100, 10);
    expect(w.check(5000).map((e) => e.sensor)).toEqual(['a', 'b']);
    // New sensors fill the room of those heard: the least recently heard of them is forgotten, never a silent one.
    for (const [i, sensor] of ['c', 'd', 'e'].entries()) w.heard(sensor, 6000 + i, WALL + 6000 + i);
    expect(w.knows('c')).toBe(false);
    expect(w.check(7000)).toEqual([]);
    expect(w.silent).toBe(2);
    expect(w.watched).toBe(4);
    expect(w.silentSensors().map((s) => s.sensor)).toEqual(['a', 'b']);
    expect(w.snapshot().b).toMatchObject({ silent: true, usualMs: 100 });
    expect(w.heard('a', 8000, WALL + 8000)).toEqual({ type: 'resumed', sensor: 'a', lastHeardAt: WALL + 900, quietMs: 7100, usualMs: 100 });
    expect(w.silent).toBe(1);
    expect(w.knows('d')).toBe(false); // a took the room of the least recently heard
    expect(w.heard('b', 8100, WALL + 8100)).toMatchObject({ type: 'resumed', sensor: 'b' });
  });

  it('beyond maxSensors silent at once, ends the silence of the one signalled first, a resumed marked unresolved "evicted" at the next check, so none stays up for good', () => {
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 2 });
    every(w, 'a', 0, 100, 10);
    every(w, 'b', 0, 100, 10);
    expect(w.check(5000).map((e) => e.sensor)).toEqual(['a', 'b']);
    every(w, 'c', 5000, 100, 10);
    expect(w.check(10_000)).toEqual([
      { type: 'silent', sensor: 'c', lastHeardAt: WALL + 5900, quietMs: 4100, usualMs: 100 },
      { type: 'resumed', sensor: 'a', lastHeardAt: WALL + 900, quietMs: 9100, usualMs: 100, unresolved: 'evicted' },
    ]);
    expect(w.silent).toBe(2);
    expect(w.knows('a')).toBe(false);
    expect(w.check(11_000)).toEqual([]); // said once
    // A device's death certificate makes room the same way; the end is said by the next check.
    every(w, 'd', 10_000, 100, 3);
    expect(w.offline('d', 10_500, 'DDEATH')).toMatchObject({ type: 'silent', sensor: 'd' });
    expect(w.check(10_600)).toEqual([{ type: 'resumed', sensor: 'b', lastHeardAt: WALL + 900, quietMs: 9700, usualMs: 100, unresolved: 'evicted' }]);
    expect(w.silentSensors().map((s) => s.sensor)).toEqual(['c', 'd']);
    // Heard again after its silence was ended, a forgotten sensor is a new one: no second resumed.
    expect(w.heard('a', 12_000, WALL + 12_000)).toBeUndefined();
  });

  it('taken back with more sensors silent than maxSensors, ends the silence of the first saved at the first check, its quiet time by the wall clock', () => {
    const saved = { x: { usualMs: 1000, gaps: 20, silent: true, lastHeardAt: WALL }, y: { usualMs: 1000, gaps: 20, silent: true, lastHeardAt: WALL + 1000 }, z: { usualMs: 1000, gaps: 20, silent: true, lastHeardAt: WALL + 2000 } };
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 2 }, saved, 500);
    expect(w.silent).toBe(2);
    expect(w.check(600, WALL + 100_000)).toEqual([{ type: 'resumed', sensor: 'x', lastHeardAt: WALL, quietMs: 100_000, usualMs: 1000, unresolved: 'evicted' }]);
    expect(w.heard('y', 700, WALL + 100_100)).toMatchObject({ type: 'resumed', sensor: 'y', quietMs: 99_100 });
  });
});
