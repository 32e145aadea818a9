/**
 * The injected-fault benchmark of the training benches (train-quality, vae-recon-prob): where faults go in a
 * pump series from fixtures/pump.ts, and point-wise F1 of row scores against them.
 */
import { confusionRates, countConfusion } from '../../evaluate/labels/metrics.ts';
import type { Injection } from '@vigil/fixtures/pump.ts';

/** Fault kinds injected, in rotation. */
export const INJECTION_KINDS: Injection['kind'][] = ['spike', 'level_shift', 'drift', 'stuck', 'variance_burst', 'broken_correlation'];

/** One fault every 150 rows from `start`, kinds in rotation; spikes last 1 row, the others 30. */
export function injections(rows: number, start: number): Injection[] {
  const out: Injection[] = [];
  let t = start;
  for (let i = 0; t + 80 < rows; i++) {
    const kind = INJECTION_KINDS[i % INJECTION_KINDS.length];
    out.push({ kind, start: t, length: kind === 'spike' ? 1 : 30 });
    t += 150;
  }
  return out;
}

/** Point-wise precision/recall/F1 and false-alarm rate of row scores above `thr`, rows >= from. */
export function f1At(scores: Float32Array, labels: Uint8Array, thr: number, from: number) {
  const flags = new Uint8Array(scores.length);
  for (let i = from; i < scores.length; i++) flags[i] = scores[i] > thr ? 1 : 0;
  const { f1, precision, recall, falseAlarmRate } = confusionRates(countConfusion(flags, labels.subarray(0, scores.length), from));
  return { f1, precision, recall, falseAlarmRate };
}

/** Best F1 over (up to ~400 of) the distinct scores as thresholds: threshold-free quality. */
export function bestF1(scores: Float32Array, labels: Uint8Array, from: number): number {
  const cand = [...new Set(scores.subarray(from))].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0; i < cand.length; i += Math.ceil(cand.length / 400)) best = Math.max(best, f1At(scores, labels, cand[i], from).f1);
  return best;
}
