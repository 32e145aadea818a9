import { describe, expect, it } from 'vitest';
import { GAP_FACTOR, gapsNote, medianStepMs, timestampGaps } from '../../runtime/data/sampling.ts';

const T0 = Date.UTC(2024, 0, 1);

describe('sampling gaps', () => {
  it('finds steps longer than GAP_FACTOR x the usual one, and the longest with its two sides', () => {
    const t = [0, 1000, 2000, 3000, 9000, 10_000, 11_000, 40_000, 41_000, 42_000].map((x) => T0 + x);
    expect(medianStepMs(t)).toBe(1000);
    expect(timestampGaps(t)).toEqual({ count: 2, factor: GAP_FACTOR, usualMs: 1000, largestMs: 29_000, largestFrom: T0 + 11_000, largestTo: T0 + 40_000 });
    // A step of exactly GAP_FACTOR x the usual one is not a gap; one just over it is.
    const regular = [0, 1000, 2000, 3000, 4000, 5000];
    expect(timestampGaps([...regular, 5000 + GAP_FACTOR * 1000])).toBeUndefined();
    expect(timestampGaps([...regular, 5001 + GAP_FACTOR * 1000])?.count).toBe(1);
    expect(timestampGaps([...regular, 5001 + 3 * 1000], 3)?.factor).toBe(3);
  });

  it('repeated timestamps are not steps: they neither hide a gap nor make ordinary steps look like gaps', () => {
    const doubled = [0, 0, 1000, 1000, 2000, 2000, 3000, 3000, 103_000, 103_000, 104_000, 104_000];
    expect(timestampGaps(doubled)).toMatchObject({ count: 1, usualMs: 1000, largestMs: 100_000 });
    const someRepeats = [0, 0, 0, 1000, 1000, 2000, 3000, 4000, 5000, 6000];
    expect(timestampGaps(someRepeats)).toBeUndefined();
  });

  it('says nothing for regular, short or constant series', () => {
    expect(timestampGaps(Array.from({ length: 100 }, (_, i) => i * 500))).toBeUndefined();
    expect(timestampGaps([0, 1000])).toBeUndefined();
    expect(timestampGaps([5, 5, 5, 5])).toBeUndefined();
  });

  it('says when a gap is one step and an hour long, as local time without an offset across a spring-forward change (a probe: read as an hour lost)', () => {
    const minutes = (from: number, n: number) => Array.from({ length: n }, (_, i) => T0 + (from + i) * 60_000);
    const spring = [...minutes(0, 120), ...minutes(180, 60)];
    const g = timestampGaps(spring)!;
    expect(g).toMatchObject({ count: 1, hourSkips: 1, largestMs: 61 * 60_000 });
    expect(gapsNote('f.csv', g, 'x')).toContain('01:59 to 2024-01-01 03:00); it is one usual step and an hour long: local time without an offset across a spring-forward clock change?');
    // Another length of outage says nothing of clocks.
    const outage = timestampGaps([...minutes(0, 120), ...minutes(200, 60)])!;
    expect(outage.hourSkips).toBeUndefined();
    expect(gapsNote('f.csv', outage, 'x')).not.toContain('clock');
  });

  it('words the note with readable durations and the times either side of the longest gap', () => {
    const g = timestampGaps([0, 1000, 2000, 3000, 9000, 10_000, 11_000, 40_000, 41_000, 42_000].map((x) => T0 + x))!;
    expect(gapsNote('f.csv', g, 'windows span them')).toBe('f.csv: 2 gap(s) in the timestamps longer than 5x the usual step of 1s (the longest 29s, 2024-01-01 00:00:11 to 2024-01-01 00:00:40); windows span them');
    expect(gapsNote('f.csv', { count: 1, factor: 5, usualMs: 100, largestMs: 5_400_000, largestFrom: T0, largestTo: T0 + 5_400_000 }, 'x')).toMatch(/usual step of 100 ms \(the longest 1h 30m, 2024-01-01 00:00 to 2024-01-01 01:30\)/);
    // Both ends alike when one is a whole minute (not `00:00:31 to 00:01`), as vigil alerts prints a window's.
    expect(gapsNote('f.csv', { count: 1, factor: 5, usualMs: 1000, largestMs: 29_000, largestFrom: T0 + 31_000, largestTo: T0 + 60_000 }, 'x')).toMatch(/\(the longest 29s, 2024-01-01 00:00:31 to 2024-01-01 00:01:00\)/);
  });
});
