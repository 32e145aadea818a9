/** A Map used as a least-recently-used cache (a Map iterates in insertion order: the first key is the oldest). */

/**
 * The value for `key`, made the most recent, or undefined when absent (nothing is added). Hot callers ask this first
 * and add on a miss (`lruTouch(m, k) ?? lruAdd(m, k, make(), max)`): a hit costs one lookup, a miss one lookup and an
 * insert, and no closure is allocated per reading.
 */
export function lruTouch<K, V>(map: Map<K, V>, key: K): V | undefined {
  const v = map.get(key);
  if (v !== undefined) {
    map.delete(key);
    map.set(key, v);
  }
  return v;
}

/**
 * Add `value` for `key`, which the caller found absent (`lruTouch`), as the most recent, first dropping the least
 * recently used entry when `max` are held (`onEvict` is told which); returns `value`.
 */
export function lruAdd<K, V>(map: Map<K, V>, key: K, value: V, max: number, onEvict?: (key: K, value: V) => void): V {
  if (map.size >= max) {
    const [oldest, old] = map.entries().next().value as [K, V];
    map.delete(oldest);
    onEvict?.(oldest, old);
  }
  map.set(key, value);
  return value;
}

/**
 * The value for `key`, made the most recent; absent, it is made with `make` and added, first dropping the least
 * recently used entry when `max` are held (`onEvict` is told which).
 */
export function lruGet<K, V>(map: Map<K, V>, key: K, make: () => V, max: number, onEvict?: (key: K, value: V) => void): V {
  return lruTouch(map, key) ?? lruAdd(map, key, make(), max, onEvict);
}
