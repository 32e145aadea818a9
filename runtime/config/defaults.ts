/**
 * The schema's defaults by dotted key, for help texts and for code that runs without a config file. Read from the
 * schema itself (a minimal config parsed), so no second copy of a default exists.
 */
import { RunConfigSchema, type RunConfig } from './schema.ts';

/** The least config that validates: the required keys, and a fleet group so the fleet section's defaults show too. */
const MINIMAL = { model: 'model', broker: { url: 'mqtt://localhost' }, source: { topics: ['sensors/+/data'] }, fleet: { group: 'group' } };

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
