/** The LRU rule the per-sensor maps share (runtime/util/lru.ts): hits become most recent, the oldest goes first. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LruMap, lruAdd, lruGet, lruTouch } from '../../runtime/util/lru.ts';
import { ThresholdBank } from '../../runtime/stream/threshold-bank.ts';
import { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import { checkPolicy } from '../../runtime/alerts/tracker.ts';
import { SilentSensors } from '../../runtime/alerts/silent-sensors.ts';
import { ResidualBaselines } from '../../runtime/scoring/residual-baselines.ts';
import { StaticThreshold } from '../../runtime/thresholds/static.ts';

describe('lruGet', () => {
  it('creates once, moves a hit to the back, and evicts the least recently used when full', () => {
    const m = new Map<string, { n: string }>();
    const evicted: string[] = [];
    const get = (k: string) => lruGet(m, k, () => ({ n: k }), 2, (key) => evicted.push(key));
    const a = get('a');
    get('b');
    expect(get('a')).toBe(a);
    get('c');
    expect(evicted).toEqual(['b']);
    expect([...m.keys()]).toEqual(['a', 'c']);
    get('a');
    get('d');
    expect(evicted).toEqual(['b', 'c']);
    expect([...m.keys()]).toEqual(['a', 'd']);
  });
});

describe('LruMap', () => {
  it('keeps the recency order beside the table: a hit re-inserts nothing (no deleted slots for V8 to rebuild the table over)', () => {
    const m = new LruMap<string, number>();
    const evicted: string[] = [];
    for (const k of ['a', 'b', 'c']) lruGet(m, k, () => k.charCodeAt(0), 3, (key) => evicted.push(key));
    expect(lruTouch(m, 'a')).toBe(97);
    // The Map's own (insertion) order is untouched: the hit moved a list node, not a table entry.
    expect([...Map.prototype.keys.call(m)]).toEqual(['a', 'b', 'c']);
    expect([...m.keys()]).toEqual(['b', 'c', 'a']);
    expect(m.oldest()).toEqual(['b', 98]);
    lruGet(m, 'd', () => 100, 3, (key) => evicted.push(key));
    expect(evicted).toEqual(['b']);
    expect([...m]).toEqual([['c', 99], ['a', 97], ['d', 100]]);
    expect([...m.values()]).toEqual([99, 97, 100]);
    // A known key set again keeps its place, as Map.set does.
    m.set('c', 1);
    expect([...m.keys()]).toEqual(['c', 'a', 'd']);
    expect(m.size).toBe(3);
  });

  it('takes the entries it is built with into its recency order, as a Map does', () => {
    // Map's constructor sets them before the list exists: they were in the table but never iterated, and the first
    // eviction of a full map found no oldest entry.
    const m = new LruMap<string, number>([['a', 1], ['b', 2]]);
    expect([[...m.keys()], m.oldest()]).toEqual([['a', 'b'], ['a', 1]]);
    expect(lruAdd(m, 'c', 3, 2)).toBe(3);
    expect([...m]).toEqual([['b', 2], ['c', 3]]);
  });

  it('survives deletes during an iteration, the current entry or the next one', () => {
    const m = new LruMap<string, number>();
    for (const [i, k] of ['a', 'b', 'c', 'd', 'e'].entries()) m.set(k, i);
    const seen: string[] = [];
    for (const [k] of m) {
      seen.push(k);
      if (k === 'a') m.delete('a');
      if (k === 'b') m.delete('c');
    }
    expect(seen).toEqual(['a', 'b', 'd', 'e']);
    expect([...m.keys()]).toEqual(['b', 'd', 'e']);
    m.clear();
    expect([m.size, m.oldest(), [...m]]).toEqual([0, undefined, []]);
    m.set('x', 1);
    expect([...m]).toEqual([['x', 1]]);
  });
});

describe('a per-sensor map on a miss', () => {
  afterEach(() => vi.restoreAllMocks());

  /**
   * Lookups (get or has) of `sensor` in the map `held` of `owner`, its own table or its recency list's, while `call`
   * runs, first seen and then seen again.
   */
  const lookups = (owner: object, field: string, sensor: string, call: () => void): number[] => {
    const held = (owner as Record<string, unknown>)[field] as object;
    const tables = [held, (held as { nodes?: unknown }).nodes];
    const get = vi.spyOn(Map.prototype, 'get');
    const has = vi.spyOn(Map.prototype, 'has');
    const of = (spy: typeof get | typeof has) => spy.mock.calls.filter((args, i) => args[0] === sensor && tables.includes(spy.mock.contexts[i])).length;
    const count = () => of(get) + of(has);
    call();
    const miss = count();
    call();
    const hit = count() - miss;
    get.mockRestore();
    has.mockRestore();
    return [miss, hit];
  };

  it('costs one lookup, as a hit does (a review: lruTouch(...) ?? lruGet(...) looked a missing sensor up twice; a hit looked up the map and then its recency node, at every reading)', () => {
    const m = new Map<string, number>();
    expect(lruTouch(m, 'a') ?? lruAdd(m, 'a', 1, 1)).toBe(1);
    expect(lruTouch(m, 'b') ?? lruAdd(m, 'b', 2, 1, (k) => expect(k).toBe('a'))).toBe(2);
    expect([...m]).toEqual([['b', 2]]);
    const thresholds = new ThresholdBank(() => new StaticThreshold(1));
    expect(lookups(thresholds, 'held', 's', () => thresholds.get('s'))).toEqual([1, 1]);
    const alerts = new AlertBank(checkPolicy({ openK: 1, openN: 1, closeM: 2, cooldownMs: 0 }));
    expect(lookups(alerts, 'held', 's', () => alerts.get('s'))).toEqual([1, 1]);
    const silence = new SilentSensors({ factor: 10, minMs: 1000, maxSensors: 100 });
    expect(lookups(silence, 'sensors', 's', () => silence.heard('s', 0, 0))).toEqual([1, 1]);
    const residuals = new ResidualBaselines({ mean: [0], precision: [1], shrinkage: 0, windows: 10, method: 'test' });
    expect(lookups(residuals, 'held', 's', () => residuals.of('s'))).toEqual([1, 1]);
  });
});
