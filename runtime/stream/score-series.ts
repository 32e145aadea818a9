/**
 * Score a whole recorded series through the live pipeline and collect per-row results in input order. No
 * Node imports: `vigil score` runs it on onnxruntime-node, the dashboard page on onnxruntime-web, so both
 * produce the same numbers from the same code.
 */
import { lastValueFrom, tap } from 'rxjs';
import { rowCount, type Series } from '../data/series.ts';
import type { ModelRef } from '../inference/model-ref.ts';
import { createThreshold } from '../thresholds/factory.ts';
import { createCounters, type PipelineCounters } from './counters.ts';
import { createDrainGate, readingsFromSeries } from './from-series.ts';
import { offlineBatch } from '../scoring/input-offsets.ts';
import { maxBatchFor } from '../inference/max-batch.ts';
import { createPipeline } from './pipeline.ts';
import type { AlertEvent } from './types.ts';

/** How a series is scored; alert policy fields default to the pipeline's. */
export interface SeriesScoreOptions {
  /** Sensor name in alert events. */
  sensor: string;
  /** Threshold config `{ kind, ...params }` (e.g. the card's `threshold.default`). */
  threshold: unknown;
  /**
   * Windows per inference call (default: the live pipeline's largest batch on the model's provider, `maxBatchFor`). A card whose
   * inputs follow its residual (`tracking.input`) is scored in batches of at most one block of input offsets
   * (runtime/scoring/input-blocks.ts); its scores are the same whatever the batch.
   */
  batch?: number;
  smoothing?: number;
  alertOpen?: { k: number; n: number };
  alertClose?: number;
  cooldownMs?: number;
  /** A critical window opens an alert at once (default true; config alerts.openCritical). */
  alertOpenCritical?: boolean;
  /** `window.gapResetMs` (absent: a gap longer than a whole window of rows at the card's interval). */
  gapResetMs?: number | 'never';
  /** `window.readingIntervalMs` (absent: the card's interval). */
  readingIntervalMs?: number;
  /** Called after each inference batch with the rows read so far (for a progress display). */
  onProgress?: (rowsRead: number, rows: number) => void;
}

/** Per-row results, in input row order. */
export interface SeriesScores {
  scores: Float64Array;
  thresholds: Float64Array;
  alerts: Uint8Array;
  /** Whether the row ends a scored window. */
  scored: Uint8Array;
  anomalies: Uint8Array;
  /** rows x channels. */
  perChannel: Float32Array;
  events: AlertEvent[];
  counters: PipelineCounters;
}

/** Run every row of `series` (channels in card order) through the pipeline with the model in `ref`. */
export async function scoreSeries(series: Series, ref: ModelRef, o: SeriesScoreOptions): Promise<SeriesScores> {
  const card = ref.cardOf();
  const rows = rowCount(series);
  const batch = offlineBatch(card.scoring, o.batch ?? maxBatchFor('auto', ref.current.session.provider));
  const counters = createCounters();
  const chunk = Math.max(batch, 256);
  const gate = createDrainGate(counters, chunk);
  const pipeline = createPipeline({
    model: ref,
    thresholds: () => createThreshold(o.threshold, card),
    // One series, one sensor: nothing to forget for memory's sake. A hole is judged by its length alone (counted
    // missing, the window restarted past the reset limit) as `vigil run` judges the same rows fed back to back (a
    // historian replay), not forgotten as a quiet sensor, which counted no gap and said nothing of the hole.
    window: { gapResetMs: o.gapResetMs, readingIntervalMs: o.readingIntervalMs, idleEvictMs: Number.POSITIVE_INFINITY },
    batch: { size: batch, maxWaitMs: 0 },
    // Offline the source waits for the pipeline (at most two chunks of windows outstanding): that bounds memory, so
    // nothing is ever shed here, whatever the window size.
    infer: {
      maxBatch: batch,
      maxPendingBytes: Number.MAX_SAFE_INTEGER,
      onBatch: () => {
        gate.notify();
        o.onProgress?.(counters.readings, rows);
      },
      onError: gate.notify,
    },
    smoothing: o.smoothing,
    alerts: { openK: o.alertOpen?.k, openN: o.alertOpen?.n, closeM: o.alertClose, cooldownMs: o.cooldownMs, openCritical: o.alertOpenCritical },
    counters,
  });

  const C = card.channels.length;
  const rowOf = new Map<number, number>();
  for (let r = rows - 1; r >= 0; r--) rowOf.set(series.timestamps[r], r);
  const scores = new Float64Array(rows);
  const thresholds = new Float64Array(rows);
  const alerts = new Uint8Array(rows);
  const scored = new Uint8Array(rows);
  const anomalies = new Uint8Array(rows);
  const perChannel = new Float32Array(rows * C);
  const events: AlertEvent[] = [];
  // Rows with no verdict of their own carry the level in force at that point (the card's calibration before the first).
  const initial = pipeline.thresholds.get(o.sensor).threshold.current();
  await lastValueFrom(
    readingsFromSeries(series, { sensor: o.sensor, chunk, ready: gate.ready }).pipe(
      pipeline.detect,
      tap((d) => {
        const r = rowOf.get(d.verdict.tsLast);
        if (d.alert) events.push(d.alert);
        if (r === undefined) return;
        scores[r] = d.verdict.score;
        thresholds[r] = d.verdict.threshold;
        alerts[r] = d.alertOpen ? 1 : 0;
        anomalies[r] = d.verdict.anomaly ? 1 : 0;
        scored[r] = 1;
        perChannel.set(d.verdict.perChannel, r * C);
      }),
    ),
    { defaultValue: undefined },
  );
  let level = initial;
  let open = 0;
  for (let r = 0; r < rows; r++) {
    if (scored[r]) {
      level = thresholds[r];
      open = alerts[r];
    } else {
      thresholds[r] = level;
      // A row with no verdict of its own (a dropped duplicate, or one refilling the window after a gap) is inside an
      // alert still open: only a verdict closes one, so the column does not read as a close and a second opening.
      alerts[r] = open;
    }
  }
  return { scores, thresholds, alerts, scored, anomalies, perChannel, events, counters };
}
