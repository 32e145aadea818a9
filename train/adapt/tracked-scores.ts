/**
 * The recent windows of an adaptation scored the way `vigil run` scores them: each sensor's windows in time order, its
 * tracked state (residual means, level walk, input offsets) moved by every window from the card's start
 * (runtime/scoring/score-in-order.ts). The checks that ask whether a model flags the recent data (the anchor, the
 * share of recent windows flagged) judge with these scores: a process that drifted slowly is followed live, and the
 * card's static scores, which follow nothing, flagged it anyway (the serving model flagged 58-76 % of the recent
 * windows of bench/adapt-drift.ts statically, none live, and every adaptation after the first was refused).
 */
import type { ModelCard, Scoring } from '@vigil/runtime/model/card.ts';
import { resolveSession } from '@vigil/runtime/inference/resolve.ts';
import { holdingConstants } from '@vigil/runtime/scoring/constant-inputs.ts';
import { scoreInOrder } from '@vigil/runtime/scoring/score-in-order.ts';
import type { WindowBatch } from '../fit.ts';

/** Windows per model call. */
const BATCH = 256;

/** A model to score with: its ONNX bytes and the card fields scoring reads. */
export interface ScoringModel {
  onnx: Uint8Array;
  card: Pick<ModelCard, 'window' | 'channels' | 'onnx'>;
  scoring: Scoring;
}

/** How the checks score: `tracked` (as `vigil run`, above), or `static` (each window against the card's own level). */
export type Judge = 'static' | 'tracked';

/**
 * Scores of `windows` (scaled for `m`; each window's sensor in `sensors`, oldest first within each sensor; absent:
 * one sensor), in the order given: with tracking, or static.
 */
export async function trackedScores(m: ScoringModel, windows: WindowBatch, sensors?: readonly string[], judge: Judge = 'tracked'): Promise<Float32Array> {
  const W = m.card.window;
  const C = m.card.channels.length;
  const per = W * C;
  const req = { onnx: m.onnx, inputName: m.card.onnx.inputName, outputName: m.card.onnx.outputName, window: W, channels: C };
  const session = holdingConstants((await resolveSession(['cpu', 'wasm'], req)).session, m.scoring, W, C);
  const scores = new Float32Array(windows.count);
  try {
    for (const idx of bySensor(windows.count, sensors)) {
      const data = new Float32Array(idx.length * per);
      idx.forEach((k, i) => data.set(windows.data.subarray(k * per, (k + 1) * per), i * per));
      const s = await scoreInOrder(data, idx.length, W, C, m.scoring, (input, n) => session.run(input, n), { batch: BATCH, untracked: judge === 'static' });
      idx.forEach((k, i) => (scores[k] = s[i]));
    }
  } finally {
    await session.close();
  }
  return scores;
}

/** Window indices grouped by sensor, each group in the order given. */
function bySensor(count: number, sensors: readonly string[] | undefined): number[][] {
  if (!sensors) return [Array.from({ length: count }, (_, i) => i)];
  const groups = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const g = groups.get(sensors[i]);
    if (g) g.push(i);
    else groups.set(sensors[i], [i]);
  }
  return [...groups.values()];
}

/** The share of the windows from `judged.from` on that `m`, scoring all of `judged.windows` with tracking, puts above `bar`. */
export async function trackedFlagged(m: ScoringModel, bar: number, judged: { windows: WindowBatch; sensors?: readonly string[]; from: number }): Promise<number> {
  const scores = await trackedScores(m, judged.windows, judged.sensors);
  let above = 0;
  for (let i = judged.from; i < scores.length; i++) if (scores[i] > bar) above++;
  return above / Math.max(1, scores.length - judged.from);
}
