/** Node's scores for a CSV, through the runtime's streaming detection path with native ONNX Runtime. */
import { from, lastValueFrom, toArray } from 'rxjs';
import { readCsv } from '../../runtime/data/csv.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { openModel } from '../../runtime/inference/open-model.ts';
import { createPipeline } from '../../runtime/stream/pipeline.ts';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import type { Reading } from '../../runtime/stream/types.ts';

/** Per-window results of scoring a CSV in Node. */
export interface NodeScores {
  provider: string;
  timestamps: number[];
  ts: number[];
  scores: number[];
  thresholds: number[];
  anomalies: number[];
}

/** Score every window of a CSV file with the model at `modelPath` (DIR/NAME). */
export async function scoreWithNode(csvPath: string, modelPath: string): Promise<NodeScores> {
  const model = loadModel(modelPath);
  const { card } = model;
  const series = readCsv(csvPath, { channels: card.channels });
  const C = card.channels.length;
  const readings: Reading[] = Array.from(series.timestamps, (ts, r) => ({
    sensor: 'file',
    ts,
    values: Object.fromEntries(card.channels.map((c, j) => [c, series.data[r * C + j]])),
    receivedAt: 0,
  }));
  const opened = await openModel(model, { providers: ['cpu'] });
  try {
    // Offline, every window must be scored: no live load shedding of waiting windows.
    const pipeline = createPipeline({
      model: opened.ref,
      thresholds: () => createThreshold(card.threshold.default, card),
      window: { stride: card.stride },
      infer: { maxPending: readings.length, maxPendingPerSensor: readings.length },
    });
    const detections = await lastValueFrom(from(readings).pipe(pipeline.detect, toArray()));
    const v = detections.map((d) => d.verdict);
    return {
      provider: opened.resolved.provider,
      timestamps: Array.from(series.timestamps),
      ts: v.map((x) => x.tsLast),
      scores: v.map((x) => x.score),
      thresholds: v.map((x) => x.threshold),
      anomalies: v.map((x) => (x.anomaly ? 1 : 0)),
    };
  } finally {
    await opened.ref.close?.();
  }
}
