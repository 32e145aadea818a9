/**
 * /health's drop and missing shares (runtime/ops/drops.ts) with hysteresis: a probe saw a missing share hovering at
 * the 1 % bound (0.0099-0.0101) flip /health between ok and degraded 14 times in 5 minutes.
 */
import { describe, expect, it } from 'vitest';
import { createCounters } from '../../runtime/stream/counters.ts';
import { watchDrops } from '../../runtime/ops/drops.ts';

describe('drop health', () => {
  it('degrades past the bound and recovers only under 0.8 of it', () => {
    let now = 0;
    const clock = { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} };
    const counters = createCounters();
    const watch = watchDrops(counters, { maxDropRate: 0.01, dropWindowMs: 60_000 }, { warn: () => {} }, clock);
    const at = (t: number, readings: number, missing: number) => {
      now = t;
      counters.readings = readings;
      counters.readingsMissing = missing;
      return watch.health().degraded;
    };
    expect(at(1000, 10_000, 99)).toBe(false); // 0.98 %
    expect(at(2000, 10_000, 102)).toBe(true); // 1.01 %: degraded
    expect(at(3000, 10_000, 99)).toBe(true); // 0.98 %: still, under the bound but over 0.8 of it
    expect(at(4000, 10_000, 81)).toBe(true);
    expect(at(5000, 10_000, 79)).toBe(false); // 0.78 %: recovered
    expect(at(6000, 10_000, 99)).toBe(false); // 0.98 %: ok until it passes the bound again
  });
});
