/**
 * vigil's column of the quality bench: exactly `vigil train --data train.csv --out M` then `vigil score --model M
 * --data test.csv --out scores.csv` with no other flags. Training calls `trainModel` with only data and out (its
 * defaults are the CLI's, from train/defaults.ts OPTION_TABLE); scoring calls the `vigil score` command entry
 * itself, so whatever defaults it applies (threshold, alert rules) are the ones measured. The per-row verdict is
 * the `alert` column it writes. One model per training set, reused for all of that set's runs.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type ModelCard } from '@vigil/runtime';
import { ALERT_DEFAULTS } from '../../runtime/alerts/tracker.ts';
import { run as vigilScore } from '../../runtime/cli/score.ts';
import { numberColumn, readTable, requireColumn } from '../../evaluate/labels/table.ts';
import { scoredRowsFromTable } from '../../evaluate/labels/scores.ts';
import { trainModel, type TrainOptions } from '../../train/index.ts';
import type { LabelledRun } from './labelled-run.ts';
import { writeSeriesCsv } from '@vigil/train/uses/write-csv.ts';

/** vigil's verdict on one run, as `vigil score` wrote it. */
export interface VigilRun {
  runId: string;
  scores: Float64Array;
  thresholds: Float64Array;
  alert: Uint8Array;
  card: ModelCard;
  /** Per row, the channel (index into `card.channels`) with the largest `err_` column; -1 where none is above 0. */
  top: Int16Array;
}

/** What vigil ran with, for the report. */
export interface VigilSetup {
  train: string;
  score: string;
  /** Per training set: architecture, window, span, scoring, threshold from the card. */
  models: Array<{ trainKey: string; summary: string; trainSeconds: number; epochs: number }>;
}

/** One line describing a trained model from its card. */
export function cardSummary(card: ModelCard): string {
  const t = card.threshold;
  const drift = card.scoring.residual?.tracking?.drift;
  const wandering = drift && card.channels.filter((_, k) => drift[k] > 0);
  const level = wandering ? `, level drift on ${wandering.length ? wandering.join(', ') : 'no channel'}` : '';
  const memory = card.scoring.residual?.memory;
  const remembered = memory ? `, residual memory (EWMA lambda ${memory.lambda}, scale ${memory.scale.toPrecision(3)})` : '';
  return `${card.architecture.kind}, window ${card.window}, ${card.channels.length} channels, score ${card.scoring.error} over the last ${card.scoring.span} rows${level}${remembered}, threshold ${JSON.stringify(t.default)} (static ${t.static.value.toPrecision(4)}, ${t.static.method})`;
}

/**
 * Something other than the defaults, for experiments (bench/quality/try-variants.ts); the bench itself passes none.
 * `train` changes training options, `card` edits a copy of the trained card before scoring (a scoring change on the
 * same weights), `score` adds `vigil score` flags. `reuse` keeps a model already trained in `dir`.
 */
export interface VigilVariant {
  train?: Partial<TrainOptions>;
  card?: (card: ModelCard) => void;
  score?: string[];
  reuse?: boolean;
  /** Where the edited cards and the scores go (default: `dir`). */
  scoreDir?: string;
}

/** Train one model per training set and score every run with `vigil score`. */
export async function runVigil(runs: LabelledRun[], dir: string, log: (line: string) => void = () => {}, variant: VigilVariant = {}): Promise<{ results: Map<string, VigilRun>; setup: VigilSetup }> {
  mkdirSync(dir, { recursive: true });
  const scoreDir = variant.scoreDir ?? dir;
  mkdirSync(scoreDir, { recursive: true });
  const models = new Map<string, string>();
  const setup: VigilSetup = {
    train: variant.train?.seed !== undefined && Object.keys(variant.train).length === 1
      ? `vigil train --data TRAIN.csv --out MODEL --seed ${variant.train.seed} (all other training options at their defaults)`
      : 'vigil train --data TRAIN.csv --out MODEL (all training options at their defaults)',
    score: `vigil score --model MODEL --data TEST.csv --out SCORES.csv --quiet (all scoring options at their defaults: the card's threshold, alert policy ${JSON.stringify(ALERT_DEFAULTS)}; verdict = the alert column)`,
    models: [],
  };
  const results = new Map<string, VigilRun>();
  for (const r of runs) {
    let model = models.get(r.trainKey);
    if (!model) {
      model = join(dir, r.trainKey);
      if (variant.reuse && existsSync(`${model}.onnx`) && existsSync(`${model}.json`)) {
        setup.models.push({ trainKey: r.trainKey, summary: cardSummary(loadModel(model).card), trainSeconds: Number.NaN, epochs: Number.NaN });
      } else {
        const csv = join(dir, `${r.trainKey}.train.csv`);
        await writeSeriesCsv(csv, r.train);
        const t = await trainModel({ ...variant.train, data: csv, out: model });
        t.model.dispose();
        setup.models.push({ trainKey: r.trainKey, summary: cardSummary(t.card), trainSeconds: t.seconds, epochs: t.fit.history.length });
        log(`  vigil: trained ${r.trainKey} in ${t.seconds.toFixed(1)} s (${t.fit.history.length} epochs)`);
      }
      if (variant.card) model = editedCopy(model, join(scoreDir, r.trainKey), variant.card);
      models.set(r.trainKey, model);
    }
    const csv = join(dir, `${r.id}.test.csv`);
    const out = join(scoreDir, `${r.id}.scores.csv`);
    if (!variant.reuse || !existsSync(csv)) await writeSeriesCsv(csv, r.test);
    const code = await vigilScore(['--model', model, '--data', csv, '--out', out, '--quiet', ...(variant.score ?? [])]);
    if (code !== 0) throw new Error(`vigil score exited with ${code} on ${csv}`);
    const table = readTable(out);
    const scored = scoredRowsFromTable(table, { alertColumn: 'alert' });
    if (scored.alert.length !== r.test.timestamps.length) throw new Error(`${out}: ${scored.alert.length} rows; expected ${r.test.timestamps.length}`);
    const thresholds = numberColumn(table, requireColumn(table, ['threshold'], 'threshold'));
    const card = loadModel(model).card;
    results.set(r.id, { runId: r.id, scores: scored.scores, thresholds, alert: scored.alert, card, top: topChannels(card.channels.map((c) => numberColumn(table, requireColumn(table, [`err_${c}`], `err_${c}`)))) });
  }
  return { results, setup };
}

/** The model at `from` with its card edited, written to `to` (weights copied as they are); returns `to`. */
function editedCopy(from: string, to: string, edit: (card: ModelCard) => void): string {
  const card = JSON.parse(readFileSync(`${from}.json`, 'utf8')) as ModelCard;
  edit(card);
  copyFileSync(`${from}.onnx`, `${to}.onnx`);
  writeFileSync(`${to}.json`, `${JSON.stringify(card, null, 2)}\n`);
  return to;
}

/** Per row, the index of the largest of `errors` (one column per channel), or -1 where none is above 0. */
function topChannels(errors: Float64Array[]): Int16Array {
  const n = errors[0]?.length ?? 0;
  const top = new Int16Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 0; c < errors.length; c++) {
      if (errors[c][i] > best) {
        best = errors[c][i];
        top[i] = c;
      }
    }
  }
  return top;
}
