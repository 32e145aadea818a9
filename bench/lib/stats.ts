/** Order statistics the benches report. */

/** The `p` quantile of `xs` (nearest rank, no interpolation); undefined for an empty list. */
export function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** The median of `xs` (the upper middle for an even count), i.e. `quantile(xs, 0.5)`. */
export const median = (xs: number[]): number => quantile(xs, 0.5);
