import { describe, expect, it } from 'vitest';
import { nabReportInput } from '../../evaluate/nab/html-report.ts';

describe('NAB report input', () => {
  it('flags rows at or above the profile threshold and maps labelled row windows to times', () => {
    const timestamps = Float64Array.from({ length: 10 }, (_, i) => i * 300_000);
    const corpus = { root: '.', profiles: {}, files: [{ path: 'realX/a.csv', rawTimestamps: [], timestamps, values: Float64Array.from({ length: 10 }, (_, i) => i), windows: [[3, 5]] as Array<[number, number]> }] };
    const scores = new Map([['realX/a.csv', [0, 0.1, 0.2, 0.5, 0.9, 0.1, 0, 0, 0.5, 0]]]);
    const cost = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 };
    const file = { path: 'realX/a.csv', score: 0.8, tp: 1, fp: 1, tn: 7, fn: 1, windows: 1, windowsHit: 1 };
    const profile = { profile: 'standard', cost, threshold: 0.5, raw: 0.8, nullScore: -1, perfectScore: 1, normalized: 90, counts: { tp: 1, fp: 1, tn: 7, fn: 1, windowsHit: 1 }, files: [file] };
    const input = nabReportInput(corpus, scores, { detector: 'x', files: 1, windows: 1, profiles: { standard: profile } });
    const s = input.sensors[0];
    expect(Array.from(s.anomalies)).toEqual([false, false, false, true, true, false, false, false, true, false]);
    expect(s.labels).toEqual([{ start: 900_000, end: 1_500_000 }]);
    expect(s.metrics).toEqual({ 'NAB score': 0.8, 'windows hit': '1/1', 'false positive rows': 1 });
    expect(input.metrics).toEqual({ 'NAB standard': 90 });
    expect(() => nabReportInput(corpus, scores, { detector: 'x', files: 1, windows: 1, profiles: {} })).toThrow(/no profile 'standard'/);
  });
});
