/**
 * "This is normal", as an operator says it of one sensor (POST /sensors/NAME/normal on the ops server or the
 * dashboard, runtime/ops/commands.ts): the sensor's tracked level is set from its next windows (re-anchor.ts), so an
 * alert an operator knows to be a new normal (a level that moved on while an incident held the trackers, a new duty)
 * closes as the alert policy closes any alert, and a later change from that level alerts again. Every request and
 * every completed re-anchoring is logged with what it moved, so the plant's record says who made what normal when.
 */
import type { ModelCard } from '../model/card.ts';
import { residualVariance, type ResidualModel } from '../scoring/mahalanobis.ts';
import { ANCHOR_WINDOWS, MAX_ANCHOR_WINDOWS, type Anchor } from '../scoring/re-anchor.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters } from './metrics.ts';

/** What a request to mark a sensor normal got: accepted, or refused with an HTTP status and a reason. */
export type MarkNormalOutcome =
  | { ok: true; sensor: string; windows: number; message: string }
  | { ok: false; status: 400 | 404 | 409; error: string };

/** A re-anchoring in progress, as the dashboard shows it. */
export interface AnchorProgress {
  windows: number;
  seen: number;
}

/** The requests' side: start re-anchoring a sensor, and what is in progress. */
export interface ReAnchors {
  markNormal(sensor: string, windows?: unknown, by?: string): MarkNormalOutcome;
  progress(sensor: string): AnchorProgress | undefined;
}

/**
 * Re-anchoring for the runtime: requests start it on the model in service (`card()`); completions are logged with each
 * channel's move in residual standard deviations, counted, and saved soon (the new level survives a restart).
 */
export function reAnchors(residuals: TrackedResiduals, card: () => ModelCard, log: VigilLogger, edge: EdgeCounters, persistSoon: () => void): ReAnchors {
  residuals.onAnchored = (sensor, anchor, model) => {
    edge.reAnchored++;
    log.info({ sensor, windows: anchor.windows, movedSd: movedSd(anchor, model, card().channels) }, `sensor ${sensor} re-anchored: its level is now what its last ${anchor.windows} window(s) showed`);
    persistSoon();
  };
  return {
    markNormal(sensor, requested, by) {
      const windows = requested ?? ANCHOR_WINDOWS;
      if (!(typeof windows === 'number' && Number.isInteger(windows) && windows >= 1 && windows <= MAX_ANCHOR_WINDOWS)) {
        return { ok: false, status: 400, error: `windows: expected a whole number from 1 to ${MAX_ANCHOR_WINDOWS}, got ${JSON.stringify(windows)}` };
      }
      const c = card();
      const started = residuals.anchor(c, sensor, windows);
      if (started === 'untracked') {
        return { ok: false, status: 409, error: `model ${c.name} follows no level (scoring ${c.scoring.error}${c.scoring.residual ? ' without tracking' : ''}): nothing to re-anchor; retrain with vigil train's default scoring, or use vigil adapt` };
      }
      if (started === 'unseen') return { ok: false, status: 404, error: `sensor ${JSON.stringify(sensor)} has not been scored since this vigil started (check the name; in a fleet, ask the worker that holds it)` };
      edge.reAnchorsRequested++;
      log.info({ sensor, windows, by }, `sensor ${sensor} marked normal: its level is set from its next ${windows} window(s)`);
      return { ok: true, sensor, windows, message: `sensor ${sensor}: its tracked level is set from its next ${windows} window(s) (they alert as usual meanwhile); an open alert then closes after the alert policy's quiet windows` };
    },
    progress(sensor) {
      const a = residuals.peek(card())?.anchorOf(sensor);
      return a && !a.moved ? { windows: a.windows, seen: a.seen } : undefined;
    },
  };
}

/** Each channel's move of the residual level, in residual standard deviations, for the channels that moved 0.5 sd or more. */
function movedSd(anchor: Anchor, model: ResidualModel, channels: readonly string[]): Record<string, number> {
  const v = residualVariance(model);
  const out: Record<string, number> = {};
  anchor.moved?.forEach((m, c) => {
    const sd = m / Math.sqrt(v[c]);
    if (Math.abs(sd) >= 0.5) out[channels[c] ?? `#${c}`] = Math.round(sd * 10) / 10;
  });
  return out;
}
