/**
 * The schema's defaults by dotted key, for help texts and for code that runs without a config file. Read from the
 * schema itself (a minimal config parsed), so no second copy of a default exists.
 */
import type { z } from 'zod';
import { RunConfigSchema, type RunConfig } from './schema.ts';

/** The least config that validates: the required keys, and a fleet group and JetStream section so their defaults show too. */
const MINIMAL = { model: 'model', broker: { url: 'mqtt://localhost' }, source: { topics: ['sensors/+/data'] }, fleet: { group: 'group', jetstream: {} } };

let defaults: RunConfig | undefined;

/** Every default of the run config (required keys hold placeholders: ask `defaultAt`, which leaves them out). */
export function configDefaults(): RunConfig {
  defaults ??= RunConfigSchema.parse(MINIMAL);
  return defaults;
}

/** The default at a dotted config key; undefined where the key has none (required, or filled from the model card). */
export function defaultAt(path: string): unknown {
  if (['model', 'broker.url', 'source.topics', 'fleet.group'].includes(path)) return undefined;
  let v: unknown = configDefaults();
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The schema of one dotted config key, wrappers (optional, default) looked through. */
export function schemaAt(path: string): z.ZodType | undefined {
  type Node = { _zod?: { def?: { innerType?: Node } }; shape?: Record<string, Node> };
  let s: Node | undefined = RunConfigSchema as unknown as Node;
  for (const k of path.split('.')) {
    while (s?._zod?.def?.innerType) s = s._zod.def.innerType;
    s = s?.shape?.[k];
  }
  return s as z.ZodType | undefined;
}

/** Check one value against its config key's schema (for commands that take a key alone); the message, or undefined. */
export function problemAt(path: string, value: unknown): string | undefined {
  const res = schemaAt(path)?.safeParse(value);
  return res && !res.success ? res.error.issues.map((i) => i.message).join('; ') : undefined;
}
