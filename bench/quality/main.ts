/**
 * `npm run bench:quality`: per data set, vigil with its defaults (`vigil train` then `vigil score`) side by side
 * with a robust z-score and PCA T^2 + Q fitted on the same training rows, judged on the same rows.
 *
 *   npm run bench:quality -- [--sets tep,pumps,fast,plant,nab] [--quick] [--out DIR] [--seed N]
 *
 * Prints one table and writes DIR/REPORT.md, DIR/quality.json and DIR/plots/*.svg (default bench/results/quality).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { machineInfo } from '../lib/result.ts';
import { reportMarkdown } from './markdown.ts';
import { nabScores, NAB_QUICK_FILES, type NabRow } from './nab.ts';
import { worstRunPlots } from './plots.ts';
import { COLUMNS, markdownTable, tableRows, textTable } from './report.ts';
import { runSet, type SetResult } from './run-set.ts';
import { TEP_QUICK_FAULTS } from './tep.ts';
import { loadSet, SETS } from './load-set.ts';

const DEFAULT_SETS = ['tep', 'pumps', 'fast', 'plant', 'nab'];

function nabSection(rows: NabRow[], files: number, quick: boolean): string[] {
  const t = markdownTable(['method', 'NAB standard', 'reward low FP', 'reward low FN', 'how'], rows.map((r) => [r.method, r.standard.toFixed(2), r.lowFP.toFixed(2), r.lowFN.toFixed(2), r.description]));
  return [`## NAB (${files} files${quick ? ', quick subset: not comparable with the board' : ''})`, '', t, ''];
}

/** The commit measured, and the tracked files that differed from it (the tree is shared while others work). */
function revision(): { commit: string; uncommitted: string[] } {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8' });
    // Porcelain lines are 'XY path'; X may be a space, so the output is not trimmed before splitting.
    return { commit: git('rev-parse', '--short', 'HEAD').trim(), uncommitted: git('status', '--porcelain', '--untracked-files=no').split('\n').filter((l) => l.trim()).map((l) => l.slice(3)) };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('bench:quality')
    .option('--sets <list>', `data sets, comma-separated: ${SETS.join(', ')}`, DEFAULT_SETS.join(','))
    .option('--quick', `pre-commit check: Tennessee Eastman with ${TEP_QUICK_FAULTS.length} of its 21 faults, NAB on ${NAB_QUICK_FILES.length} files`)
    .option('--out <dir>', 'where REPORT.md, quality.json and plots/ go', 'bench/results/quality')
    .option('--seed <n>', "vigil train's seed for every model, NAB's per-file ones included (left out: its default): how far the figures move from seed to seed", (v) => {
      if (!/^-?\d+$/.test(v)) throw new Error(`--seed: expected an integer, got '${v}'`);
      return Number(v);
    })
    .parse(argv, { from: 'user' })
    .opts<{ sets: string; quick?: boolean; out: string; seed?: number }>();
  const startedAt = new Date().toISOString();
  const rev = revision();
  const started = performance.now();
  const out = resolve(o.out);
  const work = resolve('bench/results/tmp/quality');
  rmSync(work, { recursive: true, force: true });
  const notes: string[] = [];
  const note = (l: string) => {
    notes.push(l);
    process.stderr.write(`${l}\n`);
  };
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const names = o.sets.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(SETS as readonly string[]).includes(n)) throw new Error(`--sets: unknown set '${n}'; expected ${SETS.join(', ')}`);
  const results: SetResult[] = [];
  for (const name of names.filter((n) => n !== 'nab')) {
    const set = await loadSet(name, !!o.quick, note);
    if (!set) continue;
    log(`${set.name}: ${set.runs.length} runs`);
    const r = await runSet(set, work, { log, seed: o.seed });
    log(`${set.name}: vigil ${r.seconds.vigil.toFixed(1)} s, baselines ${r.seconds.baselines.toFixed(2)} s`);
    if (results.length === 0) {
      log(`vigil ran as: ${r.setup.train}; ${r.setup.score}`);
    }
    log(`${set.name}: vigil model ${r.setup.models[0].summary}`);
    results.push(r);
  }
  let nab: Awaited<ReturnType<typeof nabScores>> | undefined;
  if (names.includes('nab')) {
    log('nab: vigil NAB detector and baselines');
    nab = await nabScores({ workDir: join(work, 'nab'), quick: o.quick, log, seed: o.seed });
    log(`nab: vigil ${nab.seconds.vigil.toFixed(1)} s, baselines ${nab.seconds.baselines.toFixed(2)} s`);
  }

  const rows = tableRows(results.flatMap((r) => r.methods));
  if (nab) for (const r of nab.rows) rows.push(['nab', r.method, ...COLUMNS.slice(2, -1).map(() => ''), `NAB standard ${r.standard.toFixed(2)}${o.quick ? ' (quick subset)' : ''}`]);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${textTable(COLUMNS, rows)}\n`);
  process.stdout.write(`total ${seconds.toFixed(0)} s\n`);

  rmSync(join(out, 'plots'), { recursive: true, force: true });
  mkdirSync(join(out, 'plots'), { recursive: true });
  const plots = results.flatMap((r) => worstRunPlots(r));
  for (const p of plots) writeFileSync(join(out, 'plots', p.file), p.svg);
  const machine = machineInfo();
  if (rev.uncommitted.length) notes.push(`measured on commit ${rev.commit} with uncommitted changes to ${rev.uncommitted.join(', ')}`);
  else notes.push(`measured on commit ${rev.commit}`);
  const command = `npm run bench:quality${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  writeFileSync(join(out, 'REPORT.md'), reportMarkdown({
    command, seconds, startedAt, machine: `${machine.cores} cores (${machine.cpu}), node ${machine.node}`,
    results, extraSections: nab ? nabSection(nab.rows, nab.files, !!o.quick) : [], notes, plots,
  }));
  const json = {
    command, startedAt, machine, revision: rev, seconds, quick: !!o.quick, notes,
    table: { columns: COLUMNS, rows },
    sets: results.map((r) => ({
      name: r.set.name, title: r.set.title, notes: r.set.notes, setup: r.setup, seconds: r.seconds,
      methods: r.methods.map((m) => ({ method: m.method, description: m.description, protocol: m.protocol, ...(m.attribution ? { attribution: m.attribution } : {}), pooled: { ...m.pooled, events: undefined }, perRun: m.perRun.map((p) => ({ id: p.id, ...p.metrics })) })),
    })),
    nab: nab ?? null,
  };
  writeFileSync(join(out, 'quality.json'), `${JSON.stringify(json, null, 1)}\n`);
  log(`wrote ${relative(process.cwd(), join(out, 'REPORT.md'))}, quality.json and ${plots.length} plot(s)`);
}

await main(process.argv.slice(2));
