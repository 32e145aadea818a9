/** The LRU rule the per-sensor maps share (runtime/util/lru.ts): hits become most recent, the oldest goes first. */
import { describe, expect, it } from 'vitest';
import { lruGet } from '../../runtime/util/lru.ts';

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
