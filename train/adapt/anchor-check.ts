/**
 * The anchor check of an adaptation (train/adapt/anchor.ts): the recent windows, scaled for the serving model, scored
 * by the version that served `anchorAge` before them, or the oldest kept ancestor (train/adapt/ancestors.ts); the
 * serving model is the last candidate. Scored statically (`--judge static`, the default: each window against the
 * anchor's own level), or as `vigil run` would score them with that version in service (`--judge tracked`: each
 * sensor's windows in time order with its tracked state, train/adapt/tracked-scores.ts), so a drift that tracking
 * follows is not counted against the data, while a change faster than tracking follows still is.
 */
import { basename, join } from 'node:path';
import { loadModel, type LoadedModel } from '@vigil/runtime';
import type { WindowBatch } from '../fit.ts';
import { keptAncestors } from './ancestors.ts';
import { anchorFigures, chooseAnchor, rescaled, type AnchorFigures } from './anchor.ts';
import { keptCard, listVersions, modelBase } from './model-versions.ts';
import { trackedScores, type Judge } from './tracked-scores.ts';

/** The anchor's figures on `windows` (each window's sensor in `sensors`, oldest first; absent: one sensor). */
export async function anchorCheck(
  serving: LoadedModel, windows: WindowBatch, sensors: readonly string[] | undefined, recentEnd: number, o: { anchorAge: number; anchorShare: number; judge: Judge },
): Promise<AnchorFigures> {
  const base = modelBase(serving.cardPath);
  const name = basename(base);
  // Chosen by the cards alone; only the anchor's .onnx is read.
  // Only the serving model's own ancestors: the store may hold an earlier training's versions (train/adapt/ancestors.ts).
  const kept = keptAncestors(listVersions(base), serving.card, (v) => keptCard(v, name)).map((v) => ({ card: v.card, path: join(v.dir, name) }));
  const chosen = chooseAnchor([...kept, { card: serving.card, path: undefined }], recentEnd, o.anchorAge);
  const anchor = chosen.path === undefined ? serving : loadModel(chosen.path);
  const set = { ...windows, data: rescaled(windows.data, serving.card, anchor.card) };
  const scores = await trackedScores({ onnx: anchor.onnx, card: anchor.card, scoring: anchor.card.scoring }, set, sensors, o.judge);
  return anchorFigures(anchor, scores, o.anchorAge, o.anchorShare);
}
