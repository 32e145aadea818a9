/**
 * The reservoir file: the one format the runtime writes (runtime/adapt/reservoir.ts) and `vigil adapt --reservoir`
 * reads (train/adapt/reservoir-windows.ts). JSON; each window's values are float32 little-endian in base64, in the
 * sensor's original units (not scaled), so a file outlives a change of scaler and adapt scales it with the card it
 * adapts. Written whole or not at all (runtime/util/atomic-write.ts). The runtime writes it with
 * `writeReservoirAsync`: a full reservoir is megabytes (5,000 windows of 32 x 8: 7 MB, 140-450 ms to encode, write
 * and fsync in one go on this machine), which must not stall the inference path on the same thread.
 */
import { readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Scaler } from '../scaling/scaler.ts';
import type { Detection } from '../stream/types.ts';
import { tempPathFor, writeFileAtomic } from '../util/atomic-write.ts';

/** The `format` field of every reservoir file. */
export const RESERVOIR_FORMAT = 'vigil-reservoir';
const FORMAT_VERSION = 1;

/** One window as kept: sensor, first and last row's time (epoch ms), W x C values in original units. */
export interface StoredWindow {
  sensor: string;
  tsFirst: number;
  tsLast: number;
  data: Float32Array;
  /**
   * True when a row of the window had a channel forward-filled (SensorWindow.filled): the stuck-sensor check does not
   * judge it when the window is scored again (a second opinion), as it did not live.
   */
  filled?: boolean;
}

/** A detection's window in original units (the pipeline's are scaled), copied out of the pipeline's buffer. */
export function storedWindow(d: Detection, scaler: Scaler): StoredWindow {
  const v = d.verdict;
  const C = scaler.scale.length;
  const data = new Float32Array(v.data.length);
  for (let i = 0; i < data.length; i++) data[i] = v.data[i] * scaler.scale[i % C] + scaler.offset[i % C];
  return { sensor: v.sensor, tsFirst: v.tsFirst, tsLast: v.tsLast, data, ...(v.filled ? { filled: true } : {}) };
}

/** The windows of one alert, kept so an adaptation can check the alert would still be raised. */
export interface StoredCanary {
  sensor: string;
  /** When the alert opened and closed (closed: null while it is open). */
  from: number;
  to: number | null;
  windows: StoredWindow[];
}

/** The model a reservoir belongs to (its input shape). */
export interface ReservoirModel {
  name: string;
  window: number;
  channels: string[];
}

/** The drift trigger's reference (drift-signal.ts), kept so a restart does not take a drift as the new normal. */
export interface SavedDriftReference {
  /** The model version whose scores it is. */
  version: string;
  mean: number;
  std: number;
  count: number;
}

/** Everything a reservoir file holds. */
export interface ReservoirSnapshot {
  model: ReservoirModel;
  /** Clearly normal windows, oldest first. */
  windows: StoredWindow[];
  canaries: StoredCanary[];
  /** Windows that entered since the last adaptation attempt (the trigger counts them). */
  fresh: number;
  /** Per sensor, the data time until which its windows stay out (guard band after an incident). */
  guards: Record<string, number>;
  drift?: SavedDriftReference;
  /**
   * Wall-clock ms of the last adaptation attempt, so a restart does not put the next one off by a whole `everyMs`
   * (a probe: a gateway restarted more often than every 6 h never adapted). Absent: none recorded.
   */
  attemptedAt?: number;
}

const WindowJson = z.object({ s: z.string(), a: z.number(), b: z.number(), d: z.string(), f: z.literal(1).optional() }).strict();
const FileSchema = z
  .object({
    format: z.literal(RESERVOIR_FORMAT),
    version: z.literal(FORMAT_VERSION),
    model: z.object({ name: z.string(), window: z.number().int().positive(), channels: z.array(z.string()).min(1) }).strict(),
    savedAt: z.string(),
    fresh: z.number().int().nonnegative(),
    guards: z.record(z.string(), z.number()),
    drift: z.object({ version: z.string(), mean: z.number(), std: z.number().nonnegative(), count: z.number().int().positive() }).strict().optional(),
    attemptedAt: z.number().optional(),
    windows: z.array(WindowJson),
    canaries: z.array(z.object({ sensor: z.string(), from: z.number(), to: z.number().nullable(), windows: z.array(WindowJson) }).strict()),
  })
  .strict();

/** Bytes one window takes in the file (base64 of its float32 values plus the JSON around them), bar the sensor id. */
export function storedWindowBytes(window: number, channels: number): number {
  return 4 * Math.ceil((window * channels * 4) / 3) + 64;
}

const encodeWindow = (w: StoredWindow) => ({ s: w.sensor, a: w.tsFirst, b: w.tsLast, d: Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('base64'), ...(w.filled ? { f: 1 as const } : {}) });

function decodeWindow(w: z.infer<typeof WindowJson>, per: number, where: string): StoredWindow {
  const bytes = Buffer.from(w.d, 'base64');
  if (bytes.length !== per * 4) throw new Error(`${where}: a window of sensor '${w.s}' holds ${bytes.length / 4} values; expected ${per} (window x channels)`);
  // Copy into an aligned buffer: a Buffer's bytes may start at an offset that is not a multiple of 4.
  const data = new Float32Array(per);
  new Uint8Array(data.buffer).set(bytes);
  return { sensor: w.s, tsFirst: w.a, tsLast: w.b, data, ...(w.f ? { filled: true } : {}) };
}

/** The file text of a snapshot. */
export function encodeReservoir(s: ReservoirSnapshot): string {
  return JSON.stringify({
    format: RESERVOIR_FORMAT,
    version: FORMAT_VERSION,
    model: s.model,
    savedAt: new Date().toISOString(),
    fresh: s.fresh,
    guards: s.guards,
    drift: s.drift,
    attemptedAt: s.attemptedAt,
    windows: s.windows.map(encodeWindow),
    canaries: s.canaries.map((c) => ({ sensor: c.sensor, from: c.from, to: c.to, windows: c.windows.map(encodeWindow) })),
  });
}

/** Parse and check a reservoir file's text; throws naming `where` and what was expected. */
export function decodeReservoir(text: string, where: string): ReservoirSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message}); expected a reservoir file written by vigil run`);
  }
  const r = FileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${where}: not a reservoir file of this version (${i.path.join('.') || 'top level'}: ${i.message})`);
  }
  const f = r.data;
  const per = f.model.window * f.model.channels.length;
  return {
    model: f.model,
    fresh: f.fresh,
    guards: f.guards,
    ...(f.drift ? { drift: f.drift } : {}),
    ...(f.attemptedAt !== undefined ? { attemptedAt: f.attemptedAt } : {}),
    windows: f.windows.map((w) => decodeWindow(w, per, where)),
    canaries: f.canaries.map((c) => ({ sensor: c.sensor, from: c.from, to: c.to, windows: c.windows.map((w) => decodeWindow(w, per, where)) })),
  };
}

/** Read a reservoir file. */
export function readReservoir(path: string): ReservoirSnapshot {
  return decodeReservoir(readFileSync(path, 'utf8'), path);
}

/** Write a reservoir file atomically. */
export function writeReservoir(path: string, s: ReservoirSnapshot): void {
  writeFileAtomic(path, encodeReservoir(s));
}

/** Windows encoded between two yields to the event loop. */
const CHUNK = 64;

/**
 * Write a reservoir file atomically without blocking the event loop for long: encoded and written a chunk of
 * windows at a time (yielding between chunks), fsynced and renamed through the thread pool. Same text as
 * `encodeReservoir`.
 */
export async function writeReservoirAsync(path: string, s: ReservoirSnapshot): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', 0o644);
  let ok = false;
  try {
    const head = JSON.stringify({ format: RESERVOIR_FORMAT, version: FORMAT_VERSION, model: s.model, savedAt: new Date().toISOString(), fresh: s.fresh, guards: s.guards, drift: s.drift, attemptedAt: s.attemptedAt });
    await fh.write(`${head.slice(0, -1)},"windows":[`);
    for (let at = 0; at < s.windows.length; at += CHUNK) {
      await new Promise((r) => setImmediate(r));
      const part = s.windows.slice(at, at + CHUNK).map((w) => JSON.stringify(encodeWindow(w))).join(',');
      await fh.write(at ? `,${part}` : part);
    }
    await fh.write(`],"canaries":${JSON.stringify(s.canaries.map((c) => ({ sensor: c.sensor, from: c.from, to: c.to, windows: c.windows.map(encodeWindow) })))}}`);
    await fh.sync();
    ok = true;
  } finally {
    await fh.close();
    if (!ok) await unlink(tmp).catch(() => {});
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  await dir?.sync().catch(() => {});
  await dir?.close();
}

/** The configured path for a model: `{name}` replaced by the model's name. */
export function reservoirPath(template: string, modelName: string): string {
  return template.replaceAll('{name}', modelName);
}
