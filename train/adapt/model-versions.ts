/**
 * Earlier versions of a model, kept beside it so an adaptation can be undone: `DIR/NAME.versions/<version>/`
 * holds the exact bytes of `NAME.json` and `NAME.onnx` as they were served (same names, so each kept pair is
 * itself a loadable model: `vigil score --model DIR/NAME.versions/3/NAME`). The newest `keep` versions stay, and the
 * one an adaptation anchors to (train/adapt/anchor.ts).
 * Rollback puts the parent (train/adapt/ancestors.ts) back in place through the same crash-consistent write as training
 * (train/write-model.ts), then drops it from the store.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadModel, parseCard, type LoadedModel, type ModelCard } from '@vigil/runtime';
import { sha256 } from '@vigil/runtime/model/load.ts';
import { modelBase, versionsDir } from '@vigil/runtime/adapt/kept-versions.ts';
import { writeFileAtomic } from '@vigil/runtime/util/atomic-write.ts';
import { writeModelFiles } from '../write-model.ts';
import { anchorToRetain, dataEnd } from './anchor.ts';
import { describeKept, keptAncestors } from './ancestors.ts';
import { withModelLock } from './model-lock.ts';

/** One kept version. */
export interface KeptVersion {
  version: string;
  /** Folder holding NAME.json and NAME.onnx. */
  dir: string;
}

export { modelBase, versionsDir };

/** Order versions: numeric ones by value, others after them by text. */
function compareVersions(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  if (Number.isFinite(na)) return -1;
  if (Number.isFinite(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kept versions, oldest first. Folders without both files are ignored. */
export function listVersions(model: string): KeptVersion[] {
  const root = versionsDir(model);
  if (!existsSync(root)) return [];
  const name = basename(modelBase(model));
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, `${name}.json`)) && existsSync(join(root, d.name, `${name}.onnx`)))
    .map((d) => ({ version: d.name, dir: join(root, d.name) }))
    .sort((a, b) => compareVersions(a.version, b.version));
}

/** A kept version's card, read and validated without its .onnx. */
export function keptCard(v: KeptVersion, name: string): ModelCard {
  const path = join(v.dir, `${name}.json`);
  return parseCard(JSON.parse(readFileSync(path, 'utf8')), path);
}

/** The version after `v`: an integer counts up, anything else gets `.1` appended. */
export function nextVersion(v: string): string {
  return /^\d+$/.test(v) ? String(Number(v) + 1) : `${v}.1`;
}

/**
 * Copy the served pair, byte for byte, into the store under its card's version; keep the newest `keep`, and beside
 * them the version an adaptation will anchor to (train/adapt/anchor.ts) while none of those is `anchorAgeMs` old.
 */
export function keepVersion(loaded: LoadedModel, keep: number, anchorAgeMs = 0): KeptVersion {
  const base = modelBase(loaded.cardPath);
  const name = basename(base);
  const version = loaded.card.version;
  if (!/^[\w.-]+$/.test(version)) throw new Error(`${loaded.cardPath}: version '${version}' cannot name a folder; expected letters, digits, '.', '-' or '_'`);
  const dir = join(versionsDir(base), version);
  mkdirSync(dir, { recursive: true });
  // The .onnx first: a kept card is only written once the file it names is complete.
  writeFileAtomic(join(dir, `${name}.onnx`), loaded.onnx);
  const cardBytes = readFileSync(loaded.cardPath);
  const card = parseCard(JSON.parse(cardBytes.toString('utf8')), loaded.cardPath);
  // A card caught between two steps of a write names a staging file; the kept one names NAME.onnx.
  const text = card.onnx.file === `${name}.onnx` ? cardBytes : `${JSON.stringify({ ...card, onnx: { ...card.onnx, file: `${name}.onnx` } }, null, 2)}\n`;
  writeFileAtomic(join(dir, `${name}.json`), text);
  const all = pruneOrder(listVersions(base), { version, card }, name);
  const cut = Math.max(0, all.length - keep);
  const pruned = all.slice(0, cut);
  // Only the cards say where each version's data ended; the .onnx files need not be read.
  const withCards = anchorAgeMs > 0 && cut > 0 ? all.map((v) => ({ ...v, card: keptCard(v, name) })) : [];
  const retained = anchorToRetain(withCards.slice(0, cut), withCards.slice(cut), Math.max(...withCards.map((v) => dataEnd(v.card))), anchorAgeMs);
  for (const old of pruned) if (old.dir !== retained?.dir) rmSync(old.dir, { recursive: true, force: true });
  return { version, dir };
}

/**
 * `all` (oldest first) in the order they are pruned: versions of another training or chain first, then the kept
 * pair's own ancestors, the pair just kept last. By number alone, a retrain's version 1 kept at its first adaptation
 * went first while an earlier training's higher numbers stayed (a review: with --keep 1, or 6 earlier adaptations
 * at the default 5, the parent was gone at once and no rollback, by hand or vigil run's, could bring it back).
 */
function pruneOrder(all: KeptVersion[], just: { version: string; card: ModelCard }, name: string): KeptVersion[] {
  const own = new Set([just.version, ...keptAncestors(all, just.card, (v) => keptCard(v, name)).map((v) => v.version)]);
  const rank = (v: KeptVersion) => (v.version === just.version ? 2 : own.has(v.version) ? 1 : 0);
  return [...all].sort((a, b) => rank(a) - rank(b) || compareVersions(a.version, b.version));
}

/**
 * Replace the served pair at `base` with a new one, holding the model's lock (train/adapt/model-lock.ts): the pair
 * being replaced is kept first (`keepVersion`), so a rollback can always bring it back. With `parentSha256` (an
 * adaptation in place), a served pair that is no longer that parent (another adaptation or a rollback replaced it
 * meanwhile) is not overwritten: the call throws and writes nothing. Returns the kept version, if there was a pair.
 */
export function replaceServed(base: string, onnx: Uint8Array, card: ModelCard, o: { keep: number; anchorAgeMs: number; parentSha256?: string; parentVersion?: string }): KeptVersion | undefined {
  mkdirSync(dirname(base), { recursive: true });
  return withModelLock(base, () => {
    const now = existsSync(`${base}.json`) ? loadModel(base) : undefined;
    if (now && o.parentSha256 !== undefined && now.card.onnx.sha256 !== o.parentSha256) {
      throw new Error(`${base} changed to version ${now.card.version} while this adaptation of version ${o.parentVersion} ran; adapt again from it`);
    }
    const kept = now ? keepVersion(now, o.keep, o.anchorAgeMs) : undefined;
    writeModelFiles(base, onnx, card);
    return kept;
  });
}

/** What a rollback did. */
export interface Rollback {
  from: { version: string; sha256: string };
  to: { version: string; sha256: string };
  /** Versions still kept after it. */
  left: number;
}

/**
 * Put the parent of an adapted model (its lineage's, train/adapt/ancestors.ts; without lineage the newest kept
 * version), or version `to`, back as `DIR/NAME` (the served pair is replaced whole, card last)
 * and drop it from the store, with every kept version newer than it: the chain of adaptations being undone. Throws
 * when nothing is kept, or `to` is not.
 */
export function rollbackModel(model: string, to?: string): Rollback {
  const base = modelBase(model);
  return withModelLock(base, () => rollbackLocked(base, to));
}

function rollbackLocked(base: string, to?: string): Rollback {
  const name = basename(base);
  const current = loadModel(base);
  const kept = listVersions(base);
  const read = (v: KeptVersion) => keptCard(v, name);
  const parent = current.card.lineage?.parent;
  // An adapted model goes back to its parent (the pair it was adapted from), not to whatever kept version is newest:
  // after a retrain the store may still hold the earlier training's versions under the same numbers.
  const at = to !== undefined ? kept.findIndex((v) => v.version === to)
    : parent ? kept.findIndex((v) => v.version === keptAncestors(kept, current.card, read).at(-1)?.version)
    : kept.length - 1;
  const prev = kept[at];
  if (!prev && to !== undefined && kept.length) throw new Error(`version ${to} of ${base} is not kept (kept: ${kept.map((v) => v.version).join(', ')})`);
  if (!prev && parent && kept.length) {
    throw new Error(`no earlier version of ${base} v${current.card.version} is kept: its parent, version ${parent.version} (onnx sha256 ${parent.sha256.slice(0, 12)}), is not in ${versionsDir(base)} (kept: ${kept.map((v) => describeKept(v, read)).join(', ')}, of another training or chain); put one back by name with --to`);
  }
  if (!prev) throw new Error(`no earlier version of ${base} is kept (expected ${versionsDir(base)}/<version>/${name}.json and .onnx, written by vigil adapt)`);
  const restored = loadModel(join(prev.dir, name));
  const cardBytes = readFileSync(restored.cardPath);
  mkdirSync(dirname(base), { recursive: true });
  writeModelFiles(base, restored.onnx, restored.card);
  // writeModelFiles writes the card as vigil does; put the kept bytes back exactly if they were laid out otherwise.
  if (sha256(readFileSync(`${base}.json`)) !== sha256(cardBytes)) writeFileAtomic(`${base}.json`, cardBytes);
  for (const v of kept.slice(at)) rmSync(v.dir, { recursive: true, force: true });
  return {
    from: { version: current.card.version, sha256: current.card.onnx.sha256 },
    to: { version: restored.card.version, sha256: restored.card.onnx.sha256 },
    left: at,
  };
}
