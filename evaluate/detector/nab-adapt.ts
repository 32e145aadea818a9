/**
 * vigil's NAB detector with adaptation on (detector config `adapt: true`; `vigil evaluate nab --detector vigil
 * --config CONFIG`): the file, after the model was trained on its probationary rows, is streamed through the real
 * runtime (`vigil run`'s pipeline, runtime-gateway.ts) as one sensor, adaptation on at its defaults bar `everyMs` 0
 * (the rows arrive far faster than their data time; `minNewWindows` is the gate) and `replay`, the probationary rows
 * (the detector trains from memory, so its card names no training file). The runtime's per-row scores are then
 * calibrated and scored as the detector's own. bench/adapt-real.ts compares it with adaptation off on NAB and TEP.
 */
import { join } from 'node:path';
import type { Series } from '@vigil/runtime';
import type { RunConfigInput } from '@vigil/runtime/config/schema.ts';
import { writeSeriesCsv } from '@vigil/train/uses/write-csv.ts';
import type { NabFile } from '../nab/corpus.ts';
import { countDecisions, startGateway, type Decision } from './runtime-gateway.ts';

/**
 * The rows whose timestamp is later than every one before: what a gateway records of the file (it drops a repeated
 * timestamp as a conflict) and what `vigil adapt` accepts (a few NAB files repeat one, e.g. at a daylight-saving change).
 */
export function increasing(s: Series): Series {
  const C = s.channels.length;
  const keep: number[] = [];
  for (let r = 0; r < s.timestamps.length; r++) if (!keep.length || s.timestamps[r] > s.timestamps[keep[keep.length - 1]]) keep.push(r);
  if (keep.length === s.timestamps.length) return s;
  const data = new Float32Array(keep.length * C);
  keep.forEach((r, i) => data.set(s.data.subarray(r * C, (r + 1) * C), i * C));
  return { timestamps: Float64Array.from(keep, (r) => s.timestamps[r]), channels: s.channels, data };
}

/** The runtime's per-row score (0 before the first full window and on a row repeating a timestamp, as scoreSeries leaves them). */
export function rowScores(f: NabFile, v: Map<number, { score: number }> | undefined): Float64Array {
  const seen = new Set<number>();
  return Float64Array.from(f.timestamps, (t) => (seen.has(t) ? 0 : (seen.add(t), v?.get(t)?.score ?? 0)));
}

/** Write the probationary rows of `all` (the file as the model's series) for `adapt.replay`; returns the path. */
export async function writeReplay(dir: string, all: Series, probation: number): Promise<string> {
  const C = all.channels.length;
  const path = join(dir, 'probation.csv');
  await writeSeriesCsv(path, increasing({ timestamps: all.timestamps.slice(0, probation), channels: all.channels, data: all.data.slice(0, probation * C) }));
  return path;
}

/**
 * The adaptation settings the detector (and bench/adapt-real.ts) runs with: the defaults, bar everyMs 0, files under
 * `dir`, and `replay` when the card names no training file.
 */
export function detectorAdapt(dir: string, replay?: string): RunConfigInput['adapt'] {
  return { enabled: true, everyMs: 0, reservoir: { file: join(dir, 'reservoir-{name}.json') }, ...(replay ? { replay } : {}) };
}

/** What streaming one file through the runtime gave: its per-row errors and what adaptation (if on) decided. */
export interface RuntimeRun {
  errors: Float64Array;
  decisions: Record<string, number>;
  detail: Decision[];
  /** The model version serving at the end ("1" when nothing was adapted). */
  version: string;
  /** The runtime's execution provider. */
  provider: string;
  /** Wall time of the streaming (the runtime's start and stop left out). */
  seconds: number;
}

/** Stream `all` (file `f` as the model's series) through the runtime serving `model` with `adapt` (on or off). */
export async function streamThroughRuntime(f: NabFile, all: Series, model: string, sensor: string, brokerUrl: string, adapt: RunConfigInput['adapt'], log?: (line: string) => void): Promise<RuntimeRun> {
  const g = await startGateway(model, brokerUrl, adapt, log);
  // Stopped either way; a failure to stop is reported only when streaming itself went well.
  let failed: unknown;
  const t0 = performance.now();
  await g.stream(sensor, all).catch((err: unknown) => void (failed = err ?? new Error('streaming failed')));
  const seconds = (performance.now() - t0) / 1000;
  await g.handle.stop().catch((err: unknown) => void (failed ??= err));
  if (failed) throw failed;
  return { errors: rowScores(f, g.verdicts.get(sensor)), decisions: countDecisions(g.decisions), detail: g.decisions, version: g.handle.card().version, provider: g.handle.provider(), seconds };
}
