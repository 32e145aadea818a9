/**
 * `vigil score`: run a CSV through the live pipeline (the same windowBySensor -> microBatch -> inferBatches ->
 * applyThresholds -> trackAlerts operators as `vigil run`) and write one row per input row, in input order:
 * `timestamp,score,threshold,alert,err_<channel>...`. Rows before the first full window score 0. Input rows must be
 * in time order (else an error names the first line; `--sort` sorts them, output then in time order); the output
 * file is replaced whole (temp file + rename).
 */
import { basename } from 'node:path';
import { once } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import { readCsv, type FillPolicy } from '../data/csv.ts';
import { rowCount, type Series } from '../data/series.ts';
import { openModel } from '../inference/open-model.ts';
import { loadModel } from '../model/load.ts';
import { servingRanges } from '../model/ranges.ts';
import { scoreSeries, type SeriesScores } from '../stream/score-series.ts';
import { createThreshold } from '../thresholds/factory.ts';
import { ALERT_DEFAULTS } from '../alerts/tracker.ts';
import { INFER_DEFAULTS } from '../stream/infer-batches.ts';
import { atomicWriteStream } from '../util/atomic-write.ts';
import { parseThresholdOption } from './threshold-option.ts';

/** Options and their defaults, in one table; the alert policy's come from the config schema's `alerts` fields. */
const OPTIONS = {
  providers: 'cpu,wasm',
  /** The live pipeline's largest batch (`batch.maxBatch` of `vigil run`): offline every batch is a backlog. */
  batch: INFER_DEFAULTS.maxBatch,
  fill: 'error' as FillPolicy,
  alertOpen: `${ALERT_DEFAULTS.openK}/${ALERT_DEFAULTS.openN}`,
  alertClose: ALERT_DEFAULTS.closeM,
  cooldownMs: ALERT_DEFAULTS.cooldownMs,
};

/** Per-row results of a scoring run (scoreSeries' arrays, in input row order), with the series and how it ran. */
export interface ScoreResult extends SeriesScores {
  series: Series;
  provider: string;
  providerReport: string;
  seconds: number;
}

/** Parsed options of a scoring run (what `run` gathers from the command line). */
export interface ScoreOptions {
  model: string;
  data: string;
  sensor?: string;
  threshold?: string;
  smoothing?: number;
  providers?: string[];
  batch?: number;
  fill?: FillPolicy;
  separator?: ',' | ';' | '\t';
  alertOpen?: { k: number; n: number };
  alertClose?: number;
  cooldownMs?: number;
  gapResetMs?: number;
  /** Sort rows by time instead of failing on the first row earlier than the one before or repeating a timestamp. */
  sort?: boolean;
  /** Told what the reader did on its own: cells filled, rows sorted. */
  onNote?: (note: string) => void;
  /** Progress callback: rows read so far and the total. */
  onProgress?: (rowsRead: number, rows: number) => void;
}

/** Score a CSV file through the pipeline; returns per-row arrays (the CLI writes them out). */
export async function scoreCsv(o: ScoreOptions): Promise<ScoreResult> {
  const t0 = performance.now();
  const model = loadModel(o.model);
  const { card } = model;
  // The card names the channels; label columns are kept aside (the report draws them). Rows out of time order
  // would be scored 0 by the window stage, so they are refused here, naming the first, unless --sort. A cell
  // outside the card's physical ranges is a bad cell (vigil run refuses such readings as out_of_range): --fill says.
  const series = readCsv(o.data, { channels: card.channels, ranges: servingRanges(card), fill: o.fill ?? OPTIONS.fill, separator: o.separator, order: o.sort ? 'sort' : 'strict', onNote: o.onNote });
  const rows = rowCount(series);
  const batch = o.batch ?? OPTIONS.batch;
  const opened = await openModel(model, { providers: o.providers ?? OPTIONS.providers.split(','), warmup: [1, Math.min(batch, Math.max(1, rows))] });
  const thresholdConfig = o.threshold ? parseThresholdOption(o.threshold) : card.threshold.default;
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
    gapResetMs: o.gapResetMs,
    onProgress: o.onProgress,
  });
  await opened.ref.close();
  return { series, ...res, provider: opened.resolved.provider, providerReport: opened.report, seconds: (performance.now() - t0) / 1000 };
}

const num = (x: number): string => (x === 0 ? '0' : Number.isInteger(x) ? String(x) : x.toPrecision(7).replace(/\.?0+(e|$)/, '$1'));

/** Write the per-row CSV: to a temp file renamed over `path` when complete, so a kill never leaves half a file. */
export async function writeScoresCsv(path: string, res: ScoreResult, channels: string[]): Promise<void> {
  const file = atomicWriteStream(path);
  try {
    await writeRows(file.stream, res, channels);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

async function writeRows(out: NodeJS.WritableStream, res: ScoreResult, channels: string[]): Promise<void> {
  const C = channels.length;
  const raw = res.series.rawTimestamps;
  out.write(`timestamp,score,threshold,alert,${channels.map((c) => `err_${c}`).join(',')}\n`);
  for (let r = 0; r < res.scores.length; r++) {
    const ts = raw ? raw[r] : new Date(res.series.timestamps[r]).toISOString();
    const errs: string[] = [];
    for (let c = 0; c < C; c++) errs.push(num(res.perChannel[r * C + c]));
    if (!out.write(`${/[",\n]/.test(ts) ? `"${ts.replace(/"/g, '""')}"` : ts},${num(res.scores[r])},${num(res.thresholds[r])},${res.alerts[r]},${errs.join(',')}\n`)) await once(out, 'drain');
  }
}

/** Hand the results to the dashboard's static report writer. */
async function writeHtmlReport(path: string, res: ScoreResult, o: ScoreOptions, model: { name: string; version: string }): Promise<void> {
  const { writeReport } = await import('../dashboard/report.ts');
  const idx = [...res.scored.keys()].filter((r) => res.scored[r]);
  const spans: { start: number; end: number | null }[] = [];
  for (const e of res.events) {
    if (e.type === 'open') spans.push({ start: e.tsLast, end: null });
    else if (spans.length) spans[spans.length - 1].end = e.tsLast;
  }
  const label = res.series.extra?.label;
  const labels: { start: number; end: number }[] = [];
  if (label) {
    for (let r = 0; r < label.length; r++) {
      if (!label[r] || label[r] === '0') continue;
      const ts = res.series.timestamps[r];
      const last = labels[labels.length - 1];
      if (last && r > 0 && label[r - 1] && label[r - 1] !== '0') last.end = ts;
      else labels.push({ start: ts, end: ts });
    }
  }
  await writeReport(path, {
    title: `vigil score: ${basename(o.data)}`,
    subtitle: `model ${model.name} ${model.version}, ${res.providerReport}`,
    model,
    provider: res.provider,
    sensors: [{
      name: o.sensor ?? basename(o.data),
      channels: res.series.channels,
      timestamps: res.series.timestamps,
      values: res.series.data,
      windowTs: idx.map((r) => res.series.timestamps[r]),
      scores: idx.map((r) => res.scores[r]),
      thresholds: idx.map((r) => res.thresholds[r]),
      anomalies: idx.map((r) => res.anomalies[r]),
      spans,
      ...(labels.length ? { labels } : {}),
    }],
  });
}

const int = (name: string, min = 0) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};

/** CLI entry. */
export async function run(args: string[]): Promise<number> {
  const cmd = new Command('vigil score')
    .description('Score a CSV with a model through the same pipeline as `vigil run`; one output row per input row.')
    .requiredOption('--model <path>', 'model path without extension (DIR/NAME), or either file')
    .requiredOption('--data <csv>', 'CSV to score: a timestamp column, then the channels named in the model card')
    .requiredOption('--out <csv>', 'output CSV: timestamp,score,threshold,alert,err_<channel>...')
    .option('--threshold <spec>', "threshold kind and params: 'spot', 'spot,q=1e-4', or JSON '{\"kind\":\"spot\",\"q\":1e-4}' (default: the card's)")
    .option('--smoothing <alpha>', 'EWMA smoothing of scores before the threshold, weight of the newest in (0, 1]', Number)
    .option('--providers <list>', 'execution providers in priority order, e.g. webgpu,cuda,cpu,wasm', OPTIONS.providers)
    .option('--batch <n>', 'windows per inference call', int('--batch', 1), OPTIONS.batch)
    .option('--fill <policy>', "missing or non-numeric cells, and cells outside the card's physical ranges: error | ffill | zero", OPTIONS.fill)
    .option('--sort', 'sort rows by time instead of failing on the first row out of order (a repeated timestamp: its first row is scored, the others score 0); output rows follow the sorted order')
    .option('--separator <sep>', "field separator: ',' ';' or 'tab' (default: detected)")
    .option('--alert-open <k/n>', 'open an alert when k of the last n windows are anomalous', OPTIONS.alertOpen)
    .option('--alert-close <m>', 'close it after m quiet windows in a row', int('--alert-close', 1), OPTIONS.alertClose)
    .option('--cooldown <ms>', 'no new alert for this long after a close', int('--cooldown'), OPTIONS.cooldownMs)
    .option('--gap-reset <ms>', 'restart the window after a gap in the timestamps longer than this', int('--gap-reset'))
    .option('--sensor <name>', 'sensor name in alerts (default: the file name)')
    .option('--report <html>', 'also write a self-contained HTML report with the plots')
    .option('--quiet', 'print only errors')
    .addHelpText(
      'after',
      `
Rows before the first full window (window - 1 rows) get score 0 and alert 0; the threshold column shows the level
in force, starting from the card's calibration and adapting along the file exactly as it would live.
alert is 1 while an alert is open: the same alert state machine and defaults as \`vigil run\` (config \`alerts\`:
by default one anomalous window opens it and ${ALERT_DEFAULTS.closeM} quiet windows in a row close it).

Example:
  vigil score --model models/pump --data data/test.csv --out scores.csv --threshold spot --alert-open 2/3 --report scores.html`,
    )
    .exitOverride()
    .showHelpAfterError();
  cmd.parse(args, { from: 'user' });
  const v = cmd.opts<{ model: string; data: string; out: string; sort?: boolean; threshold?: string; smoothing?: number; providers: string; batch: number; fill: string; separator?: string; alertOpen: string; alertClose: number; cooldown: number; gapReset?: number; sensor?: string; report?: string; quiet?: boolean }>();
  if (!['error', 'ffill', 'zero'].includes(v.fill)) throw new Error(`--fill: expected error, ffill or zero; got '${v.fill}'`);
  const m = /^(\d+)\/(\d+)$/.exec(v.alertOpen);
  if (!m) throw new Error(`--alert-open: expected k/n such as 2/3; got '${v.alertOpen}'`);
  const sep = v.separator === 'tab' ? '\t' : v.separator;
  if (sep !== undefined && ![',', ';', '\t'].includes(sep)) throw new Error(`--separator: expected ',', ';' or 'tab'; got '${v.separator}'`);
  const o: ScoreOptions = {
    model: v.model,
    data: v.data,
    sensor: v.sensor,
    threshold: v.threshold,
    smoothing: v.smoothing,
    providers: v.providers.split(',').map((s) => s.trim()).filter(Boolean),
    batch: v.batch,
    fill: v.fill as FillPolicy,
    separator: sep as ScoreOptions['separator'],
    alertOpen: { k: Number(m[1]), n: Number(m[2]) },
    alertClose: v.alertClose,
    cooldownMs: v.cooldown,
    gapResetMs: v.gapReset,
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
  await writeScoresCsv(v.out, res, card.channels);
  if (v.report) await writeHtmlReport(v.report, res, o, { name: card.name, version: card.version });
  if (!v.quiet) {
    const c = res.counters;
    const rows = res.scores.length;
    const lines = [
      res.providerReport,
      `threshold: ${JSON.stringify(o.threshold ? parseThresholdOption(o.threshold) : card.threshold.default)} (starts at ${num(res.thresholds[0])})`,
      `rows: ${rows}, windows scored: ${c.scored}, anomalous windows: ${c.anomalies}, alerts: ${c.alertsOpened}`,
    ];
    const repeated = c.duplicates + c.timestampConflicts;
    if (repeated + c.outOfOrder + c.unusable) lines.push(`rows not scored: ${repeated} repeated and ${c.outOfOrder} out-of-order timestamps, ${c.unusable} unusable (score 0)`);
    if (c.gapResets) lines.push(`window restarted after ${c.gapResets} gap(s) in the timestamps`);
    lines.push(`wrote ${v.out}${v.report ? ` and ${v.report}` : ''}`, `time: ${res.seconds.toFixed(2)} s (${Math.round(rows / res.seconds)} rows/s)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
