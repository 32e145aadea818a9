/** Seeded randomness for training: same seed -> same init, same shuffles, same noise. */

import { mulberry32 } from '@vigil/runtime/util/prng.ts';

/** The runtime's seeded uniform generator (one implementation for training, simulators and fixtures). */
export { mulberry32 };

/** A seeded source of uniforms, normals, permutations and derived integer seeds. */
export class Rng {
  private readonly u: () => number;
  constructor(readonly seed: number) {
    this.u = mulberry32(seed);
  }
  /** Uniform on [0, 1). */
  uniform(): number {
    return this.u();
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u1 = Math.max(this.u(), 1e-12);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.u());
  }
  /** A fresh 31-bit integer seed, for tfjs ops that take one. */
  int(): number {
    return Math.floor(this.u() * 0x7fffffff);
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
