/** Fit every baseline on one training set and score test rows with each: what a bench or `vigil evaluate labels --baselines` calls. */
import { flagsOf, type FittedBaseline, type Rows } from './baseline.ts';
import { fitPca, type PcaOptions } from './pca.ts';
import { fitZScore, type ZScoreOptions } from './zscore.ts';

/** Names of the baselines, in report order. */
export const BASELINES = ['zscore', 'pca'] as const;
/** One baseline's name. */
export type BaselineName = (typeof BASELINES)[number];

/** Options of each baseline (their defaults live beside each one). */
export interface BaselineOptions {
  zscore?: Partial<ZScoreOptions>;
  pca?: Partial<PcaOptions>;
}

/** Fit the named baselines (default: all) on normal rows. */
export function fitBaselines(train: Rows, options: BaselineOptions = {}, names: readonly BaselineName[] = BASELINES): FittedBaseline[] {
  return names.map((n) => (n === 'zscore' ? fitZScore(train, options.zscore) : fitPca(train, options.pca)));
}

/** One baseline's verdict on test rows. */
export interface BaselineRun {
  name: string;
  description: string;
  /** Normalised scores (limit 1). */
  scores: Float64Array;
  /** 1 where the score exceeds the limit. */
  alert: Uint8Array;
}

/** Score `test` with every fitted baseline. */
export function runBaselines(fitted: FittedBaseline[], test: Rows): BaselineRun[] {
  return fitted.map((b) => {
    const scores = b.score(test);
    return { name: b.name, description: b.description, scores, alert: flagsOf(scores) };
  });
}
