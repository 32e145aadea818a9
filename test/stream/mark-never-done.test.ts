/**
 * Review repro: a mark whose anchoring never completes leaves the tracker `marking`, so anomalies never clear it and a
 * close hours later says the operator's word closed it. An anchoring can vanish without a done news: a rollback to a
 * model scored before (TrackedResiduals carries pending anchors only to a model new to the process).
 */
import { describe, expect, it } from 'vitest';
import { AlertTracker, checkPolicy } from '../../runtime/alerts/tracker.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import type { Verdict } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';

const policy = checkPolicy({ openK: 2, openN: 3, closeM: 2, cooldownMs: 5000 });
const verdict = (t: number, score: number, anomaly: boolean): Verdict => ({
  sensor: 's', tsFirst: t - 1000, tsLast: t, seq: 0, data: new Float32Array(0), receivedAt: t, provider: 'x',
  score, threshold: 10, anomaly, perChannel: Float32Array.from([1, 2, 1]),
});

function cardWith(input: number): ModelCard {
  const card = structuredClone(tinyModel({ window: 2, channels: ['a', 'b'] }).card);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0.5, -1], precision: [1, 0.3, 0.3, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, input } } };
  return card;
}

describe('review: a mark never done', () => {
  it('a rollback to a model scored before drops the anchoring in progress without a word (no done news can come)', () => {
    const residuals = new TrackedResiduals();
    const a = cardWith(0.05);
    const b = cardWith(0.03);
    residuals.for(a)!.of('p');
    residuals.for(b)!.of('p');
    expect(residuals.anchor(b, 'p', 'normal', 16)).toHaveProperty('started');
    residuals.peek(b)!.anchors.of('p')!.announced = true; // its first window told the tracker `done: false`
    residuals.for(a); // rolled back
    expect(residuals.peek(a)!.anchors.of('p')).toBeUndefined(); // nothing will ever complete it
  });

  it('the tracker then keeps the mark through an hour of anomalies and the close says marked', () => {
    const t = new AlertTracker(policy);
    t.step(verdict(1000, 20, true));
    t.step(verdict(2000, 20, true));
    t.step({ ...verdict(3000, 20, true), marked: { command: 'normal', by: 'op', done: false } });
    for (let k = 4; k < 3600; k++) t.step(verdict(k * 1000, 20, true));
    t.step(verdict(3_600_000, 1, false));
    const close = t.step(verdict(3_601_000, 1, false));
    expect(close.kind).toBe('close');
    expect(close).not.toHaveProperty('marked'); // fails: { command: 'normal', by: 'op' }
  });
});
