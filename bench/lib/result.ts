/**
 * The contract between a bench script and the harness: each `bench/<name>.ts` writes
 * `bench/results/<name>.json` as a `BenchResult`; `bench/run.ts` turns every figure into a plot in SUMMARY.md.
 * Absolute numbers carry the machine they were measured on; ratios should be computed within one run.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where results live: `bench/results/` of this checkout. */
export const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results');
/** Where trial and variant runs write (`bench/results/tmp/`, git-ignored), so they never replace a piece's result. */
export const SCRATCH_DIR = join(RESULTS_DIR, 'tmp');

/** The machine a number was measured on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  os: string;
  /** Free text, e.g. "NVIDIA H100 via WebGPU EP" for device runs. */
  accelerator?: string;
}

/** One named curve or bar group of a figure. */
export interface Series {
  name: string;
  /** [x, y] pairs; for bar figures x is the index into `categories`. */
  points: Array<[number, number]>;
}

/** One figure: a line chart (x numeric) or a grouped bar chart (x = category index). */
export interface Figure {
  id: string;
  title: string;
  kind: 'line' | 'bar';
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** Bar charts: the label of each x position. */
  categories?: string[];
  /** Bar charts: categories whose label is drawn bold (e.g. our own entry among published ones). */
  highlight?: string[];
  series: Series[];
  /** One line under the plot: what to read from it. */
  caption?: string;
  /** Line charts: x ranges shaded behind the curves (e.g. labelled faults). */
  bands?: Array<[number, number]>;
  /** Line charts: draw a dot at every point (default true; off for long series). */
  markers?: boolean;
}

/** A table of the numbers behind a figure or of anything not worth plotting. */
export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/** What one bench script writes. */
export interface BenchResult {
  name: string;
  title: string;
  machine: MachineInfo;
  startedAt: string;
  seconds: number;
  figures: Figure[];
  tables?: Table[];
  notes?: string[];
  /** Raw measurements, free form. */
  data?: unknown;
}

/** Whether a parsed result file follows the `BenchResult` contract (others are shown as plain numbers). */
export function isBenchResult(x: unknown): x is BenchResult {
  const r = x as BenchResult;
  return !!r && typeof r === 'object' && typeof r.name === 'string' && Array.isArray(r.figures) && !!r.machine;
}

/**
 * Every `*.json` directly in `dir`, by file name (nested folders hold raw data or standalone pages, and
 * `tmp*` files are partial runs, so neither is a result). An unreadable file comes back as `{ error }`.
 */
export function readResults(dir: string): Array<{ file: string; json: unknown }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('tmp'))
    .sort()
    .map((f) => {
      try {
        return { file: f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown };
      } catch (err) {
        return { file: f, json: { error: `unreadable JSON: ${err instanceof Error ? err.message : String(err)}` } };
      }
    });
}

/** Describe this machine. */
export function machineInfo(accelerator?: string): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    ...(accelerator ? { accelerator } : {}),
  };
}

/** Write `bench/results/<name>.json` (or into `dir`); returns the path. */
export function writeBenchResult(result: BenchResult, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
