/** Seeded randomness for training: same seed -> same init, same shuffles, same noise. */

/** A seeded uniform generator on [0, 1) (mulberry32: tiny, fast, good enough for init and shuffling). */
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
