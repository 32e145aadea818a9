/**
 * The operator commands on one sensor, as the HTTP servers (commands.ts) and the MQTT command topic
 * (runtime/mqtt/command-topic.ts) run them: `normal` and `trained` set its tracked level (re-anchors.ts), and
 * `maintenance` mutes its alerts for a number of minutes (runtime/alerts/maintenance.ts; 0 ends it). Each command's
 * one argument is its count: windows for `normal`, minutes for `maintenance`.
 */
import type { AlertBank } from '../alerts/alert-bank.ts';
import { MAX_MAINTENANCE_MINUTES, unknownClockNote } from '../alerts/maintenance.ts';
import type { VigilLogger } from './logger.ts';
import { reAnchors as openReAnchors, type CommandOutcome, type ReAnchors, type SensorCommand } from './re-anchors.ts';
import type { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { ModelCard } from '../model/card.ts';
import type { EdgeCounters } from './metrics.ts';
import { rateLimitedWarning } from '../util/rate-limited-warning.ts';

/** Every command an operator can give a sensor (`release`: runtime/adapt/release-canaries.ts). */
export type OperatorCommand = SensorCommand | 'maintenance' | 'release';

/** The operator commands, and the re-anchorings in progress. */
export interface OperatorCommands extends Pick<ReAnchors, 'progress'> {
  /** Run `what` on `sensor` (`arg`: windows for `normal`, minutes for `maintenance`, as sent; `by`: who asked). */
  command(what: OperatorCommand, sensor: string, arg?: unknown, by?: string): CommandOutcome;
}

/**
 * The argument a command's body gives it: `windows` for the others, `minutes` for `maintenance`; the other one sent is
 * refused, not ignored (a review: `{"command": "maintenance", "windows": 120}` quietly set an hour).
 */
export function commandArg(what: OperatorCommand, body: { windows?: unknown; minutes?: unknown }): { arg: unknown } | { error: string } {
  if (what === 'release') {
    const sent = (['windows', 'minutes'] as const).find((k) => body[k] !== undefined);
    return sent ? { error: `${sent}: release takes nothing, not ${sent}` } : { arg: undefined };
  }
  const [takes, other] = what === 'maintenance' ? (['minutes', 'windows'] as const) : (['windows', 'minutes'] as const);
  if (body[other] !== undefined) return { error: `${other}: ${what} takes ${what === 'trained' ? 'nothing' : takes}, not ${other}${other === 'minutes' ? ' (minutes are maintenance\'s)' : ''}` };
  return { arg: body[takes] };
}

/** Maintenance that a command sets without a length (minutes): long enough for a routine job. */
export const MAINTENANCE_MINUTES = 60;

/**
 * Re-anchoring on `residuals` under the model in service (re-anchors.ts), and maintenance on `alerts`; each is saved
 * soon after (it survives a restart).
 */
export function operatorCommands(residuals: TrackedResiduals, alerts: AlertBank, card: () => ModelCard, log: VigilLogger, edge: EdgeCounters, persistSoon: (sensor?: string) => void, now: () => number = Date.now): OperatorCommands {
  const reAnchors: ReAnchors = openReAnchors(residuals, card, log, edge, persistSoon);
  const refusals = rateLimitedWarning(log, (count, byKey) => [{ count, refusals: byKey }, `${count} maintenance command(s) refused (${Object.keys(byKey).join('; ')})`]);
  const maintenance = (sensor: string, requested: unknown, by = 'unknown'): CommandOutcome => {
    // Absent: an hour; null (or anything but a number) is refused, not taken for absent (a review: {"minutes": null} set an hour).
    const minutes = requested === undefined ? MAINTENANCE_MINUTES : requested;
    if (!(typeof minutes === 'number' && Number.isFinite(minutes) && minutes >= 0 && minutes <= MAX_MAINTENANCE_MINUTES)) {
      return { ok: false, status: 400, error: `minutes: expected a number from 0 (end it now) to ${MAX_MAINTENANCE_MINUTES} (a week), got ${JSON.stringify(requested)}` };
    }
    const from = now();
    const until = from + Math.round(minutes * 60_000);
    const before = alerts.maintenanceOf(sensor, from);
    if (!alerts.maintain(sensor, minutes > 0 ? { from, until, by } : undefined)) {
      return { ok: false, status: 404, error: `sensor ${JSON.stringify(sensor)} has not been judged since this vigil started, nor is it in its saved state: check the name, or try again once its readings arrive; in a fleet, ask the worker that holds it` };
    }
    persistSoon(sensor);
    if (minutes === 0) {
      const was = before ? ` (it was set until ${new Date(before.until).toISOString()} by ${before.by})` : ' (none was set)';
      log.info({ sensor, by }, `sensor ${sensor}: maintenance ended${was}; its windows alert as usual again`);
      return { ok: true, sensor, message: `sensor ${sensor}: maintenance ended${was}` };
    }
    const at = new Date(until).toISOString();
    const note = unknownClockNote(alerts.stateOf(sensor), from, until);
    log.info({ sensor, minutes, until: at, by }, `sensor ${sensor} under maintenance until ${at}: its windows are scored, but open no alert and teach nothing as normal${note}`);
    return { ok: true, sensor, until: at, message: `sensor ${sensor}: under maintenance until ${at}; an open alert closes at its next window, and none opens before then${note}` };
  };
  return {
    command(what, sensor, arg, by) {
      // Answered from the adaptation's reservoir, which wraps these (runtime/adapt/release-canaries.ts).
      if (what === 'release') return { ok: false, status: 409, error: 'adaptation is off (adapt.enabled: false): no canaries are kept, nothing to release' };
      if (what !== 'maintenance') return reAnchors.command(what, sensor, arg, by);
      const out = maintenance(sensor, arg, by);
      if (!out.ok) refusals.add(`maintenance ${JSON.stringify(sensor)}${by ? ` by ${by}` : ''}: ${out.status} ${out.error}`);
      return out;
    },
    progress: (sensor) => reAnchors.progress(sensor),
  };
}
