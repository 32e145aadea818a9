import { describe, expect, it } from 'vitest';
import { GAP_FACTOR, gapsNote, medianStepMs, timestampGaps } from '../../runtime/data/sampling.ts';

describe('sampling gaps', () => {
  it('finds steps longer than GAP_FACTOR x the usual one, and the longest', () => {
    const t = [0, 1000, 2000, 3000, 9000, 10_000, 11_000, 40_000, 41_000, 42_000];
    expect(medianStepMs(t)).toBe(1000);
    expect(timestampGaps(t)).toEqual({ count: 2, usualMs: 1000, largestMs: 29_000, largestRow: 7 });
    // A step of exactly GAP_FACTOR x is not a gap; one just over is.
    expect(timestampGaps([0, 1000, 2000, 2000 + GAP_FACTOR * 1000, 8000 + GAP_FACTOR * 1000])).toBeUndefined();
    expect(timestampGaps([0, 1000, 2000, 2001 + GAP_FACTOR * 1000])?.count).toBe(1);
  });

  it('says nothing for regular, short or constant series', () => {
    expect(timestampGaps(Array.from({ length: 100 }, (_, i) => i * 500))).toBeUndefined();
    expect(timestampGaps([0, 1000])).toBeUndefined();
    expect(timestampGaps([5, 5, 5, 5])).toBeUndefined();
  });

  it('words the note with readable durations and the data row after the longest gap', () => {
    const g = timestampGaps([0, 1000, 2000, 3000, 9000, 10_000, 11_000, 40_000, 41_000, 42_000])!;
    expect(gapsNote('f.csv', g, 'windows span them')).toBe('f.csv: 2 gap(s) in the timestamps longer than 5x the usual step of 1s (the longest 29s, before data row 8); windows span them');
    expect(gapsNote('f.csv', { count: 1, usualMs: 100, largestMs: 5_400_000, largestRow: 3 }, 'x')).toMatch(/usual step of 100 ms \(the longest 1h 30m,/);
  });
});
