/**
 * The adaptation gate's bar check (train/adapt/acceptance.ts): a refitted threshold may follow the adapted model's own
 * change of scale, not rise beyond it; a kept threshold is not a rise.
 */
import { describe, expect, it } from 'vitest';
import { barRise, refusalReasons, type Validation } from '../../train/adapt/acceptance.ts';

const bounds = { minGain: 0.1, maxRise: 0.25, maxBarRise: 2, maxChange: 0.5, canaryShare: 0.5 };
const validation = (threshold: Validation['threshold']): Validation => ({
  recentError: { before: 1, after: 0.5 }, originalError: { before: 1, after: 1, maxRise: 0.25 }, recentFlagged: { before: 0.5, after: 0 }, threshold, canaries: [],
});

describe('the bar check of vigil adapt', () => {
  it('measures each bar against its model\'s median score on the original validation windows', () => {
    // The probe's: 4.55 -> 78.2 while the median went 2.00 -> 2.65: 13x as lenient.
    expect(barRise({ before: 4.55, after: 78.2, typical: { before: 2, after: 2.65 } })).toBeCloseTo(12.97, 2);
    // Scores twice as large, a bar twice as high: the same bar.
    expect(barRise({ before: 4, after: 8, typical: { before: 1, after: 2 } })).toBe(1);
    // Lineages written before it, or no score to measure against: nothing to say.
    expect(barRise({ before: 4, after: 8 })).toBeUndefined();
    expect(barRise({ before: 4, after: 8, typical: { before: 0, after: 1 } })).toBeUndefined();
  });

  it('refuses a rise past --max-bar-rise, not one within it, nor a kept threshold whose model\'s scale changed', () => {
    expect(refusalReasons(validation({ before: 4.55, after: 78.2, typical: { before: 2, after: 2.65 }, maxRise: 2 }), 0.1, bounds).join()).toMatch(/the threshold rose beyond the model's own change of scale: 4\.55 -> 78\.2 .* a bar 13\.0x as lenient .*\(at most 2x\)/);
    expect(refusalReasons(validation({ before: 4.55, after: 6.59, typical: { before: 2, after: 2.44 }, maxRise: 2 }), 0.1, bounds)).toEqual([]);
    // --threshold keep: the serving bar by design, however the adapted model's scores moved.
    expect(refusalReasons(validation({ before: 3.08, after: 3.08, typical: { before: 1, after: 0.45 }, maxRise: 2 }), 0.1, bounds)).toEqual([]);
  });
});
