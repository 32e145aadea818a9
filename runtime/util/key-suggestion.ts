/**
 * "Did you mean" for a key a strict schema does not know: the object's own keys at that path, matched without case
 * and within two edits (a probe wrote `openk` for `openK` and got only "Unrecognized key").
 */
import type { z } from 'zod';

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object shapes a schema may have at `path` (through defaults, optionals, unions, arrays and records). */
function shapesAt(schema: z.ZodType, path: readonly PropertyKey[]): Record<string, z.ZodType>[] {
  const d = defOf(schema);
  const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
  if (inner) return shapesAt(inner, path);
  if (d.type === 'union') return (d.options ?? []).flatMap((o) => shapesAt(o, path));
  if (path.length === 0) return d.type === 'object' && d.shape ? [d.shape] : [];
  const [head, ...rest] = path;
  if (d.type === 'object' && d.shape && typeof head === 'string' && d.shape[head]) return shapesAt(d.shape[head], rest);
  if (d.type === 'array' && d.element) return shapesAt(d.element, rest);
  if (d.type === 'record' && d.valueType) return shapesAt(d.valueType, rest);
  return [];
}

/** Edit distance of two short strings (keys): insertions, deletions, substitutions and swaps of neighbours each count 1. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The keys the schema knows at `path` (every shape it may have there), in schema order. */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(shapesAt(schema, path).flatMap((s) => Object.keys(s)))];
}

/** The key the schema knows at `path` that `key` most likely meant, or undefined. */
export function suggestKey(schema: z.ZodType, path: readonly PropertyKey[], key: string): string | undefined {
  const known = knownKeys(schema, path);
  const lower = key.toLowerCase();
  const same = known.find((k) => k.toLowerCase() === lower);
  if (same) return same;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  const allowed = key.length < 3 ? 0 : Math.min(2, Math.max(1, Math.floor(key.length / 3)));
  return best !== undefined && bestD <= allowed ? best : undefined;
}
