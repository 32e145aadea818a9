/**
 * Residual tracking across a swap. A model swapped in (an adapted one, or the previous one brought back by a
 * rollback) would otherwise start each sensor's tracked residual mean from its card (or, after a rollback, from
 * where it stood before the swap): under a drift that has moved on meanwhile, that mean is stale, every window
 * scores above the level tracking learns from (`tracking.below`), and the sensor alerts until the drift stops.
 * Instead, before the swap, the incoming model reconstructs each sensor's newest reservoir windows (the ones the
 * model in service judged clearly normal) and the sensor's mean starts at their mean span residual: today's normal
 * as the incoming model sees it.
 */
import { firstValueFrom, from } from 'rxjs';
import type { BatchRunner } from '../inference/model-ref.ts';
import type { ModelCard } from '../model/card.ts';
import { applyScaler } from '../scaling/scaler.ts';
import { spanResiduals } from '../scoring/mahalanobis.ts';
import type { StoredWindow } from './reservoir-file.ts';

/** Windows per inference call. */
const BATCH = 64;

/**
 * Per sensor, the mean span residual of `card`'s model (run by `session`) over the sensor's newest `perSensor`
 * windows of `windows` (original units, any order). Empty when the card's scoring does not track residual means.
 */
export async function seedResidualMeans(card: ModelCard, session: BatchRunner, windows: readonly StoredWindow[], perSensor: number): Promise<Record<string, number[]>> {
  const residual = card.scoring.error === 'mahalanobis' ? card.scoring.residual : undefined;
  if (!residual?.tracking || perSensor < 1) return {};
  const bySensor = new Map<string, StoredWindow[]>();
  for (const w of windows) {
    const list = bySensor.get(w.sensor) ?? [];
    list.push(w);
    bySensor.set(w.sensor, list);
  }
  const C = card.channels.length;
  const per = card.window * C;
  const picked: StoredWindow[] = [];
  for (const list of bySensor.values()) picked.push(...list.sort((a, b) => a.tsLast - b.tsLast).slice(-perSensor));
  const sums = new Map<string, { n: number; sum: Float64Array }>();
  for (let at = 0; at < picked.length; at += BATCH) {
    const batch = picked.slice(at, at + BATCH);
    const raw = new Float32Array(batch.length * per);
    batch.forEach((w, i) => raw.set(w.data, i * per));
    const input = applyScaler(card.scaler, raw);
    const out = await firstValueFrom(from(session.run(input, batch.length)));
    const r = spanResiduals(input, out.reconstruction, batch.length, card.window, C, Math.min(card.scoring.span, card.window));
    batch.forEach((w, i) => {
      const s = sums.get(w.sensor) ?? { n: 0, sum: new Float64Array(C) };
      for (let c = 0; c < C; c++) s.sum[c] += r[i * C + c];
      s.n++;
      sums.set(w.sensor, s);
    });
  }
  const means: Record<string, number[]> = {};
  for (const [sensor, s] of sums) if (s.sum.every(Number.isFinite)) means[sensor] = Array.from(s.sum, (v) => v / s.n);
  return means;
}
