/**
 * The drift signal that can start an adaptation (runtime/adapt/drift-signal.ts, `adapt.trigger.kind: drift`): the
 * mean score of recent windows outside incidents against the first ones the model scored in service. A slow drift
 * of the scores fires it; a stable stream of correlated scores does not; a fault does not (its windows, the guard
 * band before it and the one after it never count), while the same scores counted as normal would.
 */
import { describe, expect, it } from 'vitest';
import { TriggerSchema } from '../../runtime/adapt/config.ts';
import { defaultSpacing, DriftSignal } from '../../runtime/adapt/drift-signal.ts';
import type { Detection } from '../../runtime/stream/types.ts';
import { mulberry32 } from '../../runtime/util/prng.ts';

const THRESHOLD = 3;
/** 100 windows (the reference, then the evidence), each 4 counted as one, 3 standard errors; guard band 10 s (10 windows at 1 Hz). */
const signal = (guardMs = 10_000) => new DriftSignal({ windows: 100, z: 3, spacing: 4 }, guardMs, 'version 1');

/** A detection of `sensor` at second `t`. */
function det(t: number, score: number, o: { alertOpen?: boolean; sensor?: string } = {}): Detection {
  const verdict = { sensor: o.sensor ?? 'p1', tsFirst: (t - 15) * 1000, tsLast: t * 1000, data: new Float32Array(0), seq: t, receivedAt: 0, score, perChannel: new Float32Array(0), provider: 'test', threshold: THRESHOLD, anomaly: score > THRESHOLD };
  return { verdict, alertOpen: o.alertOpen ?? false };
}

/**
 * Scores of normal windows around `level(t)`: correlated like those of overlapping windows (AR(1), phi 0.5, about
 * 3 windows per independent one), marginal sd 0.5, seeded.
 */
function normal(n: number, seed: number, level: (t: number) => number = () => 1): number[] {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  let e = 0;
  return Array.from({ length: n }, (_, t) => {
    e = 0.5 * e + Math.sqrt(1 - 0.25) * 0.5 * gauss();
    return Math.max(0, level(t) + e);
  });
}

/** Feed scores from second `from`; the seconds at which the signal read fired. */
function feed(s: DriftSignal, scores: number[], from = 0, alertOpen: (t: number) => boolean = () => false): number[] {
  const fired: number[] = [];
  scores.forEach((x, i) => {
    s.observe(det(from + i, x, { alertOpen: alertOpen(from + i) }));
    if (s.reading()?.fired) fired.push(from + i);
  });
  return fired;
}

describe('drift signal', () => {
  it('does not fire on a stable stream of correlated scores (5 seeds, 5,000 windows each)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = signal();
      expect(feed(s, normal(5000, seed))).toEqual([]);
      const r = s.reading()!;
      expect(r.windows).toBe(100);
      expect(Math.abs(r.z)).toBeLessThan(3);
    }
  });

  it('fires when the scores drift up, once the mean has moved by about 0.8 sd', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = signal();
      // Stable for 1,000 windows, then the level rises by 0.5 (one card sd) over 3,000.
      const fired = feed(s, normal(4000, seed, (t) => 1 + 0.5 * Math.max(0, Math.min(1, (t - 1000) / 3000))));
      expect(fired.length).toBeGreaterThan(0);
      expect(fired[0]).toBeGreaterThan(1000);
      expect(fired[0]).toBeLessThan(4000);
      const r = s.reading()!;
      expect(r.mean).toBeGreaterThan(1.3);
    }
  });

  it('measures its reference on the first 100 windows, then waits for 100 more; reset spends the evidence, not the reference', () => {
    const told: unknown[] = [];
    const s = new DriftSignal({ windows: 100, z: 3, spacing: 4 }, 10_000, 'version 1', { onReference: (r) => told.push(r) });
    const first = normal(110, 1);
    feed(s, first);
    expect(told).toEqual([s.reference]);
    // 110 fed, the newest 10 s still wait out the guard band: the first 100 are the reference.
    const mean = first.slice(0, 100).reduce((a, x) => a + x, 0) / 100;
    const sd = Math.sqrt(first.slice(0, 100).reduce((a, x) => a + (x - mean) ** 2, 0) / 99);
    expect(s.reference).toMatchObject({ count: 100, from: 'the first 100 windows version 1 scored in service' });
    expect(s.reference!.mean).toBeCloseTo(mean, 9);
    expect(s.reference!.std).toBeCloseTo(sd, 9);
    expect(s.reading()).toBeUndefined();
    feed(s, normal(100, 2), 110);
    expect(s.reading()?.windows).toBe(100);
    s.reset();
    expect(s.reading()).toBeUndefined();
    expect(s.reference!.mean).toBeCloseTo(mean, 9);
  });

  it('a reference kept across a restart stays the reference: a drift that built up before it still fires', () => {
    // Stable, then the level rises by 1 over 1,000 windows; the runtime restarts halfway through the rise.
    const scores = normal(2000, 9, (t) => 1 + Math.max(0, Math.min(1, (t - 500) / 1000)));
    const before = signal();
    expect(feed(before, scores.slice(0, 1000))).toEqual([]);
    const kept = before.reference!;
    const restarted = new DriftSignal({ windows: 100, z: 3, spacing: 4 }, 10_000, 'version 1', { restored: kept });
    expect(restarted.reference).toMatchObject({ mean: kept.mean, std: kept.std, count: 100 });
    const fired = feed(restarted, scores.slice(1000), 1000);
    expect(fired.length).toBeGreaterThan(0);
    expect(fired[0]).toBeLessThan(1300);
    // Without it, the scores after the restart are the new reference and the drift so far goes unseen.
    expect(feed(signal(), scores.slice(1000, 1300), 1000)).toEqual([]);
  });

  it('a reference of constant scores does not fire on a rise of rounding size (its sd is at least 0.1 % of its mean)', () => {
    const s = signal(0);
    feed(s, Array.from({ length: 100 }, () => 0.3));
    expect(s.reference!.std).toBeCloseTo(3e-4, 12);
    expect(feed(s, Array.from({ length: 300 }, () => 0.3 + 1e-9), 100)).toEqual([]);
    expect(feed(s, Array.from({ length: 300 }, () => 0.33), 400)).not.toEqual([]);
  });

  it('does not fire on a fault: flagged windows, an open alert, the guard band before and after never count', () => {
    // Stable, then a fault: 10 windows just under the bar (its onset), 50 far above it with the alert open, the
    // alert open 10 windows more while the scores come down, 10 windows just under the bar after it closed.
    const base = normal(2000, 7);
    const fault = (t: number) => (t >= 1000 && t < 1010 ? 2.9 : t >= 1010 && t < 1060 ? 8 : t >= 1060 && t < 1080 ? 2.9 : 0);
    const scores = base.map((x, t) => fault(t) || x);
    const alertOpen = (t: number) => t >= 1010 && t < 1070;
    expect(feed(signal(), scores, 0, alertOpen)).toEqual([]);
    // With no guard band, the 20 windows just under the bar on either side would count, and fire it.
    const noGuard = signal(0);
    expect(feed(noGuard, scores, 0, alertOpen)).not.toEqual([]);
    // And the fault's own windows counted as normal data (kept just under the bar, nothing flagged) would too.
    expect(feed(signal(), scores.map((x) => Math.min(x, THRESHOLD - 0.01)))).not.toEqual([]);
  });

  it('keeps the windows of a quiet sensor while another is in alert (the guard band is per sensor)', () => {
    const s = signal();
    const a = normal(300, 3);
    a.forEach((x, t) => {
      s.observe(det(t, x, { sensor: 'quiet' }));
      s.observe(det(t, 9, { sensor: 'faulty', alertOpen: true }));
    });
    // 300 quiet windows fed, the newest 10 s waiting: the first 100 are the reference, the ring holds the newest 100.
    expect(s.reference!.mean).toBeCloseTo(a.slice(0, 100).reduce((p, x) => p + x, 0) / 100, 6);
    expect(s.reading()!.mean).toBeCloseTo(a.slice(190, 290).reduce((p, x) => p + x, 0) / 100, 6);
  });
});

describe('drift signal settings', () => {
  it('counts half the windows that share a row as one by default; the trigger defaults to the schedule', () => {
    expect(defaultSpacing({ window: 16, stride: 1 })).toBe(8);
    expect(defaultSpacing({ window: 32, stride: 4 })).toBe(4);
    expect(defaultSpacing({ window: 2, stride: 4 })).toBe(1);
    expect(TriggerSchema.parse({})).toEqual({ kind: 'schedule', windows: 400, z: 3, spacing: null });
    expect(() => TriggerSchema.parse({ kind: 'timer' })).toThrow();
  });
});
