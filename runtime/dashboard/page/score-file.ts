/**
 * Offline scoring in the browser, composed from the runtime's own pieces (CSV parser, channel selection,
 * scaler, sliding windows on WindowRing, ort-web session, reconstruction scores, thresholds), so the page
 * computes what `vigil score` computes.
 */
import { parseCsv, type FillPolicy } from '../../data/csv.ts';
import { rowCount, selectChannels, type Series } from '../../data/series.ts';
import { parseCard, type ModelCard } from '../../model/card.ts';
import { applyScaler } from '../../scaling/scaler.ts';
import { slidingWindows } from '../../window/sliding.ts';
import { reconstructionScores } from '../../scoring/reconstruction.ts';
import { OrtWebBackend } from '../../inference/ort-web.ts';
import { decide, type Threshold } from '../../thresholds/threshold.ts';
import { createThreshold } from '../../thresholds/factory.ts';

/** The three files a person drops. */
export interface ScoreInputs {
  csv: { name: string; text: string };
  onnx: Uint8Array;
  card: { name: string; text: string };
  fill?: FillPolicy;
  /** Windows per inference call. */
  batch?: number;
  /** Called with windows done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Scores of a whole file. */
export interface FileScores {
  card: ModelCard;
  series: Series;
  provider: string;
  /** Row index and timestamp (epoch ms) of each window's last row. */
  ends: number[];
  ts: number[];
  scores: number[];
  thresholds: number[];
  anomalies: number[];
  /** Per-channel error, windows x channels. */
  perChannel: number[][];
  elapsedMs: number;
}

/** The threshold the page applies: the card's default, built by the runtime's own factory. */
export function thresholdFor(card: ModelCard): Threshold {
  return createThreshold(card.threshold.default, card, `${card.name} card threshold.default`);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Validate the card against the model, then score every window of the CSV. */
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
  const t0 = performance.now();
  const series = selectChannels(parseCsv(inp.csv.text, { file: inp.csv.name, fill: inp.fill ?? 'error', extraColumns: ['label'] }), card.channels);
  const C = card.channels.length;
  const W = card.window;
  if (rowCount(series) < W) throw new Error(`${inp.csv.name} has ${rowCount(series)} rows; the model needs at least ${W} (one window)`);
  const scaled = applyScaler(card.scaler, series.data);
  const wins = slidingWindows(scaled, C, W, card.stride);
  const session = await new OrtWebBackend().open({ onnx: inp.onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: W, channels: C });
  const out: FileScores = { card, series, provider: session.provider, ends: [], ts: [], scores: [], thresholds: [], anomalies: [], perChannel: [], elapsedMs: 0 };
  const threshold = thresholdFor(card);
  const batch = inp.batch ?? 256;
  try {
    for (let i = 0; i < wins.count; i += batch) {
      const n = Math.min(batch, wins.count - i);
      const input = wins.data.subarray(i * W * C, (i + n) * W * C);
      const { reconstruction } = await session.run(input, n);
      const s = reconstructionScores(input, reconstruction, n, W, C, card.scoring);
      for (let k = 0; k < n; k++) {
        const end = wins.ends[i + k];
        const d = decide(threshold, s.scores[k]);
        out.ends.push(end);
        out.ts.push(series.timestamps[end]);
        out.scores.push(s.scores[k]);
        out.thresholds.push(d.threshold);
        out.anomalies.push(d.anomaly ? 1 : 0);
        out.perChannel.push(Array.from(s.perChannel.subarray(k * C, (k + 1) * C)));
      }
      inp.onProgress?.(i + n, wins.count);
    }
  } finally {
    await session.close();
  }
  out.elapsedMs = performance.now() - t0;
  return out;
}

/** Results as CSV: one row per window, like `vigil score` writes. */
export function scoresCsv(r: FileScores): string {
  const raw = r.series.rawTimestamps;
  const lines = ['timestamp,score,threshold,anomaly'];
  for (let i = 0; i < r.scores.length; i++) {
    lines.push(`${raw ? raw[r.ends[i]] : new Date(r.ts[i]).toISOString()},${r.scores[i]},${r.thresholds[i]},${r.anomalies[i]}`);
  }
  return `${lines.join('\n')}\n`;
}
