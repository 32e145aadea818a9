import { describe, expect, it } from 'vitest';
import type { CostMatrix, NabCorpus, NabFile } from '../../evaluate/nab/corpus.ts';
import { scoreDetector, scoreProfile } from '../../evaluate/nab/score.ts';
import { mulberry32 as rng } from '../../runtime/util/prng.ts';
import {
  probationaryLength,
  scaledSigmoid,
  scoreAtThreshold,
  scorableWindows,
  sweepRows,
  sweepThresholds,
} from '../../evaluate/nab/sweep.ts';

const STANDARD: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 };

/** A file of `n` rows, one per minute, with the given windows (inclusive row ranges). */
function file(path: string, n: number, windows: Array<[number, number]>): NabFile {
  const timestamps = Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * 60_000);
  return { path, rawTimestamps: [...timestamps].map((t) => new Date(t).toISOString()), timestamps, values: new Float64Array(n), windows };
}

function corpusOf(files: NabFile[]): NabCorpus {
  return { root: '<memory>', files, profiles: { standard: STANDARD } };
}


describe('NAB scaled sigmoid and probation', () => {
  it('matches the values documented by NAB', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(scaledSigmoid(10)).toBe(-1);
  });
  it('probation is floor(15%) capped at 750 rows', () => {
    expect(probationaryLength(1000)).toBe(150);
    expect(probationaryLength(1001)).toBe(150);
    expect(probationaryLength(22695)).toBe(750);
  });
});

describe('NAB window rules', () => {
  const f = file('a/x.csv', 200, [[100, 119]]);
  const c = corpusOf([f]);
  const at = (rows: number[], value = 1): Float64Array => {
    const s = new Float64Array(200);
    for (const r of rows) s[r] = value;
    return s;
  };
  it('a detection on the first row of a window earns exactly tpWeight', () => {
    const r = scoreProfile(c, new Map([[f.path, at([100])]]), 'standard', STANDARD);
    expect(r.raw).toBeCloseTo(1, 12);
    expect(r.normalized).toBeCloseTo(100, 10);
  });
  it('only the earliest detection in a window counts, later ones neither add nor cost', () => {
    const one = scoreProfile(c, new Map([[f.path, at([105])]]), 'standard', STANDARD).raw;
    const many = scoreProfile(c, new Map([[f.path, at([105, 106, 110, 119])]]), 'standard', STANDARD).raw;
    expect(many).toBeCloseTo(one, 12);
    const later = scoreProfile(c, new Map([[f.path, at([110])]]), 'standard', STANDARD).raw;
    expect(later).toBeLessThan(one);
    expect(later).toBeGreaterThan(0);
  });
  it('FPs before any window cost the full fpWeight; after a window they cost less the closer they are', () => {
    const cost = (row: number): number => {
      const rows = sweepRows(f, at([row]), STANDARD);
      return scoreAtThreshold(rows, scorableWindows(f), STANDARD, 1).score + STANDARD.fnWeight;
    };
    expect(cost(50)).toBeCloseTo(-0.11, 12);
    expect(cost(121)).toBeGreaterThan(cost(130));
    expect(cost(121)).toBeLessThan(0);
    expect(cost(199)).toBeCloseTo(0.11 * scaledSigmoid((199 - 119) / 19), 12);
  });
  it('detections in the probationary period are ignored', () => {
    const r = scoreProfile(c, new Map([[f.path, at([0, 5, 29])]]), 'standard', STANDARD);
    expect(r.raw).toBe(-1);
    expect(r.normalized).toBe(0);
  });
  it('the null detector normalises to 0 and missing every window is the null score', () => {
    const r = scoreDetector(c, new Map([[f.path, new Float64Array(200)]]), 'null');
    expect(r.profiles.standard.normalized).toBe(0);
    expect(r.profiles.standard.threshold).toBeNull();
  });
});

describe('NAB threshold sweep', () => {
  it('the incremental sweep equals brute-force scoring at every threshold (seeded random corpora)', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const files = [0, 1, 2].map((k) => {
        const n = 100 + Math.floor(rand() * 200);
        const s = 20 + Math.floor(rand() * (n - 60));
        return file(`c/f${k}.csv`, n, rand() < 0.2 ? [] : [[s, s + 5 + Math.floor(rand() * 20)]]);
      });
      let base = 0;
      const rows = [];
      const windows: number[] = [];
      for (const f of files) {
        // Coarse scores so ties are common: ties must be resolved as ">= threshold".
        const scores = Float64Array.from({ length: f.timestamps.length }, () => Math.round(rand() * 20) / 20);
        rows.push(...sweepRows(f, scores, STANDARD, base));
        windows.push(...scorableWindows(f, base));
        base += f.windows.length;
      }
      for (const s of sweepThresholds(rows, windows, STANDARD)) {
        const b = scoreAtThreshold(rows, windows, STANDARD, s.threshold);
        expect(s.score).toBeCloseTo(b.score, 9);
        expect([s.tp, s.fp, s.tn, s.fn, s.windowsHit]).toEqual([b.tp, b.fp, b.tn, b.fn, b.windowsHit]);
      }
    }
  });
  it('rejects a result with the wrong number of rows, saying what was expected', () => {
    const f = file('a/x.csv', 50, []);
    expect(() => sweepRows(f, new Float64Array(49), STANDARD)).toThrow(/49 anomaly scores for 50 data rows/);
  });
});
