/**
 * What a card's scoring says about the process rather than the weights, carried from the parent to an adapted child
 * (`vigil adapt` refits the rest, train/score-exported.ts): how far each channel's level wanders, and the choice of a
 * residual memory (`vigil train --memory on`, a process that holds one steady state).
 */
import type { ModelCard } from '@vigil/runtime';
import { memoryClip } from '@vigil/runtime/scoring/residual-memory.ts';
import { fitMemory, type CardScoring } from '../score-exported.ts';

/**
 * The held-back recent windows of a CSV for the memory's limit: their span residuals under the child, in time order,
 * and the rows between them. Absent (reservoir windows, sampled across time and sensors): the parent's limit.
 */
export interface RecentInOrder {
  residuals: () => Float64Array;
  stride: number;
}

/** Carry the parent's level drift, input trends and residual memory into the child's scoring `cs` (in place). */
export function carryProcessScoring(cs: CardScoring, parent: ModelCard, risk: number, recent: RecentInOrder | undefined): void {
  const residual = cs.scoring.residual;
  if (!residual?.tracking) return;
  // The mixed held-out windows of an adaptation do not follow the fitted ones in time, so they cannot measure drift.
  const drift = parent.scoring.residual?.tracking?.drift;
  if (drift) residual.tracking.drift = [...drift];
  // Nor a trend (they are not in time order); the child keeps the parent's inputs, so its trends carry over.
  const trend = parent.scoring.residual?.tracking?.trend;
  if (trend && residual.tracking.input) residual.tracking.trend = [...trend];
  // The way back to the trained level stays as the parent had it.
  if (parent.scoring.residual?.tracking?.back === false) residual.tracking.back = false;
  const memory = parent.scoring.residual?.memory;
  if (!memory) return;
  if (recent) {
    residual.memory = fitMemory(residual, recent.residuals(), cs.threshold.value, risk, recent.stride, 'held-back recent', 'give more recent rows (or a larger --holdout)');
    return;
  }
  // The memory's own limit (in its statistic's units) carries over; the scale and the clip follow the new bar.
  const limit = parent.threshold.static.value / memory.scale;
  residual.memory = { ...memory, scale: cs.threshold.value / limit, clip: Math.min(cs.threshold.value, memoryClip(limit)), method: `${memory.method} (kept from version ${parent.version}, moved with the bar)` };
}
