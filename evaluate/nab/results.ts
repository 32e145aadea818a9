/**
 * NAB result files: `<results>/<category>/<detector>_<name>.csv` with at least `timestamp,anomaly_score`
 * (NAB writes `timestamp,value,anomaly_score,label`). Read into per-file score arrays, or written from them.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { csvRecords } from '@vigil/runtime/data/csv-records.ts';
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';
import type { NabCorpus, NabFile } from './corpus.ts';
import type { DetectorScores } from './score.ts';
import { makeDirs } from '@vigil/runtime/util/make-dirs.ts';

/** Find the result file for a data file: `<detector>_<name>.csv` or `<name>.csv` in the same category. */
function resultFileFor(resultsDir: string, dataPath: string): string | undefined {
  const [category, name] = dataPath.split('/');
  const dir = join(resultsDir, category);
  if (!existsSync(dir)) return undefined;
  const exact = join(dir, name);
  if (existsSync(exact)) return exact;
  const hit = readdirSync(dir).find((f) => f.endsWith(`_${name}`));
  return hit ? join(dir, hit) : undefined;
}

/** Parse one result file's `anomaly_score` column (float64, as written), checked against the data rows. */
export function readResultFile(file: string, data: NabFile): Float64Array {
  const { records, lines } = csvRecords(readFileSync(file, 'utf8'), { separator: ',', file });
  const header = records[0] ?? [];
  const ti = header.indexOf('timestamp');
  const si = header.indexOf('anomaly_score');
  if (ti < 0 || si < 0) throw new Error(`${file}: header '${header.join(',')}' lacks timestamp and anomaly_score; expected NAB result columns`);
  const n = records.length - 1;
  if (n !== data.timestamps.length) {
    throw new Error(`${file}: ${n} rows but data file ${data.path} has ${data.timestamps.length}; expected one score per data row`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = records[i + 1];
    const t = parseTimestamp(f[ti] ?? '');
    if (t !== data.timestamps[i]) {
      throw new Error(`${file}:${lines[i + 1]}: timestamp '${f[ti]}' but data row ${i + 1} is '${data.rawTimestamps[i]}'; results must follow the data rows in order`);
    }
    const s = Number(f[si]);
    if (!Number.isFinite(s)) throw new Error(`${file}:${lines[i + 1]}: anomaly_score '${f[si]}' is not a number`);
    out[i] = s;
  }
  return out;
}

/** Read a detector's results for every file of the corpus; lists every missing file in one error. */
export function readResults(resultsDir: string, corpus: NabCorpus): DetectorScores {
  const missing: string[] = [];
  const scores: DetectorScores = new Map();
  for (const f of corpus.files) {
    const file = resultFileFor(resultsDir, f.path);
    if (!file) missing.push(f.path);
    else scores.set(f.path, readResultFile(file, f));
  }
  if (missing.length) {
    throw new Error(`${resultsDir}: no result file for ${missing.length} of ${corpus.files.length} data files (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}); expected <category>/<detector>_<name>.csv`);
  }
  return scores;
}

/** Detector name for a results folder: the folder's own name (NAB keeps results in `results/<detector>/`). */
export function detectorNameOf(resultsDir: string): string {
  return basename(resultsDir.replace(/\/+$/, ''));
}

/** Write one NAB result file (`timestamp,value,anomaly_score,label`) under `<dir>/<category>/<detector>_<name>.csv`. */
export function writeResultFile(dir: string, detector: string, data: NabFile, scores: ArrayLike<number>): string {
  const [category, name] = data.path.split('/');
  const out = join(dir, category, `${detector}_${name}`);
  makeDirs(dirname(out));
  const label = new Uint8Array(data.timestamps.length);
  for (const [s, e] of data.windows) label.fill(1, s, e + 1);
  const lines = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < data.timestamps.length; i++) lines.push(`${data.rawTimestamps[i]},${data.values[i]},${scores[i]},${label[i]}`);
  writeFileSync(out, `${lines.join('\n')}\n`);
  return out;
}
