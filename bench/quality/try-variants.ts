/**
 * Scoring experiments on the quality bench's data: each named variant (bench/quality/variants.ts) beside vigil's
 * defaults, judged exactly as `npm run bench:quality` judges vigil, plus an optional sweep of the bar (alerts
 * re-run through the alert state machine at k x the threshold each row had) to see whether the scores separate
 * at all or only the bar is misplaced. Models trained with default options are trained once per work folder and
 * reused by every card or score variant.
 *
 *   node bin/run-ts.mjs bench/quality/try-variants.ts --variants defaults,no-tracking [--sets tep,pumps,plant]
 *     [--sweep 0.8,1,1.5,3] [--runs] [--work /tmp/vigil-variants] [--out FILE.md]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { AlertPolicy } from '../../runtime/alerts/tracker.ts';
import { alertColumn } from './alert-column.ts';
import { judgeRun, judgingFor } from './judge.ts';
import type { LabelledSet } from './labelled-run.ts';
import { loadSet } from './load-set.ts';
import { markdownTable, perDay, textTable } from './report.ts';
import { summarise, type MethodSummary } from './summary.ts';
import { VARIANTS, variantsNamed } from './variants.ts';
import { runVigil, type VigilRun } from './vigil.ts';

/** The alert column `vigil score` would write with the bar at k x the threshold of each row (the variant's policy). */
function alertsAt(v: VigilRun, k: number, timestamps: Float64Array, policy: Partial<AlertPolicy> = {}): Uint8Array {
  return alertColumn(v.scores, (i) => k * v.thresholds[i], timestamps, v.card.window - 1, policy);
}

function judged(set: LabelledSet, method: string, results: Map<string, VigilRun>, k?: number, policy?: Partial<AlertPolicy>): MethodSummary {
  return summarise(set, method, '', set.runs.map((r) => {
    const v = results.get(r.id)!;
    const alert = k === undefined ? v.alert : alertsAt(v, k, r.test.timestamps, policy);
    return { id: r.id, metrics: judgeRun(r, alert, judgingFor(v.card.window)) };
  }));
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
function row(set: string, name: string, s: MethodSummary): string[] {
  const p = s.pooled;
  const tep = set === 'tep' ? `DR ${s.protocol.avgDetectionRate.toFixed(3)}` : '';
  return [set, name, p.f1.toFixed(3), p.precision.toFixed(3), p.recall.toFixed(3), pct(p.falseAlarmRate), perDay(p), `${p.eventsDetected}/${p.events.length}`, tep];
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('try-variants')
    .option('--variants <list>', `comma-separated, from: ${VARIANTS.map((v) => v.name).join(', ')}`, 'defaults')
    .option('--sets <list>', 'tep, pumps, plant', 'tep,pumps,plant')
    .option('--sweep <list>', 'also judge each variant with the bar at these multiples of its threshold, e.g. 0.8,1,2')
    .option('--work <dir>', 'models, cards and scores (reused across runs)', '/tmp/vigil-variants')
    .option('--out <file>', 'also write the table as markdown')
    .option('--runs', 'also print recall and false alarms of every run, per variant (which runs a variant moves)')
    .parse(argv, { from: 'user' })
    .opts<{ variants: string; sets: string; sweep?: string; work: string; out?: string; runs?: boolean }>();
  const variants = variantsNamed(o.variants.split(','));
  const sweep = o.sweep ? o.sweep.split(',').map(Number) : [];
  if (sweep.some((k) => !(k > 0))) throw new Error(`--sweep: expected positive multiples, got '${o.sweep}'`);
  const rows: string[][] = [];
  const perRun = new Map<string, string[]>();
  for (const name of o.sets.split(',')) {
    if (name === 'nab') throw new Error('--sets: nab is scored by its own runner (npm run bench:quality -- --sets nab), not by variants');
    const set = await loadSet(name, false, (l) => console.error(l));
    if (!set) continue;
    for (const v of variants) {
      const models = join(o.work, set.name, v.train ? v.name : 'defaults');
      const { results } = await runVigil(set.runs, models, (l) => console.error(l), { ...v, reuse: true, scoreDir: join(o.work, set.name, v.name) });
      const summary = judged(set, v.name, results);
      rows.push(row(set.name, v.name, summary));
      for (const r of summary.perRun) {
        const key = `${set.name}\t${r.id}`;
        perRun.set(key, [...(perRun.get(key) ?? []), `${r.metrics.recall.toFixed(3)} / ${pct(r.metrics.falseAlarmRate)}`]);
      }
      for (const k of sweep) rows.push(row(set.name, `${v.name} @${k}x`, judged(set, v.name, results, k, v.policy)));
      console.error(rows.at(-1 - sweep.length)!.join('  '));
    }
  }
  const columns = ['set', 'variant', 'F1', 'precision', 'recall', 'false alarms', 'false alerts / day', 'events', 'TEP protocol'];
  console.log(textTable(columns, rows));
  if (o.runs) {
    const runRows = [...perRun].map(([key, cells]) => [...key.split('\t'), ...cells]);
    console.log(`\nrecall / false alarms per run\n${textTable(['set', 'run', ...variants.map((v) => v.name)], runRows)}`);
  }
  if (o.out) {
    const what = variants.map((v) => `- **${v.name}**: ${v.what}`).join('\n');
    writeFileSync(o.out, `# Scoring variants on the quality bench's data\n\nReproduce: \`node bin/run-ts.mjs bench/quality/try-variants.ts ${argv.join(' ')}\` (${new Date().toISOString()}).\n\n${what}\n\n${markdownTable(columns, rows)}\n`);
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`try-variants: ${e.stack}`);
  process.exit(1);
});
