/**
 * Offline scoring in the browser with the runtime's own code: its CSV parser and card validation, then
 * `scoreSeries` (the live pipeline `vigil score` runs) on an onnxruntime-web session, so the page computes
 * what `vigil score` computes.
 */
import { parseCsv, type FillPolicy } from '@vigil/runtime/data/csv.ts';
import { csvField } from '@vigil/runtime/data/csv-records.ts';
import { rowCount, type Series } from '@vigil/runtime/data/series.ts';
import { parseCard, type ModelCard } from '@vigil/runtime/model/card.ts';
import { servingRanges } from '@vigil/runtime/model/ranges.ts';
import { OrtWebBackend } from '@vigil/runtime/inference/ort-web.ts';
import { ModelRef } from '@vigil/runtime/inference/model-ref.ts';
import { scoreSeries, type SeriesScores } from '@vigil/runtime/stream/score-series.ts';
import { formatNumber } from '@vigil/runtime/util/format-number.ts';

/** The three files a person drops. */
export interface ScoreInputs {
  csv: { name: string; text: string };
  onnx: Uint8Array;
  card: { name: string; text: string };
  fill?: FillPolicy;
  /** Windows per inference call (default 1024, as `vigil score`). */
  batch?: number;
}

/** Scores of a whole file: per-row arrays as `vigil score` writes them, plus what the page shows. */
export interface FileScores extends SeriesScores {
  card: ModelCard;
  series: Series;
  sensor: string;
  provider: string;
  /** Scoring time, and the time to load onnxruntime-web and open the session before it. */
  elapsedMs: number;
  loadMs: number;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Validate the card against the model, then score every row of the CSV as `vigil score` does with its defaults. */
export async function scoreFile(inp: ScoreInputs): Promise<FileScores> {
  let json: unknown;
  try {
    json = JSON.parse(inp.card.text);
  } catch (err) {
    throw new Error(`${inp.card.name} is not valid JSON: ${(err as Error).message}`);
  }
  const card = parseCard(json, `model card ${inp.card.name}`);
  const sum = await sha256Hex(inp.onnx);
  if (sum !== card.onnx.sha256) {
    throw new Error(`the .onnx file has sha256 ${sum.slice(0, 12)}…; the card ${inp.card.name} expects ${card.onnx.sha256.slice(0, 12)}… (wrong model for this card?)`);
  }
  const tLoad = performance.now();
  const series = parseCsv(inp.csv.text, { file: inp.csv.name, channels: card.channels, ranges: servingRanges(card), fill: inp.fill ?? 'error', extraColumns: ['label'] });
  if (rowCount(series) < card.window) throw new Error(`${inp.csv.name} has ${rowCount(series)} rows; the model needs at least ${card.window} (one window)`);
  const session = await new OrtWebBackend().open({ onnx: inp.onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: card.channels.length });
  const ref = new ModelRef(card, session);
  const t0 = performance.now();
  const sensor = inp.csv.name.replace(/\.[^.]+$/, '');
  try {
    const res = await scoreSeries(series, ref, { sensor, threshold: card.threshold.default, batch: inp.batch });
    return { ...res, card, series, sensor, provider: session.provider, elapsedMs: performance.now() - t0, loadMs: t0 - tLoad };
  } finally {
    await ref.close();
  }
}

/** Results as CSV, the columns `vigil score --out` writes: timestamp,score,threshold,alert,err_<channel>... */
export function scoresCsv(r: FileScores): string {
  const C = r.card.channels.length;
  const raw = r.series.rawTimestamps;
  const lines = [`timestamp,score,threshold,alert,${r.card.channels.map((c) => csvField(`err_${c}`)).join(',')}`];
  for (let i = 0; i < r.scores.length; i++) {
    const ts = raw ? raw[i] : new Date(r.series.timestamps[i]).toISOString();
    const errs = Array.from(r.perChannel.subarray(i * C, (i + 1) * C), (x) => formatNumber(x));
    lines.push(`${csvField(ts)},${formatNumber(r.scores[i])},${formatNumber(r.thresholds[i])},${r.alerts[i]},${errs.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}
