/**
 * The card of an adapted model: its parent's card with a new name and version, the adapted graph's checksum and
 * outputs, the recalibrated scoring, error statistics and static threshold, and the lineage (parent, data, fine-tune,
 * validation figures). The training section is kept as trained: the next adaptation replays the same original data.
 */
import { parseCard, type ModelCard } from '@vigil/runtime';
import { sha256 } from '@vigil/runtime/model/load.ts';
import type { Lineage } from '@vigil/runtime/model/card.ts';
import type { CardScoring, ExportedScored } from '../score-exported.ts';
import { nextVersion } from './model-versions.ts';

/** The validated card of the model adapted from `parent` on `recentFile`, to be written as `name`. */
export function adaptedCard(
  parent: ModelCard, name: string, recentFile: string, graph: ExportedScored['graph'], cs: CardScoring, versions: ModelCard['versions'], lineage: Lineage,
): ModelCard {
  return parseCard({
    ...parent,
    name,
    version: nextVersion(parent.version),
    createdAt: new Date().toISOString(),
    description: `${parent.description ?? parent.architecture.kind} (adapted from version ${parent.version} on ${recentFile})`,
    onnx: { ...parent.onnx, file: `${name}.onnx`, sha256: sha256(graph.bytes), opset: graph.opset, extraOutputs: graph.extraOutputs },
    scoring: cs.scoring,
    errorStats: { train: cs.trainStats, ...(cs.validationStats ? { validation: cs.validationStats } : {}) },
    threshold: { default: parent.threshold.default, static: cs.threshold },
    // Kept as trained: the next adaptation replays the same original data.
    training: parent.training,
    versions,
    lineage,
  }, `adapted model card for ${name}`);
}
