/**
 * Warm start for adaptive thresholds from the model card: the reconstruction-error statistics measured at
 * training time (validation windows when present, since the model never fitted them, else training windows)
 * and the static calibration. Adaptive kinds decide with these until they have a baseline of their own.
 */
import type { ModelCard } from '../model/card.ts';

/** The parts of a model card a threshold may read. */
export type CardLike = Pick<ModelCard, 'errorStats' | 'threshold'>;

/** Error statistics an adaptive threshold can start from. */
export interface Seed {
  /** Static threshold calibrated on training errors: the level used until a kind has its own baseline. */
  level: number;
  mean: number;
  std: number;
  median: number;
  /** Median absolute deviation (unscaled). */
  mad: number;
  /** Number of windows the statistics summarise. */
  count: number;
}

/** Interpolated quantile from a card's `{ "0.99": x }` table, or undefined when q lies outside it. */
export function cardQuantile(quantiles: Record<string, number>, q: number): number | undefined {
  const pts = Object.entries(quantiles)
    .map(([k, v]) => [Number(k), v] as const)
    .filter(([k, v]) => Number.isFinite(k) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < pts.length; i++) {
    if (pts[i][0] === q) return pts[i][1];
    if (i > 0 && pts[i - 1][0] < q && q < pts[i][0]) {
      const f = (q - pts[i - 1][0]) / (pts[i][0] - pts[i - 1][0]);
      return pts[i - 1][1] + f * (pts[i][1] - pts[i - 1][1]);
    }
  }
  return undefined;
}

/** Seed statistics from a card, or undefined without a card (the kind then warms up on live scores). */
export function seedFromCard(card: CardLike | undefined): Seed | undefined {
  if (!card) return undefined;
  const s = card.errorStats.validation && card.errorStats.validation.count > 0 ? card.errorStats.validation : card.errorStats.train;
  const level = card.threshold.static.value;
  const median = cardQuantile(s.quantiles, 0.5) ?? s.mean;
  const q25 = cardQuantile(s.quantiles, 0.25);
  const q75 = cardQuantile(s.quantiles, 0.75);
  // Half the interquartile range equals the MAD for symmetric data; 0.6745 sigma is the normal-theory fallback.
  const mad = q25 !== undefined && q75 !== undefined ? (q75 - q25) / 2 : 0.6745 * s.std;
  return { level, mean: s.mean, std: s.std, median, mad, count: s.count };
}

/**
 * The card's level rescaled to the live error level: live errors of a deployed autoencoder usually run
 * above its training errors, and the static level alone would then flag all through a long calibration.
 * Used by kinds whose own baseline takes long to build (SPOT, DSPOT) once `minLive` scores are in.
 */
export function provisionalLevel(seed: Seed | undefined, liveMean: number, liveCount: number, minLive = 50): number {
  if (!seed) return Infinity;
  if (liveCount < minLive || !(seed.mean > 0) || !(liveMean > 0)) return seed.level;
  return seed.level * (liveMean / seed.mean);
}
