/** An adapted card that keeps its parent's static threshold, and what the card maps onto that bar. */
import type { ModelCard } from '@vigil/runtime';
import { spreadScale } from '@vigil/runtime/scoring/spread.ts';
import { calibrationScores, FLATLINE_BAR_MULTIPLE, type CardScoring, type ExportedScored } from '../score-exported.ts';
import type { WindowBatch } from '../fit.ts';

/**
 * The serving model's static threshold (and the level residual tracking learns under) for the adapted card: a
 * mahalanobis score is normalised by the refitted residual covariance, so the bar carries over, while the reservoir's
 * windows, selected for scoring under half of it, cannot calibrate one. bench/adapt-drift.ts: refitted on them (and
 * the original validation windows), the bar moved from 3.08 to anywhere in 2.59-3.37 between adaptations, and one
 * adapted model flagged 4.0 % of windows against 0.6 % before its swap (rolled back).
 * `scored` (the windows and the child's outputs `cs` was computed from): with the spread, whose scale follows the
 * bar, every window's score is computed again as the card will now score it, so the adapt check judges the child by
 * the scores it will serve with (without it, by its own bar's spread).
 */
export function keepThreshold(cs: CardScoring, parent: ModelCard, scored?: { all: WindowBatch; out: ExportedScored; window: number; channels: number }): void {
  const method = parent.threshold.static.method.replace(/ \(kept from version [^)]*\)$/, '');
  cs.threshold = { ...parent.threshold.static, method: `${method} (kept from version ${parent.version})` };
  const tracking = cs.scoring.residual?.tracking;
  if (tracking) tracking.below = parent.scoring.residual?.tracking?.below ?? 0.5 * parent.threshold.static.value;
  // What the card maps onto the bar follows it: a stuck sensor's score and the spread's scale.
  const bar = cs.threshold.value;
  if (cs.scoring.flatline) cs.scoring.flatline.score = FLATLINE_BAR_MULTIPLE * bar;
  if (cs.scoring.spread) {
    cs.scoring.spread.scale = spreadScale(cs.scoring.spread, bar);
    if (scored) cs.scores = calibrationScores(scored.all, scored.out, scored.window, scored.channels, cs.scoring).scores;
  }
}
