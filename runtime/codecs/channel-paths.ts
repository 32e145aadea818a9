/**
 * Where each model channel sits in a payload (`source.channels`): `{temp: "AM2301.Temperature"}` reads a nested
 * JSON payload such as Tasmota's `{"Time": ..., "AM2301": {"Temperature": 21.3}}` without retraining the model
 * under new channel names. For JSON codecs a path is dotted (`meters.0.power` indexes arrays); for Sparkplug it
 * is the metric's full name (`Inputs/Temperature`). Channels not mapped are read under their own name.
 */
import { z } from 'zod';

/** A dotted path: non-empty segments, no leading, trailing or doubled dots. */
const DOTTED = /^[^.]+(\.[^.]+)*$/;

/** Config: model channel name -> path in the payload. */
export const ChannelPathsSchema = z.record(
  z.string().min(1, 'expected a model channel name'),
  z.string().min(1).max(512).regex(DOTTED, 'expected a dotted path such as AM2301.Temperature (no empty segments: no leading, trailing or doubled dots)'),
);
/** Channel -> payload path, as configured. */
export type ChannelPaths = z.infer<typeof ChannelPathsSchema>;

/** Codecs that read channels by name, so a mapping applies to them (the others read by position or topic). */
export const PATH_CODECS = ['json', 'sparkplug'] as const;

/**
 * Check a mapping against the model's channels: every key must be a channel, and no two channels may share a
 * path. Throws one error naming each problem and the channels the model has.
 */
export function checkChannelPaths(paths: ChannelPaths | undefined, channels: readonly string[]): void {
  if (!paths) return;
  const problems: string[] = [];
  const byPath = new Map<string, string>();
  for (const [ch, path] of Object.entries(paths)) {
    if (!channels.includes(ch)) problems.push(`'${ch}' is not a channel of the model`);
    const other = byPath.get(path);
    if (other !== undefined) problems.push(`'${ch}' and '${other}' both read '${path}'`);
    byPath.set(path, ch);
  }
  if (problems.length) throw new Error(`source.channels: ${problems.join('; ')} (model channels: ${channels.join(', ')})`);
}

/** A value found at a path, or where the path ran out. */
export type PathLookup = { found: true; value: unknown } | { found: false; missing: string; at: string; keys: string[] };

/** Follow `path` (split on dots) from `root`; arrays are indexed by numeric segments. Own keys only. */
export function readPath(root: unknown, path: string): PathLookup {
  let v = root;
  const segs = path.split('.');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const isObj = typeof v === 'object' && v !== null;
    if (!isObj || !Object.hasOwn(v as object, s)) {
      const keys = isObj ? Object.keys(v as object).slice(0, 8) : [];
      return { found: false, missing: s, at: segs.slice(0, i).join('.'), keys };
    }
    v = (v as Record<string, unknown>)[s];
  }
  return { found: true, value: v };
}

/** Why a mapped path is not in a payload, for the dead-letter detail. */
export function missingPathText(channel: string, path: string, miss: Extract<PathLookup, { found: false }>): string {
  const where = miss.at ? `'${miss.at}' has no '${miss.missing}'` : `the payload has no '${miss.missing}'`;
  const seen = miss.keys.length ? `keys there: ${miss.keys.join(', ')}` : 'not an object there';
  return `source.channels maps '${channel}' to '${path}', but ${where} (${seen})`;
}
