/**
 * Seeded pseudo-random numbers: small, fast and reproducible across platforms (no Math.random anywhere in the
 * generators). sfc32 state seeded through a 32-bit string/number hash, so every sensor and every purpose
 * (base signal vs injected anomalies) gets its own independent stream from one user-facing seed.
 */

/** A seeded random source. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

import { hash32 } from '@vigil/runtime/util/prng.ts';

/** Hash any mix of numbers and strings to a 32-bit unsigned integer (the runtime's FNV-1a + avalanche). */
export { hash32 };

/** Create an independent random stream for a seed and a purpose, e.g. `createRng(seed, 'pump-00007', 'base')`. */
export function createRng(...seedParts: (string | number)[]): Rng {
  let a = hash32(...seedParts, 'a');
  let b = hash32(...seedParts, 'b');
  let c = hash32(...seedParts, 'c');
  let d = 1;
  const next = (): number => {
    // sfc32: passes PractRand to large sizes and needs only 32-bit integer ops.
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
  for (let i = 0; i < 12; i++) next();
  let spare = NaN;
  const rng: Rng = {
    uniform: next,
    normal() {
      if (!Number.isNaN(spare)) {
        const s = spare;
        spare = NaN;
        return s;
      }
      let u = next();
      while (u <= 1e-12) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    between: (lo, hi) => lo + next() * (hi - lo),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
  return rng;
}
