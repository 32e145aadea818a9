/**
 * `vigil score`: run a CSV through the live pipeline (the same windowBySensor -> microBatch -> inferBatches ->
 * applyThresholds -> trackAlerts operators as `vigil run`) and write one row per input row, in input order:
 * `timestamp,score,threshold,alert,err_<channel>...[,filled][,label]` (`filled` with --fill ffill|zero: the channels of
 * the row the reader filled, `;`-separated, empty for a row read whole; the input's label column last as `label`, its
 * cells as they were). Rows before the first full window score 0. Input rows must be
 * in time order (else an error names the first line; `--sort` sorts them, output then in time order); the output
 * file is replaced whole (temp file + rename).
 */
import { basename } from 'node:path';
import { once } from 'node:events';
import { Command } from 'commander';
import { readCsv, type FillPolicy } from '../data/csv.ts';
import { csvField } from '../data/csv-records.ts';
import { medianStepMs, timestampGaps, gapsNote, span } from '../data/sampling.ts';
import { IRREGULAR_RATIO } from '../window/pace.ts';
import { rowCount, type Series } from '../data/series.ts';
import { labelColumn } from '../data/labels.ts';
import { openModel } from '../inference/open-model.ts';
import { AUTO_MAX_BATCH } from '../inference/max-batch.ts';
import { loadModel } from '../model/load.ts';
import { servingRanges } from '../model/ranges.ts';
import { alertLines } from '../alerts/alert-lines.ts';
import { scoreSeries, type SeriesScoreOptions, type SeriesScores } from '../stream/score-series.ts';
import { gapLimits } from '../stream/data-gaps.ts';
import { createThreshold } from '../thresholds/factory.ts';
import { RunConfigSchema } from '../config/schema.ts';
import { defaultAt } from '../config/defaults.ts';
import { readConfigSections } from '../config/load.ts';
import { applyFlags, FLAGS, longFlag, type FlagKey, type FlagRow, type FlagValues } from '../config/flags.ts';
import { parseThresholdOption } from '../config/threshold-option.ts';
import { atomicWriteStream } from '../util/atomic-write.ts';
import { formatNumber } from '../util/format-number.ts';
import { writeHtmlReport } from './score-report.ts';
import { addFlags, flagOrDefault, flagValues } from './flags.ts';

/** The options of `vigil score`, in help order (runtime/config/flags.ts: the same spelling as `vigil run`'s). */
export const SCORE_FLAGS = [
  'config', 'model', 'data', 'out', 'threshold', 'smoothing', 'providers', 'batch', 'fill', 'sort', 'separator', 'alertOpen',
  'alertClose', 'alertCritical', 'cooldown', 'gapReset', 'sensor', 'report', 'quiet',
] as const satisfies readonly FlagKey[];

/** The run config sections a scoring run uses: the same keys, checks and defaults as `vigil run`. */
const ScoreConfigSchema = RunConfigSchema.pick({ model: true, threshold: true, smoothing: true, inference: true, batch: true, window: true, alerts: true });

/** The scoring config of `vigil score`'s flags: laid over the schema's defaults; an error names the flag. */
export function scoreConfig(values: FlagValues) {
  // --config: the run config's sections scoring uses (the rest, broker and source, is not read); flags lay over it.
  const file = typeof values.config === 'string' ? values.config : undefined;
  const base = file ? readConfigSections(file, Object.keys(ScoreConfigSchema.shape)) : {};
  if (base.model === undefined && values.model === undefined) throw new Error(`--model is required${file ? ` (${file} sets no model)` : ''}`);
  const res = ScoreConfigSchema.safeParse(applyFlags(base, values));
  if (res.success) return res.data;
  const rows = SCORE_FLAGS.map((k): FlagRow => FLAGS[k]).filter((r) => r.path);
  const lines = res.error.issues.map((i) => {
    const key = i.path.join('.');
    const row = rows.find((r) => key === r.path || key.startsWith(`${r.path}.`));
    if (!row) return `${file ? `${file}: ` : ''}${key}: ${i.message}`;
    return `${longFlag(row)}${row.merge ? '' : key.slice(row.path!.length)}: ${i.message}`;
  });
  throw new Error(lines.join('\n'));
}

/** Per-row results of a scoring run (scoreSeries' arrays, in input row order), with the series and how it ran. */
export interface ScoreResult extends SeriesScores {
  series: Series;
  provider: string;
  providerReport: string;
  seconds: number;
}

/** The options of a scoring run that go to scoreSeries as they are (runtime/stream/score-series.ts says what each means). */
type SeriesPassed = Pick<SeriesScoreOptions, 'smoothing' | 'alertOpen' | 'alertClose' | 'cooldownMs' | 'alertOpenCritical' | 'gapResetMs' | 'readingIntervalMs' | 'onProgress'>;

/** Parsed options of a scoring run (what `run` gathers from the command line). */
export interface ScoreOptions extends SeriesPassed {
  model: string;
  data: string;
  sensor?: string;
  /** A spec as `--threshold` takes it, or a threshold config `{ kind, ...params }` (default: the card's). */
  threshold?: string | ({ kind: string } & Record<string, unknown>);
  providers?: string[];
  batch?: number;
  fill?: FillPolicy;
  separator?: ',' | ';' | '\t';
  /** Sort rows by time instead of failing on the first row earlier than the one before or repeating a timestamp. */
  sort?: boolean;
  /** Told what the reader did on its own: cells filled, rows sorted. */
  onNote?: (note: string) => void;
}

/** Score a CSV file through the pipeline; returns per-row arrays (the CLI writes them out). */
export async function scoreCsv(o: ScoreOptions): Promise<ScoreResult> {
  const t0 = performance.now();
  const model = loadModel(o.model);
  const { card } = model;
  // The card names the channels; label columns are kept aside (the report draws them). Rows out of time order
  // would be scored 0 by the window stage, so they are refused here, naming the first, unless --sort. A cell
  // outside the card's physical ranges is a bad cell (vigil run refuses such readings as out_of_range): --fill says.
  const series = readCsv(o.data, { channels: card.channels, ranges: servingRanges(card), fill: o.fill ?? (flagOrDefault({}, 'fill') as FillPolicy), separator: o.separator, order: o.sort ? 'sort' : 'strict', onNote: o.onNote });
  const rows = rowCount(series);
  const gaps = timestampGaps(series.timestamps);
  if (gaps) {
    const { intervalMs, resetMs } = gapLimits(card, o);
    const what = !Number.isFinite(resetMs)
      ? 'windows span them as if the rows were consecutive (--gap-reset MS restarts a window after a longer gap)'
      : o.gapResetMs !== undefined
        ? `a window restarts after a gap over ${o.gapResetMs} ms (--gap-reset)`
        : `a window restarts after a gap over ${span(resetMs)}, a whole window of rows ${span(intervalMs)} apart (${o.readingIntervalMs !== undefined ? 'window.readingIntervalMs' : "the card's interval"}, or the rows' own pace where slower; --gap-reset never: windows span gaps)`;
    o.onNote?.(gapsNote(o.data, gaps, what));
  }
  // Rows at another pace than the model's training interval: windows hold another span of time than it learnt from,
  // and its spread check another motion per row (a probe: 60 s rows through a 10 s model, 5 of 8 alerts false, unsaid).
  // vigil run says the same of a live sensor (runtime/ops/drops.ts).
  const step = medianStepMs(series.timestamps);
  const trained = card.data?.intervalMs;
  if (step && trained && (step > IRREGULAR_RATIO * trained || step * IRREGULAR_RATIO < trained)) {
    o.onNote?.(`${o.data}: rows every ${span(step)}, against the model's training interval of ${span(trained)}: a window holds ${(step / trained).toFixed(step > trained ? 0 : 2)}x the time the model learnt from, so expect false alerts (resample to ${span(trained)}, or train on data at this rate)`);
  }
  // Without a config (a library call), the defaults of vigil score's flags (--batch: the schema's batch.maxBatch);
  // auto (undefined here) follows the provider the model opens on (scoreSeries), the warm-up the CPU's until then.
  const asked = o.batch ?? flagOrDefault({}, 'batch');
  const batch = typeof asked === 'number' ? asked : undefined;
  const opened = await openModel(model, { providers: o.providers ?? (defaultAt('inference.providers') as string[]), warmup: [1, Math.min(batch ?? AUTO_MAX_BATCH.cpu, Math.max(1, rows))] });
  const thresholdConfig = thresholdOf(o.threshold) ?? card.threshold.default;
  // Validate once up front so a bad --threshold fails before any work, naming the key.
  createThreshold(thresholdConfig, card, '--threshold');
  const sensor = o.sensor ?? basename(o.data).replace(/\.[^.]+$/, '');
  // The scoring loop is shared with the dashboard's in-browser scorer (runtime/stream/score-series.ts).
  const res = await scoreSeries(series, opened.ref, {
    sensor,
    threshold: thresholdConfig,
    batch,
    smoothing: o.smoothing,
    alertOpen: o.alertOpen,
    alertClose: o.alertClose,
    cooldownMs: o.cooldownMs,
    alertOpenCritical: o.alertOpenCritical,
    gapResetMs: o.gapResetMs,
    readingIntervalMs: o.readingIntervalMs,
    onProgress: o.onProgress,
  });
  await opened.ref.close();
  return { series, ...res, provider: opened.resolved.provider, providerReport: opened.report, seconds: (performance.now() - t0) / 1000 };
}

const thresholdOf = (t: ScoreOptions['threshold']) => (typeof t === 'string' ? parseThresholdOption(t) : t);

/**
 * Write the per-row CSV: to a temp file renamed over `path` when complete, so a kill never leaves half a file.
 * `filled`: add the `filled` column (the run filled bad cells: --fill ffill or zero), present however few were.
 */
export async function writeScoresCsv(path: string, res: ScoreResult, channels: string[], opts: { filled?: boolean } = {}): Promise<void> {
  const file = atomicWriteStream(path);
  try {
    await writeRows(file.stream, res, channels, opts.filled === true);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

async function writeRows(out: NodeJS.WritableStream, res: ScoreResult, channels: string[], filled: boolean): Promise<void> {
  const C = channels.length;
  const raw = res.series.rawTimestamps;
  // The input's label column goes through (last, as `label`, its cells as they were), so `vigil evaluate labels --scores`
  // reads the file alone (a probe: it had to be pointed at the input again with --labels).
  const label = labelColumn(res.series);
  // Which rows hold filled cells, so a score of readings is told from one of filled values (a review: the note's count
  // of filled cells was all an analyst had).
  const filledIn = res.series.filledChannels;
  // A channel named 'flow [m3/h, std]' is one field (RFC 4180 quoting), as the timestamps are.
  out.write(`timestamp,score,threshold,alert,${channels.map((c) => csvField(`err_${c}`)).join(',')}${filled ? ',filled' : ''}${label ? ',label' : ''}\n`);
  for (let r = 0; r < res.scores.length; r++) {
    const ts = raw ? raw[r] : new Date(res.series.timestamps[r]).toISOString();
    const errs: string[] = [];
    for (let c = 0; c < C; c++) errs.push(formatNumber(res.perChannel[r * C + c]));
    const mark = filled ? `,${csvField(filledIn?.[r]?.join(';') ?? '')}` : '';
    const cell = label ? `,${csvField(label.cells[r] ?? '')}` : '';
    if (!out.write(`${csvField(ts)},${formatNumber(res.scores[r])},${formatNumber(res.thresholds[r])},${res.alerts[r]},${errs.join(',')}${mark}${cell}\n`)) await once(out, 'drain');
  }
}

/** CLI entry. */
export async function run(args: string[]): Promise<number> {
  const cmd = addFlags(
    new Command('vigil score').description('Score a CSV with a model through the same pipeline as `vigil run`; one output row per input row.'),
    SCORE_FLAGS,
    ['data', 'out'],
  )
    .addHelpText(
      'after',
      `
Rows before the first full window (window - 1 rows) get score 0 and alert 0; the threshold column shows the level
in force, starting from the card's calibration and adapting along the file exactly as it would live.
alert is 1 while an alert is open: the same alert state machine, options and defaults as \`vigil run\` (config
\`alerts\`: by default ${defaultAt('alerts.openK')} of ${defaultAt('alerts.openN')} anomalous windows opens it and ${defaultAt('alerts.closeM')} quiet windows in a row close it).
Options shared with \`vigil run\` (--threshold, --smoothing, --providers, --alert-*, --cooldown, --gap-reset) have the same
name, syntax and default there (one table: runtime/config/flags.ts; defaults: the config schema). --config reads
a \`vigil run\` config file's model, threshold, smoothing, alerts, window, inference and batch sections (flags
override it), so a replay scored offline runs under the gateway's own settings.

Example:
  vigil score --model models/pump --data data/test.csv --out scores.csv --threshold spot --alert-open 2/3 --report scores.html`,
    )
    .exitOverride()
    .showHelpAfterError();
  cmd.parse(args, { from: 'user' });
  const v = flagValues(cmd, SCORE_FLAGS) as Record<FlagKey, string | undefined> & { sort?: boolean; quiet?: boolean };
  const fill = flagOrDefault(v, 'fill') as FillPolicy;
  const sep = v.separator === 'tab' ? '\t' : v.separator;
  if (sep !== undefined && ![',', ';', '\t'].includes(sep)) throw new Error(`--separator: expected ',', ';' or 'tab'; got '${v.separator}'`);
  const cfg = scoreConfig(v);
  const out = v.out!;
  const o: ScoreOptions = {
    model: cfg.model,
    data: v.data!,
    sensor: v.sensor,
    threshold: cfg.threshold,
    smoothing: cfg.smoothing.kind === 'ewma' ? cfg.smoothing.alpha : undefined,
    providers: cfg.inference.providers,
    // auto: by the provider the model runs on (scoreSeries).
    batch: cfg.batch.maxBatch === 'auto' ? undefined : cfg.batch.maxBatch,
    fill,
    separator: sep as ScoreOptions['separator'],
    alertOpen: { k: cfg.alerts.openK, n: cfg.alerts.openN },
    alertClose: cfg.alerts.closeM,
    cooldownMs: cfg.alerts.cooldownMs,
    alertOpenCritical: cfg.alerts.openCritical,
    gapResetMs: cfg.window.gapResetMs,
    readingIntervalMs: cfg.window.readingIntervalMs,
    sort: v.sort,
    onNote: v.quiet ? undefined : (note) => process.stderr.write(`note: ${note}\n`),
  };
  // A one-line progress display for long files, on a terminal only (logs and pipes stay clean).
  const tty = !v.quiet && process.stderr.isTTY;
  let shown = -1;
  if (tty) {
    o.onProgress = (done, rows) => {
      const pct = Math.floor((100 * done) / Math.max(1, rows));
      if (pct !== shown) process.stderr.write(`\rscoring ${String(pct).padStart(3)}%  ${done}/${rows} rows`);
      shown = pct;
    };
  }
  const res = await scoreCsv(o).finally(() => tty && shown >= 0 && process.stderr.write('\r\x1b[K'));
  const card = loadModel(o.model).card;
  await writeScoresCsv(out, res, card.channels, { filled: fill !== 'error' });
  if (v.report) await writeHtmlReport(v.report, res, basename(o.data), o.sensor, card);
  if (!v.quiet) {
    const c = res.counters;
    const rows = res.scores.length;
    const lines = [
      res.providerReport,
      `threshold: ${JSON.stringify(thresholdOf(o.threshold) ?? card.threshold.default)} (starts at ${formatNumber(res.thresholds[0])})`,
      // The lines below print times in UTC, whatever zone the file wrote (a probe read 05:33:20 for its 07:33:20+02:00).
      `rows: ${rows}, windows scored: ${c.scored}, anomalous windows: ${c.anomalies}, alerts: ${c.alertsOpened}${res.events.length ? ' (times in UTC)' : ''}`,
      ...alertLines(res.events),
    ];
    // Nothing scored says why: the first window needs a whole window of rows.
    if (c.scored === 0 && rows < card.window) lines.push(`nothing scored: the file has ${rows} row(s) and the model judges windows of ${card.window}; score a file with at least ${card.window} rows`);
    const repeated = c.duplicates + c.timestampConflicts;
    if (repeated + c.outOfOrder + c.unusable) lines.push(`rows not scored: ${repeated} repeated and ${c.outOfOrder} out-of-order timestamps, ${c.unusable} unusable (score 0)`);
    if (c.readingGaps) lines.push(`${c.readingsMissing} row(s) missing at the usual interval, in ${c.readingGaps} gap(s) in the timestamps`);
    if (c.gapResets) lines.push(`window restarted after ${c.gapResets} gap(s) in the timestamps`);
    lines.push(`wrote ${out}${v.report ? ` and ${v.report}` : ''}`, `time: ${res.seconds.toFixed(2)} s (${Math.round(rows / res.seconds)} rows/s)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
