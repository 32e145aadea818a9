/** The threshold factory: validation messages, card defaults and warm start, restore errors; smoothing. */
import { describe, expect, it } from 'vitest';
import { createThreshold, parseThresholdConfig, restoreThreshold, THRESHOLD_KINDS } from '../../runtime/thresholds/factory.ts';
import { seedFromCard } from '../../runtime/thresholds/seed.ts';
import { createSmoother, restoreSmoother } from '../../runtime/scoring/smoothing.ts';
import { cardFor, noiseSource } from '@vigil/fixtures/thresholds.ts';

const nz = noiseSource(11, 'gamma', 0);
const card = cardFor(Array.from({ length: 2000 }, () => 0.02 * nz()));

describe('createThreshold', () => {
  it('rejects unknown kinds, listing the known ones', () => {
    expect(() => createThreshold({ kind: 'magic' })).toThrow(/threshold\.kind: expected one of static, quantile, ewma, mad, spot, dspot, telemanom; got "magic"/);
    expect(() => createThreshold('spot')).toThrow(/expected an object/);
  });

  it('names the bad key and what was expected', () => {
    expect(() => createThreshold({ kind: 'spot', q: 2 })).toThrow(/threshold\.q: .*0\.5/);
    expect(() => createThreshold({ kind: 'ewma', alpha: 'fast' })).toThrow(/threshold\.alpha: .*number/);
    expect(() => createThreshold({ kind: 'quantile', window: 50, minCount: 80 })).toThrow(/threshold\.minCount: minCount must be <= window/);
    expect(() => createThreshold({ kind: 'mad', kk: 3 })).toThrow(/kk/);
    expect(() => createThreshold({ kind: 'static' })).toThrow(/threshold\.value/);
  });

  it('fills defaults and takes the static level from the card', () => {
    expect(parseThresholdConfig({ kind: 'dspot' })).toMatchObject({ kind: 'dspot', q: 3e-4, depth: 100, learnFromAnomalies: false, holdoff: 20 });
    expect(createThreshold({ kind: 'static' }, card).current()).toBe(card.threshold.static.value);
    expect(createThreshold({ kind: 'static', value: 0.5 }, card).current()).toBe(0.5);
  });

  it('warm-starts every adaptive kind from the card so the first window is decided sensibly', () => {
    const seed = seedFromCard(card)!;
    for (const kind of THRESHOLD_KINDS) {
      const level = createThreshold({ kind }, card).current();
      // Between the typical error and a few times the static level, never 0 or Infinity.
      expect(level, kind).toBeGreaterThan(seed.median);
      expect(level, kind).toBeLessThan(3 * card.threshold.static.value);
      expect(createThreshold({ kind: kind === 'static' ? 'ewma' : kind }).current(), `${kind} without card`).toBe(Infinity);
    }
  });

  it('restoreThreshold reports a damaged state instead of restoring garbage', () => {
    const t = createThreshold({ kind: 'spot', nInit: 50 }, card);
    for (let i = 0; i < 120; i++) t.update(0.02 * nz(), false);
    const good = JSON.parse(JSON.stringify(t.toJSON()));
    expect(restoreThreshold(good, card).current()).toBe(t.current());
    expect(() => restoreThreshold({ ...good, state: { ...good.state, n: 'many' } }, card)).toThrow(/n must be a finite number/);
    expect(() => restoreThreshold({ ...good, config: { ...good.config, q: -1 } }, card)).toThrow(/saved threshold\.config\.q/);
    expect(() => restoreThreshold({ ...good, kind: 'nope' }, card)).toThrow(/kind: expected one of/);
  });
});

describe('smoothing', () => {
  it('ewma and moving mean smooth as defined and restore mid-stream identically', () => {
    const xs = Array.from({ length: 300 }, () => nz());
    for (const config of [{ kind: 'ewma', alpha: 0.3 }, { kind: 'mean', window: 7 }, { kind: 'none' }]) {
      const a = createSmoother(config);
      const full = xs.map((x) => a.smooth(x));
      const b = createSmoother(config);
      xs.slice(0, 123).forEach((x) => b.smooth(x));
      const c = restoreSmoother(JSON.parse(JSON.stringify(b.toJSON())));
      expect(xs.slice(123).map((x) => c.smooth(x))).toEqual(full.slice(123));
    }
    const m = createSmoother({ kind: 'mean', window: 3 });
    expect([3, 6, 9, 12].map((x) => m.smooth(x))).toEqual([3, 4.5, 6, 9]);
    const e = createSmoother({ kind: 'ewma', alpha: 0.5 });
    expect([4, 8, 0].map((x) => e.smooth(x))).toEqual([4, 6, 3]);
    expect(e.smooth(NaN)).toBeNaN();
    expect(e.smooth(2)).toBe(2.5);
  });

  it('rejects bad smoothing config with the key named', () => {
    expect(() => createSmoother({ kind: 'median' })).toThrow(/smoothing\.kind: expected one of none, ewma, mean/);
    expect(() => createSmoother({ kind: 'ewma', alpha: 3 })).toThrow(/alpha/);
  });
});
