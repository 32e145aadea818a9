/**
 * A sensor under maintenance: an operator's word (POST /sensors/NAME/maintenance, or the MQTT command topic;
 * runtime/ops/sensor-commands.ts) that its windows ending from now until a set time are work on the machine, not
 * behaviour to alert on. A pump stripped down, a valve stroked by hand, a sensor recalibrated: each scores far over
 * the bar, and an alert for it is one the operator already knows of, the kind that teaches a plant to ignore vigil.
 *
 * While it lasts the sensor's windows are still scored, judged and shown (the dashboard, /metrics), but its alert
 * tracker (tracker.ts) opens nothing: an alert open when it begins closes at its first window, the close saying who
 * put the sensor under maintenance and until when; the window counts it kept are cleared, so once it ends an alert
 * opens only on fresh evidence, `openK` of `openN` windows after it, as after any close; and the windows are marked
 * `muted` for what learns from normal windows (the adaptation reservoir and drift signal), so work on the machine is
 * never taught as normal. The thresholds and trackers learn as always, only from windows under their gates.
 *
 * The span is in data time (the windows' last reading), from the command's wall clock: a backlog of readings from
 * before it is judged as usual, and the readings of the work, however late they arrive, are muted. It is saved with
 * the sensor's alert state, so a restart keeps it, and ended early with 0 minutes.
 */

/** One sensor's maintenance: windows whose last reading is at or after `from` and before `until` (ms) are muted. */
export interface Maintenance {
  from: number;
  until: number;
  /** Who asked (an address and user agent, or the MQTT topic and id), for the close and the log. */
  by: string;
}

/** How an alert's close says maintenance closed it (AlertEvent.marked, beside an operator's re-anchoring marks). */
export interface MaintenanceMark {
  command: 'maintenance';
  by?: string;
  /** When the maintenance ends (ms). */
  until: number;
}

/** The longest maintenance one command sets (a week): longer work is set again, so a forgotten mute ends. */
export const MAX_MAINTENANCE_MINUTES = 7 * 24 * 60;

/** Whether `m` mutes a window whose last reading is at `ts`. */
export function mutes(m: Maintenance | undefined, ts: number): boolean {
  return m !== undefined && ts >= m.from && ts < m.until;
}

/** A saved maintenance read back, every field checked; throws naming the field. */
export function savedMaintenance(x: unknown): Maintenance | undefined {
  if (x === undefined) return undefined;
  const m = x as Partial<Maintenance> | null;
  for (const k of ['from', 'until'] as const) {
    if (typeof m?.[k] !== 'number' || !Number.isFinite(m[k])) throw new Error(`saved alert state: maintenance.${k} must be a finite number, got ${JSON.stringify(m?.[k])}`);
  }
  if (typeof m!.by !== 'string') throw new Error(`saved alert state: maintenance.by must be a string, got ${JSON.stringify(m!.by)}`);
  return { from: m!.from!, until: m!.until!, by: m!.by };
}
