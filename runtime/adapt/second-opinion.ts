/**
 * A second opinion on the windows an adapted model flags after its swap, before they can roll it back: the model
 * it replaced (kept by `vigil adapt` in DIR/NAME.versions/<parent>/, kept-versions.ts) scores them, its residual
 * means seeded from the reservoir as a rollback would seed them (seed-residuals.ts). A window the previous model
 * flags too is a change in the data, a fault, not a regression of the adapted model: rolling back would not remove
 * it, only bring back the stale model (bench/adapt-drift.ts: each rollback there came from a fault after the swap).
 *
 * The previous model judges a window against its own card's static threshold, moved as the serving threshold was
 * for that window (verdict threshold / serving card's static threshold), so per-sensor adaptive thresholds carry
 * over. It runs on a session of its own (CPU, one thread), opened at the first question and closed with the watch.
 */
import { firstValueFrom, from } from 'rxjs';
import { openSession } from '../inference/open-model.ts';
import { loadModel } from '../model/load.ts';
import { applyScaler } from '../scaling/scaler.ts';
import { stateFrom } from '../scoring/mahalanobis.ts';
import { scoreOutputs } from '../scoring/score-outputs.ts';
import type { StoredWindow } from './reservoir-file.ts';
import { seedResidualMeans } from './seed-residuals.ts';

/** A window flagged after a swap, in original units, and its bar relative to the serving card's static threshold. */
export interface Suspect {
  window: StoredWindow;
  /** verdict threshold / the serving card's static threshold (1 with static thresholds). */
  bar: number;
}

/** The previous model, open for questions while a swap is watched. */
export interface PreviousModel {
  version: string;
  /** Per suspect: does the previous model flag it too? */
  judge(suspects: readonly Suspect[]): Promise<boolean[]>;
  close(): Promise<void>;
}

/** Windows per inference call. */
const BATCH = 64;

/**
 * Open the model at `path` (a kept pair), its residual means seeded from `reservoir` (`seedWindows` per sensor).
 * Throws when it cannot be loaded or run (the caller then decides on the flag rate alone, as without it).
 */
export async function openPrevious(path: string, reservoir: readonly StoredWindow[], seedWindows: number): Promise<PreviousModel> {
  const loaded = loadModel(path);
  const { card } = loaded;
  const resolved = await openSession(loaded, { providers: ['cpu', 'wasm'], threads: 1 });
  const session = resolved.session;
  const close = () => session.close().catch(() => {});
  let means: Record<string, number[]>;
  try {
    means = await seedResidualMeans(card, session, reservoir, seedWindows);
  } catch (err) {
    await close();
    throw err;
  }
  const C = card.channels.length;
  const per = card.window * C;
  const residual = card.scoring.error === 'mahalanobis' ? card.scoring.residual : undefined;
  const memories = new Map<string, Float64Array>();
  const memoryState = (sensor: string) => {
    let state = memories.get(sensor);
    if (!state) memories.set(sensor, (state = stateFrom(residual!, means[sensor])));
    return state;
  };
  return {
    version: card.version,
    close,
    async judge(suspects) {
      // With a residual memory the suspects are judged per sensor in time order (the watch samples them, so they may
      // come out of order); the answers keep the order asked.
      const order = suspects.map((_, i) => i);
      if (residual?.memory) order.sort((a, b) => byTime(suspects[a].window, suspects[b].window));
      const agrees = new Array<boolean>(suspects.length);
      for (let at = 0; at < order.length; at += BATCH) {
        const asked = order.slice(at, at + BATCH);
        const batch = asked.map((k) => suspects[k]);
        const raw = new Float32Array(batch.length * per);
        batch.forEach((s, i) => raw.set(s.window.data, i * per));
        const input = applyScaler(card.scaler, raw);
        const out = await firstValueFrom(from(session.run(input, batch.length)));
        // A fresh state per window, as a swap seeds it (level uncertainty 0): scoring moves it in place, and each
        // window is judged on its own. With a residual memory, one state per sensor instead, carried from suspect to
        // suspect: a persistent shift that only the memory flagged builds up in it again. The suspects are a sample
        // of the flagged windows, not every window, so the memory fills faster or slower than when streamed: a rough
        // second opinion, as the level uncertainty's is.
        const meanOf = residual ? (i: number) => (residual.memory ? memoryState(batch[i].window.sensor) : stateFrom(residual, means[batch[i].window.sensor])) : undefined;
        // A window with a forward-filled row is not judged stuck (flatline.ts), as it was not live.
        const { scores } = scoreOutputs(input, out, batch.length, card.window, C, card.scoring, meanOf, (i) => batch[i].window.filled === true);
        batch.forEach((s, i) => (agrees[asked[i]] = scores[i] > s.bar * card.threshold.static.value));
      }
      return agrees;
    },
  };
}

/** Stored windows by sensor, then by their last reading's time. */
function byTime(a: StoredWindow, b: StoredWindow): number {
  return a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : a.tsLast - b.tsLast;
}
