/**
 * The drift signal that can start an adaptation (runtime/adapt/drift-signal.ts, `adapt.trigger.kind: drift`): the
 * mean score of recent windows outside incidents against the card's calibration. A slow drift of the scores fires
 * it; a stable stream of correlated scores does not; a fault does not (its windows, the guard band before it and
 * the one after it never count), while the same scores counted as normal would.
 */
import { describe, expect, it } from 'vitest';
import { TriggerSchema } from '../../runtime/adapt/config.ts';
import { calibrationReference, defaultSpacing, DriftSignal, driftReference } from '../../runtime/adapt/drift-signal.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import type { Detection } from '../../runtime/stream/types.ts';
import { mulberry32 } from '../../runtime/util/prng.ts';

const THRESHOLD = 3;
const reference = { mean: 1, std: 0.5, count: 10_000, from: 'test' };
/** 100 windows, each 4 counted as one, 3 standard errors; guard band 10 s (10 windows at 1 Hz). */
const signal = () => new DriftSignal(reference, { windows: 100, z: 3, spacing: 4 }, 10_000);

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
  it('does not fire on a stable stream of correlated scores at the calibration (5 seeds, 5,000 windows each)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = signal();
      expect(feed(s, normal(5000, seed))).toEqual([]);
      const r = s.reading()!;
      expect(r.windows).toBe(100);
      expect(Math.abs(r.z)).toBeLessThan(3);
    }
  });

  it('fires when the scores drift up, once the mean has moved by about 0.3 sd', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = signal();
      // Stable for 1,000 windows, then the level rises by 0.5 (one card sd) over 3,000.
      const fired = feed(s, normal(4000, seed, (t) => 1 + 0.5 * Math.max(0, Math.min(1, (t - 1000) / 3000))));
      expect(fired.length).toBeGreaterThan(0);
      expect(fired[0]).toBeGreaterThan(1000);
      expect(fired[0]).toBeLessThan(3500);
      const r = s.reading()!;
      expect(r.mean).toBeGreaterThan(1.3);
    }
  });

  it('waits for its windows: no reading before 100 have counted, and none after reset', () => {
    const s = signal();
    feed(s, normal(105, 1));
    // 105 fed, the newest 10 s still wait out the guard band.
    expect(s.reading()).toBeUndefined();
    feed(s, normal(10, 2), 105);
    expect(s.reading()?.windows).toBe(100);
    s.reset();
    expect(s.reading()).toBeUndefined();
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
    const noGuard = new DriftSignal(reference, { windows: 100, z: 3, spacing: 4 }, 0);
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
    // 300 quiet windows fed, the newest 10 s waiting: the ring is full of the quiet sensor's windows only.
    expect(s.reading()!.mean).toBeCloseTo(a.slice(190, 290).reduce((p, x) => p + x, 0) / 100, 6);
  });
});

describe('drift reference', () => {
  const stats = (mean: number, count = 100) => ({ count, mean, std: 0.4, quantiles: {}, max: 5, perChannel: { mean: [], std: [], q99: [] } });
  const card = (version: string, mean: number, lineage?: { parent: string; before: number; after: number }): ModelCard =>
    ({
      version,
      window: 16,
      stride: 1,
      errorStats: { train: stats(mean / 2), validation: stats(mean) },
      threshold: { default: { kind: 'static' }, static: { value: lineage?.after ?? 3, method: 'test' } },
      lineage: lineage && { parent: { version: lineage.parent, sha256: '0'.repeat(64) }, validation: { threshold: { before: lineage.before, after: lineage.after } } },
    }) as unknown as ModelCard;

  it("is the card's validation scores, else its training scores", () => {
    expect(driftReference(card('1', 0.9))).toMatchObject({ mean: 0.9, std: 0.4 });
    const noValidation = { ...card('1', 0.9), errorStats: { train: stats(0.45) } } as unknown as ModelCard;
    expect(driftReference(noValidation).mean).toBe(0.45);
    expect(driftReference(noValidation).from).toContain('training');
  });

  it('follows the lineage while the bar was kept, to the card it was calibrated on', () => {
    const kept: Record<string, ModelCard> = { '1': card('1', 0.9), '2': card('2', 1.2, { parent: '1', before: 3, after: 3 }) };
    const v3 = card('3', 1.4, { parent: '2', before: 3, after: 3 });
    expect(calibrationReference(v3, (v) => kept[v]).mean).toBe(0.9);
    // A refitted bar is calibrated on the adapted card's own scores.
    const refit = card('3', 1.4, { parent: '2', before: 3, after: 3.4 });
    expect(calibrationReference(refit, (v) => kept[v]).mean).toBe(1.4);
    // A parent no longer kept: the nearest kept card.
    expect(calibrationReference(v3, (v) => (v === '2' ? kept['2'] : undefined)).mean).toBe(1.2);
  });

  it('counts half the windows that share a row as one by default; the trigger defaults to the schedule', () => {
    expect(defaultSpacing({ window: 16, stride: 1 })).toBe(8);
    expect(defaultSpacing({ window: 32, stride: 4 })).toBe(4);
    expect(defaultSpacing({ window: 2, stride: 4 })).toBe(1);
    expect(TriggerSchema.parse({})).toEqual({ kind: 'schedule', windows: 400, z: 3, spacing: null });
    expect(() => TriggerSchema.parse({ kind: 'timer' })).toThrow();
  });
});
