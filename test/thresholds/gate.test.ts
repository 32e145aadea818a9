/**
 * The learning gate (runtime/thresholds/gate.ts) on its own: the guard band before an incident is never
 * learnt, the bar's rise is bounded (and unbounded without it, so the check can fail), a state saved before
 * the gate still restores, and the learning log is rate-limited.
 */
import { describe, expect, it } from 'vitest';
import { createThreshold, restoreThreshold } from '../../runtime/thresholds/factory.ts';
import { GatedThreshold } from '../../runtime/thresholds/gate.ts';
import { createLearningLog, learningOf } from '../../runtime/thresholds/learning-log.ts';
import { decide, type ThresholdState } from '../../runtime/thresholds/threshold.ts';
import { cardFor, noiseSource } from '@vigil/fixtures/thresholds.ts';

const nz = noiseSource(3, 'lognormal', 0.6);
const card = cardFor(Array.from({ length: 1000 }, () => 0.02 * nz()));
const clean = (n: number) => Array.from({ length: n }, () => 0.02 * nz());

describe('learning gate', () => {
  it('keeps the guard band before an incident, the incident and the holdoff after it out of the kind', () => {
    const t = createThreshold({ kind: 'ewma', guardBefore: 5, holdoff: 7 }, card) as GatedThreshold;
    const before = clean(300);
    for (const s of before) decide(t, s);
    const flaggedBefore = t.summary().keptOut;
    // One flagged score (far above any bar), then 7 held off, then clean again.
    decide(t, 10);
    for (const s of clean(7)) decide(t, s);
    const s1 = t.summary();
    expect(s1.pending).toBe(0);
    expect(s1.keptOut - flaggedBefore).toBe(5 + 1 + 7);
    for (const s of clean(20)) decide(t, s);
    const s2 = t.summary();
    expect(s2.learnt + s2.keptOut + s2.pending).toBe(300 + 1 + 7 + 20);
    expect(s2.pending).toBe(5);
  });

  it('bounds the rise of the bar per window (and the kind alone would jump)', () => {
    // learnFromAnomalies lets a step up of the scores into a quantile window: the kind's bar jumps.
    const run = (gate: Record<string, unknown>) => {
      const t = createThreshold({ kind: 'quantile', window: 200, minCount: 100, learnFromAnomalies: true, ...gate }, card);
      const levels: number[] = [];
      for (const s of [...clean(400), ...clean(400).map((x) => 20 * x)]) levels.push(decide(t, s).threshold);
      return levels;
    };
    const worstRise = (levels: number[], span: number) => Math.max(...levels.slice(span).map((l, i) => l / levels[i]));
    expect(worstRise(run({ maxRise: 1, riseWindows: 20 }), 20)).toBeLessThanOrEqual(2 + 1e-9);
    expect(worstRise(run({ maxRise: 1e9 }), 20)).toBeGreaterThan(5);
  });

  it('recovers after a long idle stretch: the bar never falls below floorShare of the card level (and without the floor it would not)', () => {
    for (const kind of ['ewma', 'mad', 'quantile']) {
      // (spot and dspot recover on their own in this scenario; the floor must not hurt them: contract suite)
      const run = (floorShare: number) => {
        const t = createThreshold({ kind, floorShare }, card);
        for (let i = 0; i < 1000; i++) decide(t, 0.02 * nz());
        // The machine stops: near-perfect reconstructions for 3,000 windows, then it runs normally again.
        for (let i = 0; i < 3000; i++) decide(t, 0.0002 * nz());
        let flagged = 0;
        for (let i = 0; i < 3000; i++) if (decide(t, 0.02 * nz()).anomaly) flagged++;
        return { flagged, level: t.current() };
      };
      const floored = run(0.75);
      expect(floored.level).toBeGreaterThanOrEqual(0.75 * card.threshold.static.value);
      expect(floored.flagged, kind).toBeLessThan(60);
      expect(run(0).flagged, `${kind} without the floor`).toBeGreaterThan(2900);
    }
  });

  it('restores a state saved before the gate existed (the kind continues, the gate starts afresh)', () => {
    const t = createThreshold({ kind: 'mad' }, card);
    for (const s of clean(500)) decide(t, s);
    const saved = JSON.parse(JSON.stringify(t.toJSON())) as ThresholdState;
    expect(saved.state.gate).toBeDefined();
    const { gate: _, ...old } = saved.state;
    const r = restoreThreshold({ ...saved, state: old }, card);
    expect(r.current()).toBe(t.current());
    expect(learningOf(r)).toMatchObject({ learnt: 0, keptOut: 0 });
  });

  it('rejects a damaged gate state naming the field', () => {
    const t = createThreshold({ kind: 'spot' }, card);
    for (const s of clean(50)) decide(t, s);
    const saved = JSON.parse(JSON.stringify(t.toJSON())) as ThresholdState;
    (saved.state.gate as Record<string, unknown>).learnt = 'many';
    expect(() => restoreThreshold(saved, card)).toThrow(/learnt/);
  });

  it('rejects gate options on a static threshold and bad values on adaptive ones', () => {
    expect(() => createThreshold({ kind: 'static', guardBefore: 3 }, card)).toThrow(/guardBefore/);
    expect(() => createThreshold({ kind: 'ewma', maxRise: -1 }, card)).toThrow(/threshold\.maxRise/);
  });
});

describe('learning log', () => {
  it('writes at most maxLines per call, largest moves first, and nothing when no bar moved', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLearningLog({ write: (f) => lines.push(f), maxLines: 3 });
    const sensors: [string, ReturnType<typeof createThreshold>][] = Array.from({ length: 5 }, (_, i) => [`s${i}`, createThreshold({ kind: 'ewma' }, card)]);
    expect(log.report(sensors)).toBe(4);
    expect(lines.slice(0, 3).every((l) => typeof l.level === 'number' && typeof l.learnt === 'number')).toBe(true);
    expect(lines[3]).toEqual({ sensors: 2 });
    lines.length = 0;
    log.report(sensors);
    expect(lines.map((l) => l.sensor)).toEqual(['s3', 's4']);
    lines.length = 0;
    expect(log.report(sensors)).toBe(0);
    // A bar that moves by 10% or more is reported again.
    for (const s of clean(300).map((x) => 3 * x)) decide(sensors[0][1], s);
    log.report(sensors);
    expect(lines.map((l) => l.sensor)).toEqual(['s0']);
  });
});
