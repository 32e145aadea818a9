/**
 * What a card's score is, as plots and reports name it: a Mahalanobis distance is no reconstruction error (a probe read
 * "reconstruction error" on one). Browser-safe: the dashboard's drop page names its plots with it too.
 */
import type { ModelCard } from './card.ts';

/** The score's name for a plot legend: `anomaly score (...)` or `reconstruction error (...)`. */
export function scoreLabelOf(card: Pick<ModelCard, 'scoring'>): string {
  switch (card.scoring.error) {
    case 'mahalanobis':
      return 'anomaly score (Mahalanobis)';
    case 'recon-prob':
      return 'anomaly score (VAE reconstruction probability)';
    default:
      return `reconstruction error (${card.scoring.error})`;
  }
}
