/**
 * Seeded pseudo-random numbers and a stable string hash, shared by training (init, shuffles), the simulators
 * (per-sensor streams), fleet partitioning and test fixtures: one implementation, so the same seed gives the
 * same numbers everywhere and no copy can drift.
 */

/** A seeded uniform generator on [0, 1) (mulberry32: tiny, fast, good enough for init, shuffling and fixtures). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Hash a string, or any mix of numbers and strings (joined by NUL), to a 32-bit unsigned integer: FNV-1a over
 * UTF-16 code units, then the murmur3 fmix32 avalanche, because FNV alone clusters keys that differ only in
 * their last characters (pump-001, pump-002). Stable across processes, machines and versions.
 */
export function hash32(...parts: (string | number)[]): number {
  const text = parts.length === 1 ? String(parts[0]) : parts.join('\u0000');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit reaches every output bit; an unsigned 32-bit result. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
