/**
 * What a restart cannot restore is said at the start, once per kind, and nothing it cannot resume is announced as
 * resumed (found by a restart probe: a saved open alert with a cause this vigil does not know was logged as
 * "open alerts restored", opened a second time, and its warning came only at shutdown; a threshold config changed
 * over 20 sensors gave 20 warnings, at shutdown).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/model/load.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { openThresholds } from '../../runtime/ops/thresholds.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { applyThresholds } from '../../runtime/stream/apply-thresholds.ts';
import { raiseAlerts } from '../../runtime/alerts/raise-alerts.ts';
import { decodeStates, encodeStates } from '../../runtime/thresholds/store.ts';
import type { ScoredWindow } from '../../runtime/stream/types.ts';
import type { RunConfigInput } from '../../runtime/config/schema.ts';
import { capturingLogger, recordedModel, silent, testConfig } from './harness.ts';

const session = { provider: 'none', run: () => { throw new Error('not run here'); } };
const scored = (sensor: string, seq: number, score: number): ScoredWindow => ({
  sensor, seq, tsFirst: seq, tsLast: seq, receivedAt: seq, data: new Float32Array(1), score, perChannel: Float32Array.of(score), provider: 'p',
});

/** Run `sensors` through a high score each (alerts open), then stop (which saves). */
async function openAlerts(cfg: ReturnType<typeof testConfig>, sensors: string[]) {
  const th = openThresholds(cfg, new ModelRef(loadModel(cfg.model).card, session), silent, createEdgeCounters());
  const card = loadModel(cfg.model).card;
  await lastValueFrom(from(sensors.map((s, i) => scored(s, i, 50))).pipe(applyThresholds(th.bank), raiseAlerts({ card, bank: th.alerts }), toArray()));
  await th.stop();
}

describe('restore failures at a restart', () => {
  it('does not announce an alert it cannot resume, and says why at the start', async () => {
    const cfg = testConfig('mqtt://127.0.0.1:1', 'restore-alert', recordedModel(), { threshold: { kind: 'spot', q: 1e-3 } } as Partial<RunConfigInput>);
    await openAlerts(cfg, ['s1', 's2']);
    const file = cfg.state.file!;
    const { states, model } = decodeStates(readFileSync(file, 'utf8'));
    expect(states.get('s1')?.alert?.open).toBeDefined();
    // A cause written by a newer vigil.
    states.get('s1')!.alert!.open!.peak.cause = 'from-the-future' as never;
    writeFileSync(file, encodeStates(states, model));

    const { lines, logger } = capturingLogger('info');
    const th = openThresholds(cfg, new ModelRef(loadModel(cfg.model).card, session), logger, createEdgeCounters());
    const restored = lines.find((l) => l.msg === 'open alerts restored; they resume and close as usual');
    expect(restored).toMatchObject({ openAlerts: 1, sensors: ['s2'] });
    expect(lines.find((l) => String(l.msg).startsWith('saved alert state not restored'))).toMatchObject({ sensor: 's1', reason: expect.stringContaining('from-the-future') });
    await th.stop();
  });

  it('keeps open alerts across a model mismatch, through the saves that follow (a review: the save at start dropped them)', async () => {
    const cfg = testConfig('mqtt://127.0.0.1:1', 'restore-model', recordedModel(), { threshold: { kind: 'spot', q: 1e-3 } } as Partial<RunConfigInput>);
    await openAlerts(cfg, ['s1', 's2']);
    const file = cfg.state.file!;
    const { states, model } = decodeStates(readFileSync(file, 'utf8'));
    // Saved under another version of the model.
    writeFileSync(file, encodeStates(states, { ...model!, version: `${model!.version}-old` }));
    const { lines, logger } = capturingLogger('info');
    const th = openThresholds(cfg, new ModelRef(loadModel(cfg.model).card, session), logger, createEdgeCounters());
    expect(lines.find((l) => l.msg === 'open alerts restored; they resume and close as usual')).toMatchObject({ openAlerts: 2 });
    await th.persist();
    const after = decodeStates(readFileSync(file, 'utf8')).states;
    expect([...after.keys()].sort()).toEqual(['s1', 's2']);
    expect(after.get('s1')?.alert?.open).toBeDefined();
    await th.stop();
  });

  it('says once, at the start, that thresholds learnt under another config start fresh', async () => {
    const sensors = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const first = testConfig('mqtt://127.0.0.1:1', 'restore-config', recordedModel(), { threshold: { kind: 'spot', q: 1e-3 } } as Partial<RunConfigInput>);
    await openAlerts(first, sensors);
    // The same state file, another threshold config.
    const cfg = { ...first, threshold: { kind: 'spot', q: 1e-4 } } as typeof first;
    const { lines, logger } = capturingLogger('info');
    const th = openThresholds(cfg, new ModelRef(loadModel(cfg.model).card, session), logger, createEdgeCounters());
    const warned = lines.filter((l) => String(l.msg).startsWith('saved threshold not restored'));
    expect(warned).toEqual([expect.objectContaining({ sensors: 20, first: expect.arrayContaining([expect.objectContaining({ reason: expect.stringContaining('differs from the configured') })]) })]);
    const before = lines.length;
    await th.stop();
    expect(lines.slice(before).filter((l) => String(l.msg).startsWith('saved threshold'))).toEqual([]);
    // The fresh thresholds took the old ones' place: the open alerts are still saved, to be resumed.
    const saved = decodeStates(readFileSync(cfg.state.file!, 'utf8')).states;
    expect(saved.size).toBe(20);
    expect([...saved.values()].filter((st) => st.alert?.open).length).toBe(20);
    expect(saved.get('s0')?.threshold.config).toMatchObject({ q: 1e-4 });
  });
});
