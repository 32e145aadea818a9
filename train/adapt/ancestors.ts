/**
 * The kept versions a served model descends from (train/adapt/model-versions.ts): an adapted card's lineage names
 * its parent by version and onnx sha256, and each kept parent's card names its own. `vigil train` writes a new
 * version 1 over a served pair and leaves `NAME.versions/` as it was, so the store can hold versions of an earlier
 * training under the numbers the new chain goes on to use; a rollback or an anchor taken from those would put back,
 * or judge by, a model of other data. Only a kept pair whose bytes are the parent's counts.
 */
import type { ModelCard } from '@vigil/runtime';
import type { KeptVersion } from './model-versions.ts';

/** A kept version with its card. */
export interface KeptAncestor extends KeptVersion {
  card: ModelCard;
}

/**
 * The kept ancestors of `card`, oldest first (its parent last): each the parent of the next, by version and onnx
 * sha256. Empty for a card without lineage (a model as `vigil train` wrote it) or whose parent is not kept.
 */
export function keptAncestors(kept: KeptVersion[], card: ModelCard, read: (v: KeptVersion) => ModelCard): KeptAncestor[] {
  const byVersion = new Map(kept.map((v) => [v.version, v]));
  const chain: KeptAncestor[] = [];
  const seen = new Set<string>();
  for (let p = card.lineage?.parent; p && !seen.has(p.version); ) {
    seen.add(p.version);
    const v = byVersion.get(p.version);
    if (!v) break;
    const c = read(v);
    if (c.onnx.sha256 !== p.sha256) break;
    chain.unshift({ ...v, card: c });
    p = c.lineage?.parent;
  }
  return chain;
}

/** How a kept version that is not the parent reads in a message: `2 (onnx sha256 5a18ce225a82)`. */
export function describeKept(v: KeptVersion, read: (v: KeptVersion) => ModelCard): string {
  return `${v.version} (onnx sha256 ${read(v).onnx.sha256.slice(0, 12)})`;
}
