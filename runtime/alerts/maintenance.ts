/**
 * A sensor under maintenance: an operator's word (POST /sensors/NAME/maintenance, or the MQTT command topic;
 * runtime/ops/sensor-commands.ts) that its windows ending from now until a set time are work on the machine, not
 * behaviour to alert on. A pump stripped down, a valve stroked by hand, a sensor recalibrated: each scores far over
 * the bar, and an alert for it is one the operator already knows of, the kind that teaches a plant to ignore vigil.
 *
 * While it lasts the sensor's windows are still scored, judged and shown (the dashboard, /metrics), but its alert
 * tracker (tracker.ts) opens nothing: an alert open when it begins closes at its first window (or the first after
 * it, when none came in it: a machine switched off for the work), the close saying who put the sensor under
 * maintenance and until when; the window counts it kept are cleared, so once it ends an alert
 * opens only on fresh evidence, `openK` of `openN` windows after it, as after any close; and the windows are marked
 * `muted` for what learns from normal windows (the adaptation reservoir and drift signal), so work on the machine is
 * never taught as normal. The thresholds and trackers learn as always, only from windows under their gates.
 *
 * The span is in data time (the windows' last reading), from the command's wall clock read on the sensor's own clock
 * (`SensorClock`: a sensor an hour behind the gateway had the first hour of its work alert and stayed muted an hour
 * after it, one hours ahead was never muted): a backlog of readings from before it is judged as usual, and the
 * readings of the work, however late they arrive, are muted. It is saved with the sensor's alert state, so a restart
 * keeps it, and ended early with 0 minutes.
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

/** Whether `m` mutes a window whose last reading is at `at` (on the gateway's clock: `SensorClock.onGateway`). */
export function mutes(m: Maintenance | undefined, at: number): boolean {
  return m !== undefined && at >= m.from && at < m.until;
}

/** The data time over which a sensor's windows are judged to arrive at the pace they were taken (`SensorClock`). */
export const LIVE_PACE_SPAN_MS = 60_000;

/**
 * A sensor's clock against the gateway's, as its live windows show it: how far a window's last reading was stamped
 * ahead of its arrival (negative: behind), from windows that arrive at the pace they were taken (over a minute of
 * data time, their lead moved by under half of it: a sender that publishes in batches is live too). A backlog's
 * windows, taken long before they arrive and drained faster than they were taken, would read as a clock far behind:
 * they leave it as it was. NaN until a live pace is seen.
 */
export class SensorClock {
  private lead = Number.NaN;
  /** The window the next is judged against, a minute of data time before it at least. */
  private ref: { ts: number; lead: number } | undefined;

  /** A window of the sensor: its last reading taken at `ts` (its clock), arriving at `receivedAt` (the gateway's). */
  see(ts: number, receivedAt: number): void {
    const lead = ts - receivedAt;
    if (!Number.isFinite(lead)) return;
    if (this.ref && ts - this.ref.ts < LIVE_PACE_SPAN_MS) return;
    if (this.ref && Math.abs(lead - this.ref.lead) < (ts - this.ref.ts) / 2) this.lead = lead;
    this.ref = { ts, lead };
  }

  /**
   * A time `ts` of the sensor's clock on the gateway's (as it is, until a live pace is seen): a maintenance set before
   * the sensor's clock was known (in a minute after a start) is read on it once it is.
   */
  onGateway(ts: number): number {
    return Number.isFinite(this.lead) ? ts - this.lead : ts;
  }

  /** What the alert state saves (AlertTrackerState.clockLead): the lead when known. */
  field(): { clockLead?: number } {
    return Number.isFinite(this.lead) ? { clockLead: this.lead } : {};
  }

  /** The saved lead read back (undefined: not known); throws when it is no finite number. */
  restore(x: unknown): void {
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`saved alert state: clockLead must be a finite number, got ${JSON.stringify(x)}`);
    this.lead = x;
  }
}

/**
 * What a maintenance reply adds when the sensor's clock is not known (`SensorClock`: none of its windows arrived at
 * the pace they were taken) and its latest window is stamped more than a minute from the command: a replay or a
 * backfill, whose data time runs apart from the gateway's. The span is then read on the gateway's clock, so it mutes
 * readings stamped in it, not the next readings to arrive (a probe, at ten times real time: the alert closed for the
 * maintenance and another opened half a second later, under a reply that said "under maintenance until ...").
 */
export function unknownClockNote(state: { lastTs: number | null; clockLead?: number } | undefined, from: number, until: number): string {
  if (!state || state.clockLead !== undefined || state.lastTs === null || Math.abs(state.lastTs - from) <= LIVE_PACE_SPAN_MS) return '';
  const iso = (t: number) => new Date(t).toISOString();
  return `; its clock is not known (its readings have not arrived at the pace they were taken: a replay or a backfill?) and its latest window is stamped ${iso(state.lastTs)}, so only windows stamped from ${iso(from)} to ${iso(until)} are muted`;
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
