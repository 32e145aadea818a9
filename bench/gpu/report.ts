/**
 * Turn a fetched gpu.json (bench/gpu/run-gpu.mjs on the GPU machine) into bench/results/gpu.json and rebuild
 * bench/results/SUMMARY.md, which then has a GPU section with its plots. A file with no WebGPU measurement is a
 * dry run: it goes to bench/results/gpu-dryrun/ with its own page, never into the GPU result or the summary.
 * The stage bench's stage.json beside it (bench/gpu/stage.ts, already a bench result) is filed the same way, as
 * gpu-stage: into the results when it holds a WebGPU row, else beside the dry run.
 *
 *   node bin/run-ts.mjs bench/gpu/report.ts /work/.device/.../gpu.json
 *   node bin/run-ts.mjs bench/gpu/report.ts out/gpu-dryrun/gpu.json          # -> bench/results/gpu-dryrun/
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { RESULTS_DIR, writeBenchResult, type BenchResult, type Table } from '../lib/result.ts';
import { writePlots } from '../lib/plots.ts';
import { describeMachine } from '../lib/summary.ts';
import { main as runBench } from '../run.ts';
import { parseGpuRun, toBenchResult, webgpuPointCount } from './gpu-result.ts';
import { mainWhenInvoked } from '../lib/main.ts';

/** Where dry runs go: a nested folder, which the summary does not collect. */
export const DRYRUN_DIR = join(RESULTS_DIR, 'gpu-dryrun');

function table(t: Table): string[] {
  const cell = (v: string | number) => (typeof v === 'number' ? String(v) : v.replace(/\|/g, '\\|'));
  return [`**${t.title}**`, '', `| ${t.columns.join(' | ')} |`, `| ${t.columns.map(() => '---').join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`), ''];
}

/** A standalone page (README.md and plots/) for a result kept out of SUMMARY.md. */
export function writePage(dir: string, r: BenchResult): string {
  const md = [`# ${r.title}`, '', `Machine: ${describeMachine(r.machine)}. Run ${r.startedAt}, ${r.seconds.toFixed(1)} s.`, ''];
  const [files] = writePlots(dir, [r]);
  r.figures.forEach((f, i) => md.push(`![${f.title}](plots/${files[i]})`, '', ...(f.caption ? [`_${f.caption}_`, ''] : [])));
  for (const t of r.tables ?? []) md.push(...table(t));
  for (const n of r.notes ?? []) md.push(`- ${n}`);
  const file = join(dir, 'README.md');
  writeFileSync(file, `${md.join('\n')}\n`);
  return file;
}

/**
 * Write a result into `dir`; outside the results folder (a dry run) it also gets a standalone page in `pageDir`.
 * Prints what it wrote and the result's notes; returns whether it went to the results folder (the summary's).
 */
function fileResult(result: BenchResult, dir: string, pageDir = dir): boolean {
  process.stderr.write(`report: wrote ${relative(process.cwd(), writeBenchResult(result, dir))}\n`);
  const inResults = dir === RESULTS_DIR;
  if (!inResults) process.stderr.write(`report: wrote ${relative(process.cwd(), writePage(pageDir, result))}\n`);
  for (const n of result.notes ?? []) process.stderr.write(`  - ${n}\n`);
  return inResults;
}

/** File bench/gpu/stage.ts's result: the results folder with a WebGPU row, else the dry-run folder. */
function fileStage(file: string, dirOpt: string | undefined): boolean {
  const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult & { data?: { rows?: Array<{ provider: string }> } };
  if (result.name !== 'gpu-stage' || !Array.isArray(result.data?.rows)) throw new Error(`${file} is not a stage bench result (bench/gpu/stage.ts)`);
  const measured = result.data.rows.some((r) => r.provider.startsWith('webgpu'));
  if (!measured) result.name = 'gpu-stage-dryrun';
  const dir = resolve(dirOpt ?? (measured ? RESULTS_DIR : DRYRUN_DIR));
  return fileResult(result, dir, join(dir, 'stage'));
}

/** Entry point. */
export async function main(argv: string[]): Promise<number> {
  const o = new Command('node bin/run-ts.mjs bench/gpu/report.ts')
    .description('Turn the GPU runner\'s gpu.json into a bench result with plots.')
    .argument('<gpu.json>', 'the file the device run returned (files_at/gpu.json)')
    .option('--name <name>', 'result name (default: gpu, or gpu-dryrun-cpu when no WebGPU point was measured)')
    .option('--dir <dir>', `output folder (default: ${relative(process.cwd(), RESULTS_DIR)}, or ${relative(process.cwd(), DRYRUN_DIR)} for a dry run)`)
    .option('--stage <stage.json>', 'the stage bench\'s result (default: stage.json beside gpu.json)')
    .option('--no-summary', 'do not rebuild SUMMARY.md (GPU results in the main results folder only)')
    .parse(argv, { from: 'user' });
  const opts = o.opts<{ name?: string; dir?: string; stage?: string; summary: boolean }>();
  const source = o.args[0];
  const run = parseGpuRun(readFileSync(source, 'utf8'), source);
  const measured = webgpuPointCount(run) > 0;
  const name = opts.name ?? (measured ? 'gpu' : 'gpu-dryrun-cpu');
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`--name must be letters, digits, '.', '_' or '-', got '${name}'`);
  // A file without GPU numbers must never become the GPU result that the summary presents.
  if (!measured && !name.includes('dryrun')) throw new Error(`${source} holds no WebGPU measurement (${run.models.map((m) => `${m.name}: webgpu ${m.sessions.webgpu?.ok ? 'not timed' : 'failed'}`).join(', ')}); a name without 'dryrun' would pass it off as a GPU result`);
  const dir = resolve(opts.dir ?? (measured ? RESULTS_DIR : DRYRUN_DIR));
  let inResults = fileResult(toBenchResult(run, name), dir);
  const stageFile = opts.stage ?? join(dirname(source), 'stage.json');
  if (existsSync(stageFile)) inResults = fileStage(stageFile, opts.dir) || inResults;
  else process.stderr.write(`report: no ${stageFile}: the stage bench's result was not filed\n`);
  // Once, after both: the summary collects every result in the results folder.
  if (inResults && opts.summary) await runBench(['--summary-only']);
  return 0;
}

mainWhenInvoked(import.meta.url, 'report', main);
