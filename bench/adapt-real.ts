/**
 * Issue 15.3, drift adaptation on real data: what adaptation on the gateway (config `adapt`, docs/adapt.md) does to
 * detection quality on Tennessee Eastman and on NAB, adaptation off against on, the same model and the same stream.
 * The real runtime (`vigil run`'s startRuntime, injectable source) is fed the recorded rows 100 at a time, and every
 * adaptation that falls due runs to its end before the next rows (bench/adapt-drift.ts does the same on synthetic
 * drift), so the runtime adapts as often as it would at the data's own pace.
 *
 * Adaptation settings: the repository's defaults (runtime/adapt/config.ts, `vigil adapt`'s own bounds) except
 * - everyMs 0: the rows arrive far faster than their data time, and the default 6 h of wall time between attempts
 *   would allow none; at the data's pace minNewWindows (500) is the tighter gate anyway (500 TEP samples are 25 h,
 *   500 NAB rows at 5 min 42 h);
 * - reservoir.file: a file per run in a temporary folder;
 * - NAB only, replay: the probationary rows as a CSV (the detector trains from memory, so its card names no
 *   training file for `vigil adapt` to replay).
 * The reservoir's data-time settings (guardMs 10 min, sampleEveryMs 30 s) are left at their defaults: they are in
 * data time, and real data has its own clock (TEP 180 s per sample, most NAB files 5 min).
 *
 * Tennessee Eastman (bench/adapt-real/tep.ts says how the runs are streamed and why): the TEP protocol, average
 * detection rate without faults 3, 9, 15 and the false-alarm rate on d00_te plus the first 160 rows of every run.
 * NAB (bench/adapt-real/nab.ts): the NAB scores (standard, reward low FP, reward low FN) of the detector's
 * calibration on the runtime's scores, over the whole corpus (58 files, 365,551 rows); `--nab-files` runs a subset.
 *
 *   node bin/run-ts.mjs bench/adapt-real.ts            -> bench/results/adapt-real.json and adapt-real.md
 *   node bin/run-ts.mjs bench/adapt-real.ts --quick    -> bench/results/tmp/ (10 TEP faults, 2 NAB files)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startBroker } from '../simulators/broker/aedes.ts';
import { NAB_QUICK_FILES } from './quality/nab.ts';
import { TEP_QUICK_FAULTS, TEP_UNOBSERVABLE } from './quality/tep.ts';
import { machineInfo, RESULTS_DIR, SCRATCH_DIR, type BenchResult } from './lib/result.ts';
import { mainWhenInvoked } from './lib/main.ts';
import { nabAdapt, type NabResult } from './adapt-real/nab.ts';
import { tepAdapt, type TepResult } from './adapt-real/tep.ts';
import { countDecisions } from '@vigil/evaluate/detector/runtime-gateway.ts';
import { detectorAdapt } from '@vigil/evaluate/detector/nab-adapt.ts';

/** NAB files of --quick: the shortest of the quick six, and one artificial file with a jump. */
const NAB_QUICKER = ['speed_7578', 'art_daily_jumpsup'];

/** The `adapt` section of every adaptation-on run, the NAB detector's (see the header for each setting that is not a default). */
const adaptOn = detectorAdapt;

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

function tepLines(t: TepResult): string[] {
  const lines = [
    `Model: ${t.model} (\`vigil train\` on d00.dat, all defaults). Runs: ${t.runs.join(', ')}, streamed in this order (for 'on, faults in reverse order': d00_te, then the faults from the last to the first), each run as its own sensor.`,
    '',
    `| method | average detection rate (${t.modes[0].faults} faults, without ${TEP_UNOBSERVABLE.join(', ')}) | false alarms (normal rows) | F1 (pooled) | faults alerted | adaptations | wall |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const m of t.modes) {
    const n = countDecisions(m.decisions);
    const adapt = m.method.includes('adaptation on') ? `${n.adapted} adapted, ${n.refused} refused, ${n.rolled_back} rolled back (${n.kept} kept after a watch, ${n.failed} failed, ${n.paused} paused)` : '';
    lines.push(`| ${m.method} | ${m.avgDetectionRate.toFixed(3)} | ${pct(m.normalRowsFAR)} | ${m.summary.pooled.f1.toFixed(3)} | ${m.summary.pooled.eventsDetected}/${m.summary.pooled.events.length} | ${adapt} | ${m.seconds.toFixed(0)} s |`);
  }
  const [, off, ...ons] = t.modes;
  lines.push('', `Per run: detection rate (share of fault rows alerted) and false alarms (normal rows), adaptation off, then ${ons.map((m) => `'${m.method.replace('runtime, adaptation ', '')}'`).join(' and ')} (each with the model version serving when the run ended).`, '');
  lines.push(`| run | detection rate off | ${ons.map((_, k) => `on${k ? ` (${k + 1})` : ''}`).join(' | ')} | false alarms off | ${ons.map((_, k) => `on${k ? ` (${k + 1})` : ''}`).join(' | ')} |`, `|---|---|${ons.map(() => '---|').join('')}---|${ons.map(() => '---|').join('')}`);
  off.summary.perRun.forEach((p, i) => {
    const dr = (m: (typeof p)['metrics']) => (p.id === 'd00_te' ? '' : m.recall.toFixed(3));
    const on = ons.map((m) => ({ m: m.summary.perRun[i].metrics, v: m.versions[i] }));
    lines.push(`| ${p.id} | ${dr(p.metrics)} | ${on.map((x) => `${dr(x.m)} (v${x.v})`).join(' | ')} | ${pct(p.metrics.falseAlarmRate)} | ${on.map((x) => pct(x.m.falseAlarmRate)).join(' | ')} |`);
  });
  return lines;
}

function nabLines(n: NabResult, subset: string): string[] {
  const total = (k: string) => n.perFile.reduce((a, f) => a + (f.decisions[k] ?? 0), 0);
  const lines = [
    `${n.files.length} files (${subset}), ${n.windows} labelled windows; ${n.files.length < 58 ? 'scores normalised over these files only, so not comparable with the board' : 'scores comparable with the board'}.`,
    '',
    '| method | NAB standard | reward low FP | reward low FN |',
    '|---|---|---|---|',
    ...n.modes.map((m) => `| ${m.method} | ${m.standard.toFixed(2)} | ${m.lowFP.toFixed(2)} | ${m.lowFN.toFixed(2)} |`),
    '',
    `Adaptation on, all files together: ${total('adapted') + total('refused') + total('failed')} attempts, ${total('adapted')} adapted (${n.perFile.filter((f) => f.versions !== 'v1 -> v1').length} files end on an adapted model), ${total('refused')} refused, ${total('failed')} failed; ${total('rolled_back')} rolled back.`,
    '',
    '| file | rows | window | adaptation off vs detector, max abs score difference | adaptations (on) | serving at the end | wall off / on |',
    '|---|---|---|---|---|---|---|',
    ...n.perFile.map((f) => `| ${f.path} | ${f.rows} | ${f.window} | ${f.maxDiffOff.toExponential(1)} | ${f.decisions.adapted} adapted, ${f.decisions.refused} refused, ${f.decisions.rolled_back} rolled back, ${f.decisions.failed} failed | ${f.versions} | ${f.seconds.off.toFixed(0)} / ${f.seconds.on.toFixed(0)} s |`),
  ];
  return lines;
}

/** Entry point. */
export async function main(argv: string[]): Promise<number> {
  const o = new Command('bench/adapt-real.ts')
    .description('Adaptation off vs on in the runtime, on Tennessee Eastman and NAB (issue 15.3).')
    .option('--sets <list>', 'tep, nab or both', 'tep,nab')
    .option('--nab-files <list>', `NAB files: substrings of their paths, comma-separated (e.g. bench/nab.ts's quick six: ${NAB_QUICK_FILES.join(',')}); default: all`)
    .option('--quick', `smoke check: TEP with ${TEP_QUICK_FAULTS.length} faults, NAB ${NAB_QUICKER.join(', ')}; written to bench/results/tmp/`)
    .parse(argv, { from: 'user' })
    .opts<{ sets: string; nabFiles?: string; quick?: boolean }>();
  const sets = o.sets.split(',').map((s) => s.trim());
  for (const s of sets) if (s !== 'tep' && s !== 'nab') throw new Error(`--sets: unknown set '${s}'; expected tep, nab`);
  const nabFiles = o.nabFiles ? o.nabFiles.split(',').map((s) => s.trim()) : o.quick ? NAB_QUICKER : undefined;
  const subset = !nabFiles ? 'the whole corpus' : o.nabFiles ? 'a subset chosen with --nab-files' : 'the --quick subset';
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const command = `node bin/run-ts.mjs bench/adapt-real.ts${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'vigil-adapt-real-'));
  const broker = await startBroker();
  let tep: TepResult | undefined;
  let nab: NabResult | undefined;
  try {
    if (sets.includes('tep')) tep = await tepAdapt({ work, brokerUrl: broker.url, quick: !!o.quick, adapt: (dir) => adaptOn(dir), log });
    if (sets.includes('nab')) nab = await nabAdapt({ work, brokerUrl: broker.url, only: nabFiles, adapt: adaptOn, log });
  } finally {
    await broker.close();
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const settings = `adapt: ${JSON.stringify(adaptOn('DIR'))} (NAB also replay: DIR/probation.csv, the probationary rows); everything else at its default`;
  const md = [
    '# Drift adaptation on real data: off vs on',
    '',
    `Reproduce: \`${command}\` (${seconds.toFixed(0)} s, started ${startedAt}, ${machineInfo().cores} cores). Adaptation on: ${settings}. Rows fed 100 at a time, each due adaptation run to its end before the next rows.`,
    '',
    ...(tep ? ['## Tennessee Eastman', '', ...tepLines(tep), ''] : []),
    ...(nab ? ['## NAB', '', ...nabLines(nab, subset), ''] : []),
  ];
  const result: BenchResult = {
    name: 'adapt-real',
    title: 'Drift adaptation on real data (TEP, NAB): off vs on',
    machine: machineInfo(),
    startedAt,
    seconds,
    figures: [
      ...(tep ? [{ id: 'tep', title: 'Tennessee Eastman: adaptation off vs on', kind: 'bar' as const, xLabel: 'method', yLabel: 'share', categories: tep.modes.map((m) => m.method), series: [{ name: 'average detection rate', points: tep.modes.map((m, i) => [i, m.avgDetectionRate] as [number, number]) }, { name: 'false-alarm rate', points: tep.modes.map((m, i) => [i, m.normalRowsFAR] as [number, number]) }] }] : []),
      ...(nab ? [{ id: 'nab', title: `NAB (${nab.files.length} files): adaptation off vs on`, kind: 'bar' as const, xLabel: 'method', yLabel: 'NAB score', categories: nab.modes.map((m) => m.method), series: (['standard', 'lowFP', 'lowFN'] as const).map((k) => ({ name: k, points: nab!.modes.map((m, i) => [i, m[k]] as [number, number]) })) }] : []),
    ],
    notes: [`command: ${command}`, settings, ...(nab ? [`NAB files: ${subset}`] : [])],
    data: {
      command,
      adapt: settings,
      tep: tep && { model: tep.model, runs: tep.runs, modes: tep.modes.map((m) => ({ method: m.method, avgDetectionRate: m.avgDetectionRate, normalRowsFAR: m.normalRowsFAR, faults: m.faults, seconds: m.seconds, decisions: countDecisions(m.decisions), pooled: { ...m.summary.pooled, events: undefined }, perRun: m.summary.perRun.map((p) => ({ id: p.id, recall: p.metrics.recall, falseAlarmRate: p.metrics.falseAlarmRate })), detail: m.decisions })) },
      nab: nab && { ...nab, subset },
    },
  };
  const dir = o.quick ? SCRATCH_DIR : RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapt-real.json'), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(join(dir, 'adapt-real.md'), `${md.join('\n')}\n`);
  process.stdout.write(`${md.join('\n')}\n`);
  log(`wrote ${join(dir, 'adapt-real.json')} and adapt-real.md`);
  return 0;
}

mainWhenInvoked(import.meta.url, 'adapt-real', main);
