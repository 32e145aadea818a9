/**
 * The tracked residual means saved with the threshold state belong to the model the state file is labelled with:
 * after a hot reload the file is labelled with the new model, so the old model's means must not be written under
 * it (the next start with that model would restore them into a model whose residuals they are not).
 */
import { decodeFloats } from '../../runtime/util/float-state.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/model/load.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { openThresholds } from '../../runtime/ops/thresholds.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import { recordedModel, silent, testConfig } from './harness.ts';

const session = { provider: 'none', run: () => { throw new Error('not run here'); } };

/** The recorded tiny model's card, scored by Mahalanobis with tracking, as model `version`. */
function trackingCard(path: string, version: string): ModelCard {
  const card = structuredClone(loadModel(path).card);
  card.version = version;
  card.scoring = { ...card.scoring, error: 'mahalanobis', span: 1, residual: { mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.2, below: 1e9 } } };
  return card;
}

const savedMeans = (file: string): Record<string, unknown> => {
  const [header, payload] = readFileSync(file, 'utf8').split('\n');
  expect(JSON.parse(header).model.version).toBeDefined();
  return Object.fromEntries(Object.entries(JSON.parse(payload) as Record<string, { residualMean?: string }>).map(([s, st]) => [s, decodeFloats(st.residualMean)]));
};

describe('tracked residual means in the state file', () => {
  it('are those of the model the file is labelled with, also right after a hot reload', async () => {
    const path = recordedModel();
    const a = trackingCard(path, '1');
    const b = trackingCard(path, '2');
    const cfg = testConfig('mqtt://127.0.0.1:1', 'residual-state', path, { threshold: { kind: 'ewma' } });
    const ref = new ModelRef(a, session);
    const th = openThresholds(cfg, ref, silent, createEdgeCounters());
    th.bank.get('s1');
    th.residuals.for(a)!.of('s1')[0] = 0.5;
    await th.persist();
    expect(savedMeans(cfg.state.file!)).toEqual({ s1: [0.5] });

    // Model 2 goes into service and has scored nothing yet: its sensors start from its own card's mean.
    ref.swap(b, session);
    th.modelChanged(b);
    await th.persist();
    expect(JSON.parse(readFileSync(cfg.state.file!, 'utf8').split('\n')[0]).model.version).toBe('2');
    expect(savedMeans(cfg.state.file!)).toEqual({ s1: undefined });

    // Once model 2 has scored, its own means are saved.
    th.residuals.for(b)!.of('s1')[0] = -0.25;
    await th.persist();
    expect(savedMeans(cfg.state.file!)).toEqual({ s1: [-0.25] });
    await th.stop();
  });

  it('carry a level-drift state (means, then level uncertainties) across a restart', async () => {
    const path = recordedModel();
    const card = trackingCard(path, '1');
    card.scoring.residual!.tracking!.drift = [0.01];
    const cfg = testConfig('mqtt://127.0.0.1:1', 'residual-drift-state', path, { threshold: { kind: 'ewma' } });
    const th = openThresholds(cfg, new ModelRef(card, session), silent, createEdgeCounters());
    th.bank.get('s1');
    const state = th.residuals.for(card)!.of('s1');
    state[0] = 0.5;
    state[1] = 0.3;
    await th.persist();
    await th.stop();
    expect(savedMeans(cfg.state.file!)).toEqual({ s1: [0.5, 0.3] });

    const again = openThresholds(cfg, new ModelRef(card, session), silent, createEdgeCounters());
    expect(Array.from(again.residuals.for(card)!.of('s1'))).toEqual([0.5, 0.3]);
    await again.stop();
  });
});
