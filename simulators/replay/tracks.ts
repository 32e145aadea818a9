/**
 * Replay input: CSV files (NAB `timestamp,value` or wide `timestamp,<channels>`), one sensor per file, the
 * sensor id taken from the file name. A directory is searched recursively; files that cannot be read are
 * reported and set aside, never fatal unless nothing is left.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readCsv, type FillPolicy } from '@vigil/runtime/data/csv.ts';
import type { Series } from '@vigil/runtime/data/series.ts';

/** One sensor's recorded data. */
export interface Track {
  sensor: string;
  file: string;
  series: Series;
}

/** Files never treated as sensor data (ground truth and metadata written next to data). */
const NOT_DATA = new Set(['labels.csv']);

/** Sensor id from a file name: the base name without `.csv`, with MQTT-unsafe characters replaced. */
export function sensorFromFile(file: string): string {
  return basename(file, extname(file)).replace(/[#+/\s]+/g, '_');
}

/**
 * The tracks with `sensor` as the one sensor's id (`--sensor`): a run's file is often named alike across runs (the
 * plant set's `plant-01/test.csv`: every run replayed as sensor `test`, a probe). For one file only: a folder's
 * files would all take one id.
 */
export function namedTrack(tracks: Track[], sensor: string): Track[] {
  if (tracks.length !== 1) throw new Error(`--sensor ${sensor}: names the one sensor of a single file, and --data holds ${tracks.length} files; replay them by file name, or one at a time`);
  if (!/^[^#+/\s]+$/.test(sensor)) throw new Error(`--sensor ${JSON.stringify(sensor)}: expected a sensor id without '#', '+', '/' or spaces (it is a topic level)`);
  return [{ ...tracks[0], sensor }];
}

/** List the CSV files of a path (a file, or a directory searched recursively), sorted. */
export function listCsvFiles(path: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new Error(`--data ${path}: no such file or directory; expected a CSV file or a folder of CSV files`);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.toLowerCase().endsWith('.csv') && !NOT_DATA.has(e.name.toLowerCase())) out.push(p);
    }
  };
  walk(path);
  return out;
}

/** Result of loading: the tracks, and the files set aside with the reason. */
export interface LoadedTracks {
  tracks: Track[];
  skipped: { file: string; reason: string }[];
}

/** How replay reads its files: the CSV reader's column rule (label columns never published unless named). */
export interface TrackOptions {
  fill?: FillPolicy;
  /** Only these columns, in this order (a label column named here is published). */
  channels?: string[];
  /** Columns never published. */
  ignore?: string[];
  /** Told what the reader set aside or filled, per file. */
  onNote?: (note: string) => void;
}

/** Read every CSV under `path` into tracks; duplicate sensor ids get a numeric suffix so none is shadowed. */
export function loadTracks(path: string, opts: TrackOptions = {}): LoadedTracks {
  const files = listCsvFiles(path);
  const tracks: Track[] = [];
  const skipped: LoadedTracks['skipped'] = [];
  const seen = new Map<string, number>();
  for (const file of files) {
    try {
      // A channel mostly filled is no signal (its forward fill a flat line a live vigil calls stuck): refused, as train does.
      const series = readCsv(file, { fill: opts.fill ?? 'ffill', channels: opts.channels, ignore: opts.ignore, onNote: opts.onNote, ignorable: true, maxFilledShare: 0.5 });
      let sensor = sensorFromFile(file);
      const n = seen.get(sensor) ?? 0;
      seen.set(sensor, n + 1);
      if (n > 0) sensor = `${sensor}_${n + 1}`;
      tracks.push({ sensor, file, series });
    } catch (err) {
      skipped.push({ file, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  if (tracks.length === 0) {
    const why = skipped.length ? `; every file was set aside:\n${skipped.map((s) => `  ${s.reason}`).join('\n')}` : '';
    throw new Error(`--data ${path}: no readable CSV files${why}`);
  }
  return { tracks, skipped };
}
