/** Which model a state file's learnt states belong to, and whether they belong to the model in service. */
import type { ModelCard } from '../model/card.ts';

/**
 * Identifies the model the states belong to; states of another model are not restored. `weights` (the card's
 * `onnx.sha256`) tells a model retrained under the same name and version apart: `vigil train` writes version 1 every
 * time, and a probe's retrained model copied over the old one while vigil was stopped resumed the old one's learnt
 * thresholds. Files saved without it are matched by name and version alone.
 */
export interface StateModelId {
  name: string;
  version: string;
  weights?: string;
}

/** The identity of a card's model: its name, version and weights. */
export function modelIdOf(card: Pick<ModelCard, 'name' | 'version' | 'onnx'>): StateModelId {
  return { name: card.name, version: card.version, weights: card.onnx.sha256 };
}

/** Why states saved for `saved` do not belong to `expected` (undefined: they do). */
export function modelMismatch(saved: StateModelId, expected: StateModelId): string | undefined {
  if (saved.name !== expected.name || saved.version !== expected.version) return `states belong to model ${saved.name}@${saved.version}; expected ${expected.name}@${expected.version}`;
  if (saved.weights && expected.weights && saved.weights !== expected.weights) {
    return `states belong to model ${saved.name}@${saved.version} with other weights (onnx sha256 ${saved.weights.slice(0, 12)}, now ${expected.weights.slice(0, 12)}): a retrained model`;
  }
  return undefined;
}
