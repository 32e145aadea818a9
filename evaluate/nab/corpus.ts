/**
 * A NAB-layout corpus on disk: `data/<category>/<name>.csv`, `labels/combined_windows.json`,
 * `config/profiles.json`. Windows are resolved to row indices once, so scoring never compares timestamps.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CsvRecords } from '@vigil/runtime/data/csv-records.ts';
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';

/** One data file of the corpus, with its labelled windows as inclusive row ranges. */
export interface NabFile {
  /** Path relative to `data/`, e.g. `realKnownCause/machine_temperature_system_failure.csv`. */
  path: string;
  /** Raw timestamp text per row, as in the data file. */
  rawTimestamps: string[];
  /** Epoch ms per row. */
  timestamps: Float64Array;
  /** The `value` column. */
  values: Float64Array;
  /** Labelled anomaly windows as inclusive `[startRow, endRow]`, in time order. */
  windows: Array<[number, number]>;
}

/** The weights of one NAB cost profile. */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  tnWeight: number;
}

/** A loaded corpus: files in a stable (sorted) order plus the cost profiles. */
export interface NabCorpus {
  root: string;
  files: NabFile[];
  profiles: Record<string, CostMatrix>;
}

const costMatrixSchema = z.object({
  tpWeight: z.number(),
  fpWeight: z.number(),
  fnWeight: z.number(),
  tnWeight: z.number().default(1),
});
const profilesSchema = z.record(z.string(), z.object({ CostMatrix: costMatrixSchema }));
const windowsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

/** Default corpus location: `../shared/datasets/nab` relative to the repository root. */
export function defaultNabRoot(): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return resolve(repoRoot, '..', 'shared', 'datasets', 'nab');
}

/** Read a NAB data file (`timestamp,value`); throws naming file and line on bad rows. */
export function readNabDataFile(file: string, label = file): Pick<NabFile, 'rawTimestamps' | 'timestamps' | 'values'> {
  const records = new CsvRecords(readFileSync(file, 'utf8'), { separator: ',', file: label });
  const header = records.next() ?? [];
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0) throw new Error(`${label}: header '${header.join(',')}' lacks timestamp and value columns; expected 'timestamp,value'`);
  const raw: string[] = [];
  const ts: number[] = [];
  const vs: number[] = [];
  for (let f = records.next(); f; f = records.next()) {
    const t = parseTimestamp(f[ti] ?? '');
    const v = Number(f[vi]);
    if (Number.isNaN(t) || !Number.isFinite(v)) {
      throw new Error(`${label}:${records.line}: '${f.join(',')}' is not 'timestamp,number'`);
    }
    raw.push(f[ti]);
    ts.push(t);
    vs.push(v);
  }
  return { rawTimestamps: raw, timestamps: Float64Array.from(ts), values: Float64Array.from(vs) };
}

/** Resolve `[start, end]` timestamp windows to row ranges; NAB requires both ends to be exact rows. */
export function windowsToRows(path: string, timestamps: Float64Array, windows: Array<[string, string]>): Array<[number, number]> {
  const index = new Map<number, number>();
  timestamps.forEach((t, i) => index.set(t, i));
  const rows = windows.map(([a, b]): [number, number] => {
    const s = index.get(parseTimestamp(a));
    const e = index.get(parseTimestamp(b));
    if (s === undefined || e === undefined || e < s) {
      throw new Error(`labels for ${path}: window [${a}, ${b}] does not match rows of the data file; NAB window limits must be exact timestamps of the file`);
    }
    return [s, e];
  });
  rows.sort((x, y) => x[0] - y[0]);
  return rows;
}

/** List data files (relative paths) under `data/`, sorted. */
function listDataFiles(dataDir: string): string[] {
  const out: string[] = [];
  for (const cat of readdirSync(dataDir, { withFileTypes: true })) {
    if (!cat.isDirectory()) continue;
    for (const f of readdirSync(join(dataDir, cat.name))) if (f.endsWith('.csv')) out.push(`${cat.name}/${f}`);
  }
  return out.sort();
}

/** Load cost profiles from `config/profiles.json` (NAB format). */
export function loadProfiles(file: string): Record<string, CostMatrix> {
  const parsed = profilesSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: expected {profile: {CostMatrix: {tpWeight, fpWeight, fnWeight}}}: ${parsed.error.message}`);
  return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, v.CostMatrix]));
}

/** Options to restrict which files of a corpus are loaded. */
export interface LoadCorpusOptions {
  /** Keep only files whose relative path contains one of these substrings. */
  only?: string[];
}

/** Load a NAB-layout folder; every labelled data file must exist and every data file must be labelled. */
export function loadNabCorpus(root: string = defaultNabRoot(), opts: LoadCorpusOptions = {}): NabCorpus {
  const dataDir = join(root, 'data');
  const windowsFile = join(root, 'labels', 'combined_windows.json');
  const profilesFile = join(root, 'config', 'profiles.json');
  for (const p of [dataDir, windowsFile, profilesFile]) {
    if (!existsSync(p)) throw new Error(`${root} is not a NAB-layout folder: missing ${p} (expected data/, labels/combined_windows.json, config/profiles.json)`);
  }
  const parsed = windowsSchema.safeParse(JSON.parse(readFileSync(windowsFile, 'utf8')));
  if (!parsed.success) throw new Error(`${windowsFile}: expected {"<category>/<file>.csv": [[start, end], ...]}: ${parsed.error.message}`);
  const labelled = parsed.data;
  let paths = listDataFiles(dataDir);
  const unlabelled = paths.filter((p) => !(p in labelled));
  if (unlabelled.length) throw new Error(`${windowsFile} has no entry for ${unlabelled.join(', ')}`);
  if (opts.only?.length) paths = paths.filter((p) => opts.only!.some((s) => p.includes(s)));
  const files = paths.map((path): NabFile => {
    const d = readNabDataFile(join(dataDir, path), path);
    return { path, ...d, windows: windowsToRows(path, d.timestamps, labelled[path]) };
  });
  return { root, files, profiles: loadProfiles(profilesFile) };
}
