/**
 * `vigil evaluate`: `nab` scores a detector on the Numenta Anomaly Benchmark (from result files, or by
 * running vigil's own detector), `labels` compares a scored CSV with ground truth.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { durationParser, oneOf, parseList, parseNumber } from '@vigil/runtime/util/parse-option.ts';
import { FILL_POLICIES, type FillPolicy } from '@vigil/runtime/data/csv.ts';
import { z } from 'zod';
import { loadDashboard } from '@vigil/runtime/cli/dashboard.ts';
import { loadBoard } from './nab/board.ts';
import { defaultNabRoot, loadNabCorpus } from './nab/corpus.ts';
import { nabReportInput } from './nab/html-report.ts';
import { formatNabResult } from './nab/report.ts';
import { detectorNameOf, readResults } from './nab/results.ts';
import { scoreDetector } from './nab/score.ts';
import type { LabelledEvent } from './labels/truth.ts';
import { evaluateAlerts } from './labels/metrics.ts';
import { formatComparison, formatLabelMetrics } from './labels/report.ts';
import { rowsFrom, scoredRowsFromTable } from './labels/scores.ts';
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { readTable, SENSOR_COLUMNS } from './labels/table.ts';
import { eventsFromRows, truthFromTable } from './labels/truth.ts';
import { makeDirs } from '@vigil/runtime/util/make-dirs.ts';

/**
 * Detectors `--detector` can run, each loaded only when asked, the same way the dispatcher loads commands:
 * vigil's trains models (TensorFlow.js, through @vigil/train), which scoring result files never needs.
 */
const DETECTORS: Record<string, () => Promise<{ runNabDetector(o: NabRunOptions): Promise<string> }>> = {
  vigil: () => import('./detector/nab-detector.ts'),
};

/** What a NAB detector run gets from the CLI; it returns the folder of result files it wrote. */
export interface NabRunOptions {
  corpusRoot: string;
  outDir: string;
  only?: string[];
  config?: string;
  log: (line: string) => void;
}

const thresholdsSchema = z.record(z.string(), z.record(z.string(), z.object({ threshold: z.number() })));

/** --tolerance: a bare number is milliseconds, and 0 (no tolerance) is allowed. */
const parseTolerance = durationParser('ms', { zero: true });

function writeJson(file: string, data: unknown): void {
  makeDirs(dirname(resolve(file)));
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

async function runNab(o: {
  corpus: string;
  results?: string;
  detector?: string;
  name?: string;
  json?: string;
  out?: string;
  only?: string[];
  fixedThresholds?: string;
  config?: string;
  report?: string;
}): Promise<number> {
  if (!o.results === !o.detector) throw new Error('give exactly one of --results DIR (score existing result files) or --detector NAME (run a detector first)');
  const started = Date.now();
  const corpus = loadNabCorpus(o.corpus, { only: o.only });
  let resultsDir = o.results;
  let name = o.name;
  if (o.detector) {
    const load = DETECTORS[o.detector];
    if (!load) throw new Error(`unknown detector '${o.detector}'; expected one of ${Object.keys(DETECTORS).join(', ')}`);
    const mod = await load().catch((err: unknown) => {
      throw new Error(`detector '${o.detector}' needs @vigil/train (TensorFlow.js), which did not load: ${err instanceof Error ? err.message : String(err)}`);
    });
    const outDir = resolve(o.out ?? `bench/results/tmp/nab/${o.detector}`);
    resultsDir = await mod.runNabDetector({ corpusRoot: o.corpus, outDir, only: o.only, config: o.config, log: (l) => process.stderr.write(`${l}\n`) });
    name ??= o.detector;
  }
  name ??= detectorNameOf(resultsDir!);
  const scores = readResults(resultsDir!, corpus);
  let fixed: Record<string, number> = {};
  if (o.fixedThresholds) {
    const parsed = thresholdsSchema.safeParse(JSON.parse(readFileSync(o.fixedThresholds, 'utf8')));
    if (!parsed.success) throw new Error(`${o.fixedThresholds}: expected NAB thresholds.json ({detector: {profile: {threshold}}})`);
    const entry = parsed.data[name];
    if (!entry) throw new Error(`${o.fixedThresholds} has no thresholds for '${name}'; it has ${Object.keys(parsed.data).join(', ')}`);
    fixed = Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, v.threshold]));
  }
  const result = scoreDetector(corpus, scores, name, fixed);
  process.stdout.write(formatNabResult(result, o.only?.length ? undefined : loadBoard(o.corpus)));
  if (o.json) {
    writeJson(o.json, { ...result, corpus: resolve(o.corpus), results: resolve(resultsDir!), seconds: (Date.now() - started) / 1000 });
    process.stdout.write(`\nJSON written to ${o.json}\n`);
  }
  if (o.report) {
    // The dashboard's report writer: value, score vs the standard profile's threshold, labelled windows, per file.
    const { writeReport } = await loadDashboard('leave out --report');
    await writeReport(o.report, nabReportInput(corpus, scores, result));
    process.stdout.write(`HTML report written to ${o.report}\n`);
  }
  return 0;
}

async function runLabels(o: {
  scores: string;
  labels?: string;
  threshold?: number;
  scoreColumn?: string;
  alertColumn?: string;
  sensor?: string;
  from?: string;
  tolerance: number;
  json?: string;
  baselines?: boolean;
  train?: string;
  data?: string;
  fill: FillPolicy;
  ignore?: string[];
}): Promise<number> {
  if (o.baselines && (!o.train || !o.data)) throw new Error('--baselines needs --train FILE (normal operation, the model\'s training CSV) and --data FILE (the CSV that was scored)');
  const all = scoredRowsFromTable(readTable(o.scores), { threshold: o.threshold, scoreColumn: o.scoreColumn, alertColumn: o.alertColumn, sensor: o.sensor });
  let scored = all;
  const from = o.from === undefined ? undefined : parseTimestamp(o.from);
  if (from !== undefined) {
    if (!Number.isFinite(from)) throw new Error(`--from: '${o.from}' is not a timestamp; expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch`);
    scored = rowsFrom(all, from, o.scores);
  }
  let unjudged: LabelledEvent[] = [];
  let label: Uint8Array;
  let events;
  let unlabelled = 0;
  if (o.labels) {
    let unread: string[] | undefined;
    ({ label, events, unlabelled = 0, unread } = truthFromTable(readTable(o.labels), scored.timestamps, o.sensor));
    // A column it does not read may be what the user meant as the sensor (named otherwise): said, not passed over.
    if (unread) process.stderr.write(`note: ${o.labels}: column(s) ${unread.join(', ')} not read; intervals are read by start, end, type and a sensor column (${SENSOR_COLUMNS.join(', ')})\n`);
    // Events over before --from are not judged (their rows are not either); an alert opening in their tolerance after
    // --from is no false alert.
    if (from !== undefined) {
      unjudged = events.filter((e) => e.end < from);
      events = events.filter((e) => e.end >= from);
    }
    // Rows the labels do not cover count as normal: right for a file that lists every row, silently wrong for one that
    // covers only part of the scored period, so say how many.
    if (unlabelled > 0) process.stderr.write(`note: ${unlabelled} of ${scored.timestamps.length} scored rows have no row in ${o.labels}; they count as normal\n`);
  } else if (scored.label) {
    label = scored.label;
    events = eventsFromRows(scored.timestamps, label);
  } else {
    throw new Error(`${o.scores} has no label column (${'label'}); pass --labels FILE with intervals (start,end) or per-timestamp labels (timestamp,label)`);
  }
  const m = evaluateAlerts(scored.timestamps, scored.alert, label, events, o.tolerance, undefined, { openBefore: scored.openBefore, unjudged });
  process.stdout.write(formatLabelMetrics(m, scored.rule));
  let baselines: Array<{ name: string; description: string; metrics: typeof m }> = [];
  if (o.baselines) {
    const { baselineAlerts } = await import('./labels/baseline-alerts.ts');
    // Fitted and run over every scored row, then cut at --from as the scores were (so their first row is judged alike).
    baselines = baselineAlerts(o.train!, o.data!, all.timestamps, { fill: o.fill, ignore: o.ignore }).map((b) => {
      const cut = from === undefined ? { ...all, alert: b.alert } : rowsFrom({ ...all, alert: b.alert }, from, o.scores);
      return { name: b.name, description: b.description, metrics: evaluateAlerts(cut.timestamps, cut.alert, label, events, o.tolerance, undefined, { openBefore: cut.openBefore, unjudged }) };
    });
    process.stdout.write(`\nBaselines fitted on ${o.train}, same rows and labels:\n`);
    process.stdout.write(formatComparison([{ name: 'scores', metrics: m }, ...baselines]));
  }
  if (o.json) {
    writeJson(o.json, { scores: o.scores, labels: o.labels ?? null, rule: scored.rule, toleranceMs: o.tolerance, unlabelledRows: unlabelled, ...m, ...(o.baselines ? { baselines } : {}) });
    process.stdout.write(`\nJSON written to ${o.json}\n`);
  }
  return 0;
}

/** Entry point of `vigil evaluate`. */
export async function run(args: string[]): Promise<number> {
  let code = 0;
  const program = new Command('vigil evaluate')
    .description('Evaluate anomaly scores: NAB benchmark scoring, or metrics against labelled data.')
    .exitOverride()
    .showHelpAfterError();
  program
    .command('nab')
    .description('NAB v1 score (standard, reward_low_FP_rate, reward_low_FN_rate), normalised: null detector 0, perfect 100')
    .option('--corpus <dir>', 'NAB-layout folder (data/, labels/combined_windows.json, config/profiles.json)', defaultNabRoot())
    .option('--results <dir>', 'result files to score: <dir>/<category>/<detector>_<name>.csv with timestamp,anomaly_score')
    .option('--detector <name>', `run a detector over the corpus first, then score it (${Object.keys(DETECTORS).join(', ')})`)
    .option('--out <dir>', 'where --detector writes its result files (default bench/results/tmp/nab/<detector>)')
    .option('--config <file>', 'detector config JSON (--detector only; see evaluate/detector/nab-config.ts)')
    .option('--name <name>', 'detector name in the report (default: the results folder name)')
    .option('--only <substr...>', 'score only data files whose path contains one of these (quick checks; not comparable with the board)')
    .option('--fixed-thresholds <file>', 'use thresholds from a NAB thresholds.json instead of optimising them')
    .option('--json <file>', 'also write the full result (per profile, per file) as JSON')
    .option('--report <html>', 'also write a self-contained HTML report: each file plotted with its score, threshold, detections and labelled windows')
    .addHelpText('after', '\nExamples:\n  vigil evaluate nab --results ../shared/datasets/nab/reference/numenta\n  vigil evaluate nab --detector vigil --json bench/results/nab/vigil.json')
    .action(async (o) => {
      code = await runNab(o);
    });
  program
    .command('labels')
    .description('point-wise precision, recall, F1, false-alarm and miss rates, and detection delay per labelled event')
    .requiredOption('--scores <file>', 'CSV with timestamp and anomaly_score|score (and alert/threshold/label columns if present)')
    .option('--labels <file>', 'ground truth: intervals (start,end[,type][,sensor]; labels of several sensors need --sensor) or per-timestamp (timestamp,label); default: a label column in --scores')
    .option('--threshold <n>', 'alert when score > n, as the runtime decides (default: an alert column alert/flagged/alarm, else a per-row threshold column)', parseNumber)
    .option('--score-column <name>', 'score column (default anomaly_score, then score)')
    .option('--alert-column <name>', '0/1 alert column (default alert, flagged, alarm; a ground-truth name such as anomaly only when named here)')
    .option('--sensor <id>', 'only rows and labels of this sensor (files with a sensor column)')
    .option('--from <timestamp>', 'judge only the rows at or after this time, e.g. the first row after the model\'s training rows (the whole file scored, the rows after training judged)')
    .option('--tolerance <duration>', 'an alert that opens up to this long after an event ends still detects it, and is no false alert (e.g. 30s, 5m)', parseTolerance, 0)
    .option('--json <file>', 'also write all metrics and per-event delays as JSON')
    .option('--baselines', 'also judge a robust z-score and PCA T^2 + Q fitted on --train, on the same rows and labels')
    .option('--train <csv>', '--baselines: normal-operation CSV to fit them on (e.g. the model\'s training data)')
    .option('--data <csv>', '--baselines: the CSV that was scored (its rows are matched to the scores by timestamp)')
    .option('--fill <policy>', '--baselines: missing or non-numeric cells of --train and --data, as vigil train --fill: error | ffill | zero', oneOf(FILL_POLICIES), 'error')
    .option('--ignore <list>', '--baselines: columns of --train and --data that are not channels (as vigil train --ignore), comma separated', parseList)
    .addHelpText('after', '\nExamples:\n  vigil evaluate labels --scores scores.csv --labels out/synthetic/labels.csv --sensor pump-1\n  vigil evaluate labels --scores scores.csv --labels labels.csv --baselines --train train.csv --data test.csv')
    .action(async (o) => {
      code = await runLabels(o);
    });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    const c = (err as { code?: string; exitCode?: number }).code;
    if (c === 'commander.helpDisplayed' || c === 'commander.help' || c === 'commander.version') return 0;
    throw err;
  }
  if (args.length === 0) {
    program.outputHelp();
    return 1;
  }
  return code;
}
