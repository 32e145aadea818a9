/**
 * Maps used as least-recently-used caches. A plain Map iterates in insertion order, so a hit made most recent by
 * `delete` + `set` keeps the oldest key first; but each such re-insert leaves a deleted slot behind, and V8 rebuilds
 * the whole table once they fill it: at 1,000 sensors a dozen touches per reading over five per-sensor maps rebuilt a
 * table of thousands of slots several times a second, tables that lived long enough to be promoted and die in the old
 * generation (bench/soak.ts, 2,000 readings/s: half of all scavenges, and RSS 147 MB without the re-inserts against
 * 189-199 MB with them). `LruMap` keeps the recency order in a linked list beside the Map instead, so a hit moves two
 * pointers and allocates nothing; it is a Map (its own iteration order is first insertion) for everything else.
 */

interface Node<K, V> {
  key: K;
  /** The key's value, the Map's own: a touch then costs one lookup (of the node), not two. */
  value: V;
  older: Node<K, V> | undefined;
  newer: Node<K, V> | undefined;
  /** Deleted: an iteration that holds it goes on to the entry that followed it. */
  gone?: true;
}

/**
 * A Map with a recency order, which its iterations follow (least recent first, as a Map used by `delete` + `set`
 * did): `touch` makes a key the most recent, `oldest` is the least recently touched or added. An iteration survives
 * deletes; a `touch` or a new key during one is not allowed.
 */
export class LruMap<K, V> extends Map<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  private head: Node<K, V> | undefined;
  private tail: Node<K, V> | undefined;

  /** A map of `entries`, the first the least recent (Map's constructor would set them before the list exists). */
  constructor(entries?: Iterable<readonly [K, V]> | null) {
    super();
    if (entries) for (const [key, value] of entries) this.set(key, value);
  }

  /** The value of `key`, made the most recent (undefined when absent: nothing is added). */
  touch(key: K): V | undefined {
    const n = this.nodes.get(key);
    if (n === undefined) return undefined;
    if (n !== this.tail) {
      this.unlink(n);
      this.append(n);
    }
    return n.value;
  }

  /** The least recently touched or added entry. */
  oldest(): [K, V] | undefined {
    const n = this.head;
    return n && [n.key, n.value];
  }

  private *nodesByRecency(): Generator<Node<K, V>> {
    for (let n = this.head; n !== undefined; ) {
      const next = n.newer;
      if (!n.gone) yield n;
      n = next;
    }
  }

  override *keys(): MapIterator<K> {
    for (const n of this.nodesByRecency()) yield n.key;
  }

  override *values(): MapIterator<V> {
    for (const n of this.nodesByRecency()) yield n.value;
  }

  override *entries(): MapIterator<[K, V]> {
    for (const n of this.nodesByRecency()) yield [n.key, n.value];
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(f: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) f.call(thisArg, v, k, this);
  }

  /** Set `key` (a new key becomes the most recent; a known one keeps its place, as Map.set does). */
  override set(key: K, value: V): this {
    const size = super.size;
    super.set(key, value);
    // A known key (the size did not change) has its node: only its value changes. A new key costs no lookup.
    if (super.size === size) {
      this.nodes.get(key)!.value = value;
      return this;
    }
    const n: Node<K, V> = { key, value, older: undefined, newer: undefined };
    this.nodes.set(key, n);
    this.append(n);
    return this;
  }

  override delete(key: K): boolean {
    const n = this.nodes.get(key);
    if (n) {
      this.nodes.delete(key);
      // Its link to what followed stays, for an iteration that holds it.
      const newer = n.newer;
      this.unlink(n);
      n.newer = newer;
      n.gone = true;
    }
    return super.delete(key);
  }

  override clear(): void {
    for (const n of this.nodes.values()) n.gone = true;
    this.nodes.clear();
    this.head = this.tail = undefined;
    super.clear();
  }

  private unlink(n: Node<K, V>): void {
    if (n.older) n.older.newer = n.newer;
    else this.head = n.newer;
    if (n.newer) n.newer.older = n.older;
    else this.tail = n.older;
    n.older = n.newer = undefined;
  }

  private append(n: Node<K, V>): void {
    n.older = this.tail;
    if (this.tail) this.tail.newer = n;
    else this.head = n;
    this.tail = n;
  }
}

/**
 * The value for `key`, made the most recent, or undefined when absent (nothing is added). Hot callers ask this first
 * and add on a miss (`lruTouch(m, k) ?? lruAdd(m, k, make(), max)`): a hit costs one lookup, a miss one lookup and an
 * insert, and no closure is allocated per reading. A plain Map (a cold one) is re-inserted.
 */
export function lruTouch<K, V>(map: Map<K, V>, key: K): V | undefined {
  if (map instanceof LruMap) return (map as LruMap<K, V>).touch(key);
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
    const [oldest, old] = (map instanceof LruMap ? (map as LruMap<K, V>).oldest() : map.entries().next().value) as [K, V];
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
