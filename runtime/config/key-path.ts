/**
 * Reading a raw (unchecked) config at a zod issue's key path: the error messages that quote what a file wrote
 * (load.ts, flag-spelling.ts, number-text.ts) read it through this one function.
 */

/** The value at a key path of a raw config (object keys and list indices), or undefined. */
export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}
