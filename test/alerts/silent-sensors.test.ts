/** A sensor that stops reporting is signalled once, after its usual interval times the factor, and back at its next reading. */
import { describe, expect, it } from 'vitest';
import { MIN_GAPS, SilentSensors } from '../../runtime/alerts/silent-sensors.ts';

const every = (w: SilentSensors, sensor: string, from: number, step: number, n: number) => {
  for (let i = 0; i < n; i++) expect(w.heard(sensor, from + i * step)).toBeUndefined();
  return from + (n - 1) * step;
};

describe('silent sensors', () => {
  it('signals a regular sensor quiet for minMs once, and its next reading as back, with how long it was quiet', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const last = every(w, 'p1', 0, 1000, 20);
    expect(w.check(last + 59_000)).toEqual([]);
    expect(w.check(last + 60_000)).toEqual([{ type: 'silent', sensor: 'p1', lastHeardAt: last, quietMs: 60_000, usualMs: 1000 }]);
    expect(w.silent).toBe(1);
    expect(w.check(last + 120_000)).toEqual([]);
    expect(w.heard('p1', last + 90_000)).toEqual({ type: 'resumed', sensor: 'p1', lastHeardAt: last, quietMs: 90_000, usualMs: 1000 });
    expect(w.silent).toBe(0);
    // The silence did not enter its usual interval: quiet again, it is signalled on the same terms.
    every(w, 'p1', last + 91_000, 1000, 2);
    expect(w.check(last + 92_000 + 60_000)).toHaveLength(1);
  });

  it('waits factor x the usual interval where that is longer, and judges no sensor before MIN_GAPS intervals', () => {
    const w = new SilentSensors({ factor: 10, minMs: 60_000, maxSensors: 100 });
    const slow = every(w, 'slow', 0, 600_000, 12);
    expect(w.check(slow + 5_999_000)).toEqual([]);
    expect(w.check(slow + 6_000_000).map((e) => e.sensor)).toEqual(['slow']);
    const young = every(w, 'young', 0, 1000, MIN_GAPS);
    expect(w.check(young + 3_600_000).map((e) => e.sensor)).toEqual([]);
    w.heard('young', young + 3_600_000 + 1000);
    // Its 8th interval was the hour: now it has a usual interval (the hour weighs a tenth) and is judged.
    expect(w.check(young + 3_600_000 + 1000 + 60_000 * 10 * 40).map((e) => e.sensor)).toEqual(['young']);
  });

  it('forgets the least recently heard sensor beyond maxSensors, and counts the silent ones afresh', () => {
    const w = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 2 });
    every(w, 'a', 0, 100, 10);
    every(w, 'b', 0, 100, 10);
    expect(w.check(5000).map((e) => e.sensor)).toEqual(['a', 'b']);
    expect(w.silent).toBe(2);
    w.heard('c', 6000);
    expect(w.check(7000)).toEqual([]);
    expect(w.silent).toBe(1);
  });
});
