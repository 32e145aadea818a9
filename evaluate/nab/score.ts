/**
 * Score a detector over a NAB corpus: per profile, sweep one corpus-wide threshold to the best raw score,
 * break it down per file, and normalise so the null detector scores 0 and the perfect detector 100
 * (numenta/NAB `runner.normalize`: 100 * (raw - null) / (perfect - null), perfect = windows x tpWeight).
 */
import type { CostMatrix, NabCorpus } from './corpus.ts';
import { scorableWindows, scoreAtThreshold, sweepRows, sweepThresholds, type SweepRow, type ThresholdScore } from './sweep.ts';

/** Anomaly scores per data file, keyed by the corpus-relative path. */
export type DetectorScores = Map<string, ArrayLike<number>>;

/** One file's share of a profile's result at the chosen threshold. */
export interface FileScore {
  path: string;
  score: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  windows: number;
  windowsHit: number;
}

/** A detector's result under one cost profile. */
export interface ProfileResult {
  profile: string;
  cost: CostMatrix;
  /** Best corpus threshold; null when the best is to detect nothing. */
  threshold: number | null;
  raw: number;
  nullScore: number;
  perfectScore: number;
  normalized: number;
  /** Row counts (tp/fn: rows inside windows) and windows with at least one detection. */
  counts: { tp: number; fp: number; tn: number; fn: number; windowsHit: number };
  files: FileScore[];
}

/** All profiles for one detector. */
export interface NabResult {
  detector: string;
  files: number;
  windows: number;
  profiles: Record<string, ProfileResult>;
}

interface Prepared {
  rows: SweepRow[];
  windows: number[];
  perFile: Array<{ path: string; rows: SweepRow[]; windows: number[] }>;
}

function prepare(corpus: NabCorpus, scores: DetectorScores, cost: CostMatrix): Prepared {
  const rows: SweepRow[] = [];
  const windows: number[] = [];
  const perFile: Prepared['perFile'] = [];
  let base = 0;
  for (const f of corpus.files) {
    const s = scores.get(f.path);
    if (!s) throw new Error(`no results for ${f.path}; a NAB result needs one file per data file`);
    const r = sweepRows(f, s, cost, base);
    const w = scorableWindows(f, base);
    for (const x of r) rows.push(x);
    windows.push(...w);
    perFile.push({ path: f.path, rows: r, windows: w });
    base += f.windows.length;
  }
  return { rows, windows, perFile };
}

/** Pick the best entry of a sweep; ties go to the higher threshold, as NAB's stable sort does. */
function bestOf(sweep: ThresholdScore[]): ThresholdScore {
  let best = sweep[0];
  for (const s of sweep) if (s.score > best.score) best = s;
  return best;
}

/** Best raw score of a detector under one profile, without the per-file breakdown. */
export function optimizeThreshold(corpus: NabCorpus, scores: DetectorScores, cost: CostMatrix): ThresholdScore {
  const p = prepare(corpus, scores, cost);
  return bestOf(sweepThresholds(p.rows, p.windows, cost));
}

/** Null-detector raw scores per corpus and cost matrix: the same for every detector scored on that corpus. */
const nullCache = new WeakMap<NabCorpus, Map<string, number>>();

/** Best raw score of the null detector (run through the scorer like any detector), memoised per corpus. */
export function nullRawScore(corpus: NabCorpus, cost: CostMatrix): number {
  let byCost = nullCache.get(corpus);
  if (!byCost) nullCache.set(corpus, (byCost = new Map()));
  const key = JSON.stringify(cost);
  let v = byCost.get(key);
  if (v === undefined) byCost.set(key, (v = optimizeThreshold(corpus, nullScores(corpus), cost).score));
  return v;
}

/** Scores of the null detector (never detects) for a corpus: the 0 of the normalised scale. */
export function nullScores(corpus: NabCorpus): DetectorScores {
  return new Map(corpus.files.map((f) => [f.path, new Float64Array(f.timestamps.length)]));
}

/**
 * Score one profile: optimal threshold (or the `fixed` one, e.g. a threshold published with NAB results),
 * per-file breakdown, normalisation.
 */
export function scoreProfile(corpus: NabCorpus, scores: DetectorScores, profile: string, cost: CostMatrix, fixed?: number): ProfileResult {
  const p = prepare(corpus, scores, cost);
  const best = fixed === undefined ? bestOf(sweepThresholds(p.rows, p.windows, cost)) : scoreAtThreshold(p.rows, p.windows, cost, fixed);
  const files = p.perFile.map((f): FileScore => {
    const s = scoreAtThreshold(f.rows, f.windows, cost, best.threshold);
    return { path: f.path, score: s.score, tp: s.tp, fp: s.fp, tn: s.tn, fn: s.fn, windows: f.windows.length, windowsHit: s.windowsHit };
  });
  const nullBest = nullRawScore(corpus, cost);
  const perfect = corpus.files.reduce((n, f) => n + f.windows.length, 0) * cost.tpWeight;
  return {
    profile,
    cost,
    threshold: Number.isFinite(best.threshold) ? best.threshold : null,
    raw: best.score,
    nullScore: nullBest,
    perfectScore: perfect,
    normalized: (100 * (best.score - nullBest)) / (perfect - nullBest),
    counts: { tp: best.tp, fp: best.fp, tn: best.tn, fn: best.fn, windowsHit: best.windowsHit },
    files,
  };
}

/** Score a detector under every profile of the corpus; `thresholds` fixes a profile's threshold instead of optimising it. */
export function scoreDetector(corpus: NabCorpus, scores: DetectorScores, detector: string, thresholds: Record<string, number> = {}): NabResult {
  const profiles = Object.fromEntries(
    Object.entries(corpus.profiles).map(([name, cost]) => [name, scoreProfile(corpus, scores, name, cost, thresholds[name])]),
  );
  return {
    detector,
    files: corpus.files.length,
    windows: corpus.files.reduce((n, f) => n + f.windows.length, 0),
    profiles,
  };
}
