import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { applyThresholds } from '../../runtime/stream/apply-thresholds.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { ThresholdBank } from '../../runtime/stream/threshold-bank.ts';
import type { ScoredWindow } from '../../runtime/stream/types.ts';
import { StaticThreshold } from '../../runtime/thresholds/static.ts';
import type { Threshold, ThresholdState } from '../../runtime/thresholds/threshold.ts';
import { newScheduler } from './helpers.ts';

const scored = (sensor: string, seq: number, score: number, incomplete = false): ScoredWindow => ({
  sensor, seq, tsFirst: seq, tsLast: seq, receivedAt: seq, data: new Float32Array(1), score, perChannel: Float32Array.of(score), provider: 'p',
  ...(incomplete ? { incomplete: true } : {}),
});

/** A threshold that learns the running max of the scores it is shown (so learning is visible). */
class MaxThreshold implements Threshold {
  readonly kind = 'max';
  learned: number[] = [];
  constructor(private level: number) {}
  current() { return this.level; }
  isAnomaly(s: number) { return s > this.level; }
  update(s: number, flagged: boolean) { this.learned.push(s); if (!flagged) this.level = Math.max(this.level, s); }
  toJSON(): ThresholdState { return { kind: 'max', config: {}, state: { level: this.level } }; }
}

describe('applyThresholds', () => {
  it('decides with the level before learning, per sensor', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const bank = new ThresholdBank(() => new MaxThreshold(1));
      const src = cold('abc|', { a: scored('p', 1, 0.5), b: scored('p', 2, 2), c: scored('q', 1, 0.9) });
      const v = (w: ScoredWindow, threshold: number, anomaly: boolean) => ({ ...w, threshold, anomaly });
      expectObservable(src.pipe(applyThresholds(bank))).toBe('abc|', {
        a: v(scored('p', 1, 0.5), 1, false),
        b: v(scored('p', 2, 2), 1, true),
        c: v(scored('q', 1, 0.9), 1, false),
      });
    });
  });

  it('judges incomplete windows without learning from them, and counts anomalies', async () => {
    const t = new MaxThreshold(1);
    const counters = createCounters();
    const out = await lastValueFrom(from([scored('p', 1, 0.5), scored('p', 2, 3, true), scored('p', 3, 0.8)]).pipe(applyThresholds(() => t, { counters }), toArray()));
    expect(out.map((v) => v.anomaly)).toEqual([false, true, false]);
    expect(t.learned).toEqual([0.5, 0.8]);
    expect(counters.anomalies).toBe(1);
  });

  it('smooths scores per sensor before deciding and keeps the raw score', async () => {
    const out = await lastValueFrom(from([scored('p', 1, 0), scored('p', 2, 4), scored('q', 1, 4)]).pipe(applyThresholds(() => new StaticThreshold(1.5), { smoothing: 0.25 }), toArray()));
    expect(out.map((v) => [v.score, v.rawScore, v.anomaly])).toEqual([[0, 0, false], [1, 4, false], [4, 4, true]]);
    expect(() => applyThresholds(() => new StaticThreshold(1), { smoothing: 0 })).toThrow(/smoothing must be in \(0, 1\]/);
  });

  it('exposes per-sensor states for persistence, restores them, and bounds the sensors held', async () => {
    const bank = new ThresholdBank(() => new MaxThreshold(1), { maxSensors: 2 });
    await lastValueFrom(from([scored('p', 1, 0.5), scored('q', 1, 1.2), scored('q', 2, 5)]).pipe(applyThresholds(bank), toArray()));
    expect(bank.snapshot()).toEqual({ p: { kind: 'max', config: {}, state: { level: 1 } }, q: { kind: 'max', config: {}, state: { level: 1 } } });
    expect([...bank.sensors()].map(([sensor]) => sensor)).toEqual(['p', 'q']);
    bank.get('r');
    expect(bank.size).toBe(2);
    expect(bank.evicted).toBe(1);

    const restored = new ThresholdBank(() => new MaxThreshold(1), {
      saved: { p: { kind: 'max', config: {}, state: { level: 7 } }, bad: { kind: 'max', config: {}, state: {} } },
      restore: (s) => {
        if (typeof s.state.level !== 'number') throw new Error('no level');
        return new MaxThreshold(s.state.level);
      },
    });
    expect(restored.get('p').threshold.current()).toBe(7);
    expect(restored.get('bad').threshold.current()).toBe(1);
    expect(restored.restoreFailures).toEqual([{ sensor: 'bad', reason: 'no level' }]);
  });

  it('saves at most maxSensors: restored sensors never seen again make room for the ones seen, the oldest first', () => {
    const level = (l: number) => ({ kind: 'max', config: {}, state: { level: l } });
    // A previous run's 4 sensors, least recently seen first; this run sees 2 new ones, with room for 3 in all.
    const bank = new ThresholdBank(() => new MaxThreshold(1), { maxSensors: 3, saved: { a: level(1), b: level(2), c: level(3), d: level(4) }, restore: (st) => new MaxThreshold(Number(st.state.level)) });
    expect(bank.keys()).toEqual(['b', 'c', 'd']);
    bank.get('x');
    bank.get('c');
    expect(bank.keys()).toEqual(['d', 'x', 'c']);
    expect(Object.keys(bank.snapshot())).toEqual(['d', 'x', 'c']);
    bank.get('y');
    expect(bank.keys()).toEqual(['x', 'c', 'y']);
  });

  it('passes errors on and unsubscribes from the source on teardown', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<ScoredWindow>('#', undefined, new Error('x')).pipe(applyThresholds(() => new StaticThreshold(1)))).toBe('#', undefined, new Error('x'));
      const src = hot('-a--b', { a: scored('p', 1, 2), b: scored('p', 2, 2) });
      expectObservable(src.pipe(applyThresholds(() => new StaticThreshold(1))), '^--!').toBe('-a-', { a: { ...scored('p', 1, 2), threshold: 1, anomaly: true } });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });
});
