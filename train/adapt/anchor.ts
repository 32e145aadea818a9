/**
 * The anchor of an adaptation: a bound on how fast adaptation may follow change, so that a fault creeping in
 * through many small adaptations is still alerted. Each adaptation alone is bounded (weights, original error,
 * canaries) and learns only windows the serving model judged clearly normal, but a slow fault can pass a chain of
 * them: a vibration ramp of 8 noise sd over 20 minutes, adapted to every 100 rows, was learnt in 13 steps and never
 * alerted (test/adapt/gateway.test.ts). The anchor is the model that was serving `anchorAge` of data time before the
 * newest recent window (the oldest kept one when none is that old): if it flags more than `anchorShare` of the
 * recent windows, the data moved more than one of its bars within `anchorAge`, too fast for normal drift, and the
 * adaptation is refused. So vigil learns by itself only change slower than about one threshold per `anchorAge`
 * (24 h by default: a fault that ramps over hours stays an alert); a faster change that is known to be normal is
 * adapted to by hand with `--anchor-age 0`.
 */
import type { LoadedModel, ModelCard } from '@vigil/runtime';
import { applyScaler, invertScaler } from '@vigil/runtime/scaling/scaler.ts';

/** The end of the data a version was fitted on (epoch ms): its adaptation's recent data, else its training data. */
export function dataEnd(card: ModelCard): number {
  const to = card.lineage?.data.recent.to ?? card.data?.to;
  const t = to === undefined ? NaN : Date.parse(to);
  // A model that does not say when its data ended counts as old enough to anchor anything.
  return Number.isFinite(t) ? t : -Infinity;
}

/**
 * The anchor among `versions` (oldest first; the serving model last): the newest whose data ended at least
 * `ageMs` before `recentEnd`, else the oldest there is.
 */
export function chooseAnchor<T extends { card: ModelCard }>(versions: T[], recentEnd: number, ageMs: number): T {
  if (versions.length === 0) throw new Error('chooseAnchor: no versions to choose from');
  for (let i = versions.length - 1; i >= 0; i--) if (dataEnd(versions[i].card) <= recentEnd - ageMs) return versions[i];
  return versions[0];
}

/**
 * Which of the versions a store would drop (oldest first, `pruned`) to keep anyway as a future anchor: none when
 * the anchor is off (`ageMs` 0) or a version that stays (`kept`) is already old enough; else the newest pruned one
 * old enough, or the oldest of all while none is.
 */
export function anchorToRetain<T extends { card: ModelCard }>(pruned: T[], kept: T[], newestEnd: number, ageMs: number): T | undefined {
  if (!(ageMs > 0) || pruned.length === 0) return undefined;
  const oldEnough = (v: T) => dataEnd(v.card) <= newestEnd - ageMs;
  if (kept.some(oldEnough)) return undefined;
  for (let i = pruned.length - 1; i >= 0; i--) if (oldEnough(pruned[i])) return pruned[i];
  return pruned[0];
}

/** Windows scaled with `from`'s scaler, rescaled for `to` (the same array when the scalers agree). */
export function rescaled(data: Float32Array, from: ModelCard, to: ModelCard): Float32Array {
  if (JSON.stringify(from.scaler) === JSON.stringify(to.scaler)) return data;
  return applyScaler(to.scaler, invertScaler(from.scaler, data));
}

/** What the anchor check measured, as the lineage records it. */
export interface AnchorFigures {
  version: string;
  /** End of the anchor's data (ISO), or null when its card does not say. */
  dataTo: string | null;
  ageMs: number;
  /** Share of the recent windows the anchor flags, and the most allowed. */
  flagged: number;
  maxShare: number;
}

/**
 * The reason to refuse, if the anchor flags too many of the recent windows. `recentEnd` (epoch ms, the newest recent
 * window) tells the serving model anchoring because it is old enough itself from it anchoring because nothing is.
 */
export function anchorRefusal(a: AnchorFigures, serving: ModelCard, recentEnd: number): string | undefined {
  if (a.flagged <= a.maxShare) return undefined;
  const own = dataEnd(serving);
  const why = own <= recentEnd - a.ageMs
    ? (Number.isFinite(own) ? `its data ended ${hours(recentEnd - own, true)} before the newest recent window` : 'its card does not say when its data ended')
    : `no kept version is ${hours(a.ageMs)} older than the recent data`;
  const which = a.version === serving.version ? `the serving model (v${a.version}, ${why})` : `version ${a.version}${a.dataTo ? ` (data to ${a.dataTo})` : ''}`;
  return `the recent windows moved too far too fast: ${which} flags ${(100 * a.flagged).toFixed(1)} % of them (at most ${(100 * a.maxShare).toFixed(0)} %); ` +
    `change faster than one threshold per ${hours(a.ageMs)} is not learnt automatically (a slow fault looks like that); if it is normal, adapt by hand with --anchor-age 0`;
}

function hours(ms: number, round = false): string {
  if (round && ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(0)} h`;
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${(ms / 60_000).toFixed(0)} min`;
}

/** The anchor's figures from its scores of the recent windows and its static bar. */
export function anchorFigures(anchor: LoadedModel, scores: Float32Array, ageMs: number, maxShare: number): AnchorFigures {
  let above = 0;
  const bar = anchor.card.threshold.static.value;
  for (const s of scores) if (s > bar) above++;
  const end = dataEnd(anchor.card);
  return {
    version: anchor.card.version,
    dataTo: Number.isFinite(end) ? new Date(end).toISOString() : null,
    ageMs,
    flagged: scores.length ? above / scores.length : 0,
    maxShare,
  };
}
