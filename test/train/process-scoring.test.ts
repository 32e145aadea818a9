/** What an adapted child keeps of its parent's scoring (train/adapt/process-scoring.ts): the process's, not the fit's. */
import { describe, expect, it } from 'vitest';
import type { ModelCard } from '../../runtime/model/card.ts';
import { carryProcessScoring } from '../../train/adapt/process-scoring.ts';
import type { CardScoring } from '../../train/score-exported.ts';
import { tinyCard } from '../stream/helpers.ts';

const residual = (tracking: Record<string, unknown>) => ({ mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.003, below: 2, ...tracking } });

function parentWith(tracking: Record<string, unknown>): ModelCard {
  const card = structuredClone(tinyCard);
  card.scoring = { error: 'mahalanobis', span: 1, residual: residual(tracking) };
  return card;
}

const child = (tracking: Record<string, unknown>): CardScoring =>
  ({ scoring: { error: 'mahalanobis', span: 1, residual: residual(tracking) }, threshold: { value: 4, method: 'test' } }) as unknown as CardScoring;

describe('carryProcessScoring', () => {
  it('keeps the parent\'s level drift and input trends (the child\'s mixed windows are not in time order)', () => {
    const cs = child({ input: 0.003 });
    carryProcessScoring(cs, parentWith({ input: 0.003, drift: [0.01], trend: [0.02] }), 1e-3, undefined);
    expect(cs.scoring.residual!.tracking).toMatchObject({ drift: [0.01], trend: [0.02] });
  });

  it('gives no trend to a child without input offsets (a trend moves them; the card would be refused)', () => {
    const cs = child({});
    carryProcessScoring(cs, parentWith({ input: 0.003, trend: [0.02] }), 1e-3, undefined);
    expect(cs.scoring.residual!.tracking!.trend).toBeUndefined();
  });

  it('keeps a parent\'s way back to the trained level turned off, and leaves it on otherwise', () => {
    const off = child({ input: 0.003 });
    carryProcessScoring(off, parentWith({ input: 0.003, back: false }), 1e-3, undefined);
    expect(off.scoring.residual!.tracking!.back).toBe(false);
    const on = child({ input: 0.003 });
    carryProcessScoring(on, parentWith({ input: 0.003 }), 1e-3, undefined);
    expect(on.scoring.residual!.tracking!.back).toBeUndefined();
  });
});
