/**
 * Known answer: the published "numenta" (HTM) results of NAB, scored by our scorer, give the published
 * normalised scores. Uses the NAB corpus at ../shared/datasets/nab (present here and in CI).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultNabRoot, loadNabCorpus, type NabCorpus } from '../../evaluate/nab/corpus.ts';
import { readResults, writeResultFile } from '../../evaluate/nab/results.ts';
import { scoreDetector, type DetectorScores } from '../../evaluate/nab/score.ts';

const ROOT = defaultNabRoot();

describe('NAB scorer against the published numenta results', () => {
  let corpus: NabCorpus;
  let scores: DetectorScores;
  beforeAll(() => {
    if (!existsSync(ROOT)) throw new Error(`NAB corpus not found at ${ROOT}; the reference test needs ../shared/datasets/nab`);
    corpus = loadNabCorpus(ROOT);
    scores = readResults(join(ROOT, 'reference', 'numenta'), corpus);
  });

  it('loads 58 files and 116 windows', () => {
    expect(corpus.files).toHaveLength(58);
    expect(corpus.files.reduce((n, f) => n + f.windows.length, 0)).toBe(116);
  });

  it('reproduces 70.1 standard, 63.1-63.2 reward-low-FP, 74.3 reward-low-FN (optimised thresholds)', () => {
    const r = scoreDetector(corpus, scores, 'numenta');
    expect(Math.abs(r.profiles.standard.normalized - 70.1)).toBeLessThan(0.1);
    expect(r.profiles.reward_low_FP_rate.normalized).toBeGreaterThan(63.1 - 0.1);
    expect(r.profiles.reward_low_FP_rate.normalized).toBeLessThan(63.2 + 0.1);
    expect(Math.abs(r.profiles.reward_low_FN_rate.normalized - 74.3)).toBeLessThan(0.1);
    // Null and perfect baselines are what NAB uses: -fnWeight and +tpWeight per window.
    expect(r.profiles.standard.nullScore).toBe(-116);
    expect(r.profiles.reward_low_FN_rate.nullScore).toBe(-232);
    expect(r.profiles.standard.perfectScore).toBe(116);
  });

  it('at the thresholds NAB published, gives NAB\'s raw scores to 1e-9 and the board\'s normalised scores', () => {
    const published = JSON.parse(readFileSync(join(ROOT, 'config', 'thresholds.json'), 'utf8')).numenta as Record<string, { score: number; threshold: number }>;
    const board = JSON.parse(readFileSync(join(ROOT, 'reference', 'final_results.json'), 'utf8')).numenta as Record<string, number>;
    const fixed = Object.fromEntries(Object.entries(published).map(([k, v]) => [k, v.threshold]));
    const r = scoreDetector(corpus, scores, 'numenta', fixed);
    for (const [profile, p] of Object.entries(published)) {
      expect(r.profiles[profile].raw).toBeCloseTo(p.score, 9);
      expect(r.profiles[profile].normalized).toBeCloseTo(board[profile], 6);
    }
  });

  it('written NAB result files read back to the same scores', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nab-'));
    const f = corpus.files.find((x) => x.path.includes('art_daily_jumpsup'))!;
    writeResultFile(dir, 'numenta', f, scores.get(f.path)!);
    const one = loadNabCorpus(ROOT, { only: ['art_daily_jumpsup'] });
    expect(Array.from(readResults(dir, one).get(f.path)!)).toEqual(Array.from(scores.get(f.path)!));
  });

  it('names the missing files and the row mismatch instead of scoring a partial corpus', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nab-bad-'));
    expect(() => readResults(dir, corpus)).toThrow(/no result file for 58 of 58 data files/);
    const one = loadNabCorpus(ROOT, { only: ['art_daily_jumpsup'] });
    mkdirSync(join(dir, 'artificialWithAnomaly'), { recursive: true });
    writeFileSync(join(dir, 'artificialWithAnomaly', 'x_art_daily_jumpsup.csv'), 'timestamp,anomaly_score\n2014-04-01 00:00:00,0.5\n');
    expect(() => readResults(dir, one)).toThrow(/1 rows but data file .* has 4032/);
  });
});
