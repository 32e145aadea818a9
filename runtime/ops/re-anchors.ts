/**
 * An operator's word on one sensor (POST /sensors/NAME/normal or /trained on the ops server or the dashboard,
 * runtime/ops/commands.ts): "this is normal" sets its tracked level from its next windows, "back to training" sets it
 * to the card's trained level (runtime/scoring/re-anchor.ts). So an alert an operator knows to be a new normal (a level
 * that moved on while an incident held the trackers, a new duty) closes as the alert policy closes any alert, a later
 * change from that level alerts again, and a mark made in error, or before a repair, is undone. Every request, every
 * completion and what a model swap does to them is logged, so the plant's record says who made what normal when.
 */
import type { ModelCard } from '../model/card.ts';
import { residualVariance, type ResidualModel } from '../scoring/mahalanobis.ts';
import { ANCHOR_WINDOWS, MAX_ANCHOR_WINDOWS, type Anchor } from '../scoring/re-anchor.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { VigilLogger } from './logger.ts';
import { rateLimitedWarning } from '../util/rate-limited-warning.ts';
import type { EdgeCounters } from './metrics.ts';

/** The commands: `normal` (the sensor's present behaviour is normal) and `trained` (back to the trained level). */
export type SensorCommand = 'normal' | 'trained';

/** What a command got: accepted, or refused with an HTTP status and a reason. */
export type CommandOutcome =
  | { ok: true; sensor: string; windows?: number; until?: string; message: string }
  | { ok: false; status: 400 | 404 | 409; error: string };

/** A re-anchoring in progress, as the dashboard shows it. */
export interface AnchorProgress {
  kind: SensorCommand;
  windows: number;
  seen: number;
}

/** The requests' side: run a command on a sensor, and what is in progress. */
export interface ReAnchors {
  /** Run `what` on `sensor` (`windows`: a `normal`'s count as sent, checked here; `by`: who asked, for the log). */
  command(what: SensorCommand, sensor: string, windows?: unknown, by?: string): CommandOutcome;
  /** The sensor's re-anchoring in progress under the model in service, if any. */
  progress(sensor: string): AnchorProgress | undefined;
}

/**
 * Re-anchoring for the runtime: commands act on the model in service (`card()`); completions are logged with each
 * channel's move in residual standard deviations, counted, and saved soon (the new level survives a restart).
 */
export function reAnchors(residuals: TrackedResiduals, card: () => ModelCard, log: VigilLogger, edge: EdgeCounters, persistSoon: () => void): ReAnchors {
  residuals.onAnchored = (sensor, anchor, model) => {
    edge.reAnchored++;
    const movedSd = moves(anchor, model, card().channels);
    if (anchor.kind === 'trained') log.info({ sensor, movedSd }, `sensor ${sensor} is back at its trained level`);
    else log.info({ sensor, windows: anchor.windows, movedSd }, `sensor ${sensor} re-anchored: its level is now what its last ${anchor.windows} window(s) showed`);
    persistSoon();
  };
  residuals.onSwapped = (swapped, restarted, marked) => {
    const c = swapped as ModelCard;
    if (restarted.length) log.info({ model: c.name, sensors: restarted.slice(0, 10), count: restarted.length }, `model swapped: ${restarted.length} re-anchoring(s) in progress start over under ${c.name}`);
    if (marked.length) log.warn({ model: c.name, sensors: marked.slice(0, 10), count: marked.length }, `model swapped: ${marked.length} sensor(s) marked normal under the previous model start from ${c.name}'s trained level; mark them again if they alert`);
  };
  // Refusals (a name mistyped, a bad count, a model that follows no level) are logged, at most a line per interval: a
  // script that asks every 100 ms must not flood the log, and the person who asked reads the answer anyway.
  const refusals = rateLimitedWarning(log, (count, byKey) => [{ count, refusals: byKey }, `${count} operator command(s) refused (${Object.keys(byKey).join('; ')})`]);
  const attempt: ReAnchors['command'] = (what, sensor, requested, by) => {
    if (what === 'trained' && requested !== undefined) return { ok: false, status: 400, error: 'windows: back to training takes none (it sets the trained level at the next window)' };
    const windows = what === 'trained' ? 0 : (requested ?? ANCHOR_WINDOWS);
    if (!(typeof windows === 'number' && Number.isInteger(windows) && windows >= (what === 'trained' ? 0 : 1) && windows <= MAX_ANCHOR_WINDOWS)) {
      return { ok: false, status: 400, error: `windows: expected a whole number from 1 to ${MAX_ANCHOR_WINDOWS}, got ${JSON.stringify(requested)}` };
    }
    const c = card();
    const started = residuals.anchor(c, sensor, what, windows, by);
    if (started === 'untracked') {
      return { ok: false, status: 409, error: `model ${c.name} follows no level (scoring ${c.scoring.error}${c.scoring.residual ? ' without tracking' : ''}): nothing to re-anchor; retrain with vigil train's default scoring, or use vigil adapt` };
    }
    if (started === 'unseen') {
      return { ok: false, status: 404, error: `sensor ${JSON.stringify(sensor)} has no tracked level under model ${c.name} yet (not scored since this vigil started or since the model was swapped in): check the name, or try again once its readings arrive; in a fleet, ask the worker that holds it` };
    }
    edge.reAnchorsRequested++;
    const { started: a, replaced } = started;
    const instead = replaced ? `, instead of the ${replaced.kind === 'trained' ? 'return to training' : `re-anchoring from ${replaced.windows} window(s)`} in progress (${replaced.seen} averaged)` : '';
    const effect = what === 'trained' ? `back at its trained level from its next window` : `its tracked level is set from its next ${a.windows} window(s) (they alert as usual meanwhile)`;
    log.info({ sensor, command: what, windows: a.windows, by, ...(replaced ? { replaced: { kind: replaced.kind, windows: replaced.windows, seen: replaced.seen } } : {}) }, `sensor ${sensor} ${what === 'trained' ? 'sent back to training' : 'marked normal'}${instead}`);
    return { ok: true, sensor, windows: a.windows, message: `sensor ${sensor}: ${effect}${instead}; an open alert then closes after the alert policy's quiet windows` };
  };
  const command: ReAnchors['command'] = (what, sensor, requested, by) => {
    const out = attempt(what, sensor, requested, by);
    if (!out.ok) refusals.add(`${what} ${JSON.stringify(sensor)}${by ? ` by ${by}` : ''}: ${out.status} ${out.error}`);
    return out;
  };
  return {
    command,
    progress(sensor) {
      const a = residuals.peek(card())?.anchors.of(sensor);
      return a && !a.moved ? { kind: a.kind, windows: a.windows, seen: a.seen } : undefined;
    },
  };
}

/** Each channel's move of its level (mean + offset), in residual standard deviations, for the channels that moved 0.5 sd or more. */
function moves(anchor: Anchor, model: ResidualModel, channels: readonly string[]): Record<string, number> {
  const v = residualVariance(model);
  const out: Record<string, number> = {};
  anchor.moved?.forEach((m, c) => {
    const sd = m / Math.sqrt(v[c]);
    if (Math.abs(sd) >= 0.5) out[channels[c] ?? `#${c}`] = Math.round(sd * 10) / 10;
  });
  return out;
}
