/**
 * Seeded pseudo-random numbers and a stable string hash, shared by training (init, shuffles), the simulators
 * (per-sensor streams), fleet partitioning and test fixtures: one implementation, so the same seed gives the
 * same numbers everywhere and no copy can drift.
 *
 * One `Rng` type with two seedings, because data and models already depend on each sequence: `new Rng(seed)`
 * (mulberry32, one normal per two uniforms) draws training's initial weights, shuffles and noise, and
 * `createRng(...parts)` (sfc32 keyed by a hash of the parts, both normals of a Box-Muller pair used) draws every
 * simulated pump and plant. Making them one sequence would change every trained model and generated data set.
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

/** A uniform generator on [0, 1) from four 32-bit words (sfc32: passes PractRand to large sizes, 32-bit integer ops only). */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** How `normal()` turns uniforms into normals; fixed per stream so its sequence never changes. */
type NormalDraw = 'single' | 'pair';

/** A seeded source of uniforms, normals, integers, picks and permutations. */
export class Rng {
  private readonly u: () => number;
  private spare = NaN;

  /** The training stream of an integer seed (mulberry32); `createRng` makes a simulator's stream. */
  constructor(seed: number);
  /** A stream over any uniform source; `pair` keeps the second normal of each Box-Muller pair. */
  constructor(uniform: () => number, normals: NormalDraw);
  constructor(source: number | (() => number), private readonly normals: NormalDraw = 'single') {
    this.u = typeof source === 'number' ? mulberry32(source) : source;
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return this.u();
  }

  /** Standard normal N(0, 1) (Box-Muller). */
  normal(): number {
    if (this.normals === 'single') {
      const u1 = Math.max(this.u(), 1e-12);
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.u());
    }
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = this.u();
    while (u <= 1e-12) u = this.u();
    const v = this.u();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [lo, hi] inclusive; without bounds a fresh 31-bit seed, for tfjs ops that take one. */
  int(lo = 0, hi = 0x7ffffffe): number {
    return lo + Math.floor(this.u() * (hi - lo + 1));
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + this.u() * (hi - lo);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.u() * items.length)];
  }

  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.u() * (i + 1));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

/**
 * An independent stream for a seed and a purpose, e.g. `createRng(seed, 'pump-00007', 'base')`: every sensor and
 * every purpose (base signal vs injected anomalies) gets its own stream from one user-facing seed.
 */
export function createRng(...seedParts: (string | number)[]): Rng {
  const next = sfc32(hash32(...seedParts, 'a'), hash32(...seedParts, 'b'), hash32(...seedParts, 'c'), 1);
  for (let i = 0; i < 12; i++) next();
  return new Rng(next, 'pair');
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
