/**
 * `npm run bench:quality:seeds`: the quality bench once per training seed, and vigil's figures side by side with
 * their mean and range. The seed alone moves a set's figures by as much as most scoring variants did
 * (bench/results/quality/VARIANTS.md), and every default was chosen at the bench's one seed, so a change to
 * training or scoring is judged here, by the means, not by one seed's row.
 *
 *   npm run bench:quality:seeds -- [--seeds 42,43,44] [--sets ...] [--quick] [--out DIR]
 *
 * Runs `bench/quality/main.ts --seed N` for each seed (its whole report to bench/results/tmp/quality-seeds/seed-N),
 * then writes DIR/SEEDS.md and DIR/seeds.json (default DIR: bench/results/quality/seeds). The baselines do not
 * depend on the seed and are left out.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { markdownTable, textTable } from './report.ts';
import { seedFigures, seedRows, type SeedQuality } from './seed-figures.ts';

async function main(argv: string[]): Promise<void> {
  const o = new Command('bench:quality:seeds')
    .option('--seeds <list>', 'training seeds, comma-separated', '42,43,44')
    .option('--sets <list>', 'data sets, passed on to bench:quality')
    .option('--quick', 'bench:quality --quick for every seed')
    .option('--out <dir>', 'where SEEDS.md and seeds.json go', 'bench/results/quality/seeds')
    .parse(argv, { from: 'user' })
    .opts<{ seeds: string; sets?: string; quick?: boolean; out: string }>();
  const seeds = o.seeds.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    if (!/^-?\d+$/.test(s)) throw new Error(`--seeds: expected integers, got '${s}'`);
    return Number(s);
  });
  if (seeds.length === 0) throw new Error('--seeds: expected at least one seed');
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const started = performance.now();
  const runs: SeedQuality[] = [];
  for (const seed of seeds) {
    const dir = resolve('bench/results/tmp/quality-seeds', `seed-${seed}`);
    const args = ['bin/run-ts.mjs', 'bench/quality/main.ts', '--seed', String(seed), '--out', dir, ...(o.sets ? ['--sets', o.sets] : []), ...(o.quick ? ['--quick'] : [])];
    process.stderr.write(`seed ${seed}: node ${args.join(' ')}\n`);
    execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    runs.push(JSON.parse(readFileSync(join(dir, 'quality.json'), 'utf8')) as SeedQuality);
  }
  const columns = ['set', 'figure', ...seeds.map((s) => `seed ${s}`), 'mean', 'range'];
  const rows = seedRows(seedFigures(runs));
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${textTable(columns, rows)}\ntotal ${seconds.toFixed(0)} s\n`);
  const command = `npm run bench:quality:seeds${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  writeFileSync(join(out, 'SEEDS.md'), [
    "# vigil's quality figures across training seeds",
    '',
    `Reproduce: \`${command}\` (${seconds.toFixed(0)} s, ${new Date().toISOString()}); each seed's whole report was bench/results/tmp/quality-seeds/seed-N/REPORT.md.`,
    '',
    markdownTable(columns, rows),
    '',
    'Judge a change to training or scoring by the mean column: one seed moves these figures as much as most variants did.',
    '',
  ].join('\n'));
  writeFileSync(join(out, 'seeds.json'), `${JSON.stringify({ command, seconds, seeds, figures: seedFigures(runs) }, null, 1)}\n`);
  process.stderr.write(`wrote ${relative(process.cwd(), join(out, 'SEEDS.md'))} and seeds.json\n`);
}

await main(process.argv.slice(2));
