/** What an adapted model's card says about where it came from (`card.lineage`). */
import type { ModelCard } from '@vigil/runtime';
import type { Lineage } from '@vigil/runtime/model/card.ts';
import type { AdaptWindows } from './window-sets.ts';

/** The lineage an adaptation records: parent, reason, data, fine-tuning and the figures it was judged on. */
export function lineageOf(
  parent: ModelCard, w: AdaptWindows, o: { reason: string; learningRate: number; batchSize: number; seed: number; maxChange: number },
  fitted: { epochs: number; change: number; engine: string }, validation: Lineage['validation']): Lineage {
  const { recent, original, canaries } = w;
  const events = canaries?.events ?? [];
  return {
    parent: { version: parent.version, sha256: parent.onnx.sha256 },
    reason: o.reason,
    data: {
      recent: { file: recent.file, from: new Date(recent.from).toISOString(), to: new Date(recent.to).toISOString(), rows: recent.rows, fitWindows: recent.fit.count, heldOutWindows: recent.heldOut.count },
      replay: { file: original.file, windows: original.replay.count, validationWindows: original.validation.count },
      ...(canaries ? { canaries: { file: canaries.file, events: events.length, windows: events.reduce((a, e) => a + e.windows.count, 0) } } : {}),
    },
    fineTune: { epochs: fitted.epochs, learningRate: o.learningRate, batchSize: o.batchSize, seed: o.seed, weightChange: fitted.change, maxWeightChange: o.maxChange, engine: fitted.engine },
    validation,
  };
}
