/** A Map used as a least-recently-used cache (a Map iterates in insertion order: the first key is the oldest). */

/**
 * The value for `key`, made the most recent, or undefined when absent (nothing is added). Hot callers ask this first
 * and fall back on `lruGet` (`lruTouch(m, k) ?? lruGet(m, k, () => ...)`), so the closure that makes a value is
 * allocated only for a key that is missing, not once per reading.
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
 * The value for `key`, made the most recent; absent, it is made with `make` and added, first dropping the least
 * recently used entry when `max` are held (`onEvict` is told which).
 */
export function lruGet<K, V>(map: Map<K, V>, key: K, make: () => V, max: number, onEvict?: (key: K, value: V) => void): V {
  let v = lruTouch(map, key);
  if (v !== undefined) return v;
  v = make();
  if (map.size >= max) {
    const [oldest, value] = map.entries().next().value as [K, V];
    map.delete(oldest);
    onEvict?.(oldest, value);
  }
  map.set(key, v);
  return v;
}
