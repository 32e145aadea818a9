/**
 * Score smoothers are saved with the threshold state and restored on the next start: a restart mid-incident
 * gives the verdicts an uninterrupted run gives (a smoother started afresh would follow the raw score at once
 * and end the incident early).
 */
import { readFileSync } from 'node:fs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/model/load.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { openThresholds } from '../../runtime/ops/thresholds.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { applyThresholds } from '../../runtime/stream/apply-thresholds.ts';
import type { ScoredWindow } from '../../runtime/stream/types.ts';
import type { RunConfigInput } from '../../runtime/config/schema.ts';
import { recordedModel, silent, testConfig } from './harness.ts';

const session = { provider: 'none', run: () => { throw new Error('not run here'); } };

const scored = (sensor: string, seq: number, score: number): ScoredWindow => ({
  sensor, seq, tsFirst: seq, tsLast: seq, receivedAt: seq, data: new Float32Array(1), score, perChannel: Float32Array.of(score), provider: 'p',
});

/** Quiet, an incident, quiet again: the restart falls where the raw score has just dropped back. */
const SCORES = [0.5, 0.5, 0.5, 3, 3, 3, 3, 0.5, 0.5, 0.5, 0.5, 0.5];
const RESTART_AT = 8;

/** Judge `scores` (from sequence number `first`) with a fresh `openThresholds` on `cfg`, then stop it (which saves). */
async function judge(cfg: ReturnType<typeof testConfig>, scores: number[], first = 0, log = silent) {
  const ref = new ModelRef(loadModel(cfg.model).card, session);
  const th = openThresholds(cfg, ref, log, createEdgeCounters());
  const windows = scores.map((s, i) => scored('s1', first + i, s));
  const verdicts = await lastValueFrom(from(windows).pipe(applyThresholds(th.bank, { smoothing: th.smoothing }), toArray()));
  await th.stop();
  return verdicts.map((v) => [v.score, v.anomaly]);
}

const configs: [string, RunConfigInput['smoothing']][] = [
  ['ewma', { kind: 'ewma', alpha: 0.3 }],
  ['mean', { kind: 'mean', window: 4 }],
];

describe('score smoother state across a restart', () => {
  it.each(configs)('%s: a restart mid-incident gives the verdicts of an uninterrupted run', async (_, smoothing) => {
    const path = recordedModel();
    const extra = { threshold: { kind: 'static', value: 1 }, smoothing } as Partial<RunConfigInput>;
    const whole = await judge(testConfig('mqtt://127.0.0.1:1', 'smooth-whole', path, extra), SCORES);
    const cfg = testConfig('mqtt://127.0.0.1:1', 'smooth-split', path, extra);
    const before = await judge(cfg, SCORES.slice(0, RESTART_AT));
    const saved = JSON.parse(readFileSync(cfg.state.file!, 'utf8').split('\n')[1]) as Record<string, { smoothing?: { config: unknown } }>;
    expect(saved.s1.smoothing?.config).toEqual(smoothing);
    const after = await judge(cfg, SCORES.slice(RESTART_AT), RESTART_AT);
    expect([...before, ...after]).toEqual(whole);
    // The smoothed score still holds the incident where the raw one has dropped: started afresh it would not.
    expect(whole[RESTART_AT]).toEqual([expect.any(Number), true]);
    expect(whole[RESTART_AT][0]).not.toBe(SCORES[RESTART_AT]);
  });

  it('starts a sensor smoothing afresh, with a warning, when the saved smoothing differs from the configured one', async () => {
    const path = recordedModel();
    const cfg = testConfig('mqtt://127.0.0.1:1', 'smooth-changed', path, { threshold: { kind: 'static', value: 1 }, smoothing: { kind: 'ewma', alpha: 0.3 } } as Partial<RunConfigInput>);
    await judge(cfg, SCORES.slice(0, RESTART_AT));
    const warnings: string[] = [];
    const log = Object.assign(Object.create(silent), { warn: (_: unknown, msg: string) => warnings.push(msg) });
    const after = await judge({ ...cfg, smoothing: { kind: 'ewma', alpha: 0.5 } }, SCORES.slice(RESTART_AT), RESTART_AT, log);
    expect(after[0]).toEqual([SCORES[RESTART_AT], false]);
    expect(warnings).toEqual(['saved score smoothing differs from the configured one; those sensors start smoothing afresh']);
  });
});
