/**
 * Alert events as a person reads them at a glance: one line per event, open in red, close in green, the
 * sensor, how far over the threshold, which channels drove it, and when (the data's own timestamps). A
 * sensor's invalid-reading signal (`type: "invalid"`) in yellow: what was read, the range it broke, how many.
 */
import type { z } from 'zod';
import { formatShort, timesThreshold } from '@vigil/runtime/util/format-number.ts';
import { causeText } from '@vigil/runtime/scoring/cause.ts';
import { causeChannel, causeLine, INCOMPLETE_TEXT, markText, outsideText, shareList } from '@vigil/runtime/alerts/alert-lines.ts';
import { humanDuration, shortTime, shortTimes } from '@vigil/runtime/util/format-time.ts';
import { AlertPayloadSchema, InvalidPayloadSchema, SilencePayloadSchema, type AlertPayload, type InvalidPayload, type SilencePayload } from '@vigil/runtime/mqtt/alert-payload.ts';

export type { InvalidPayload } from '@vigil/runtime/mqtt/alert-payload.ts';

/** The alert JSON the runtime publishes (`vigil-alert/1`), validated by the runtime's own schema. */
export type AlertMessage = AlertPayload;
export { humanDuration, shortTime };

/** Terminal colours of the lines (`--no-color`, or not a terminal: none). */
export const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };

/** Check a parsed payload is an alert (the runtime's `AlertPayloadSchema`); returns a reason when it is not. */
export function alertProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const type = (v as { type?: unknown }).type;
  if (type !== 'open' && type !== 'escalate' && type !== 'close') return `type is ${JSON.stringify(type)}; expected "open", "escalate" or "close"`;
  return schemaProblem(AlertPayloadSchema.safeParse(v));
}

/** Check a parsed payload is an invalid-reading signal (the runtime's `InvalidPayloadSchema`); returns a reason when it is not. */
export function invalidProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || (v as { type?: unknown }).type !== 'invalid') return 'not an invalid-reading signal';
  return schemaProblem(InvalidPayloadSchema.safeParse(v));
}

/** Check a parsed payload is a silence signal (the runtime's `SilencePayloadSchema`); returns a reason when it is not. */
export function silenceProblem(v: unknown): string | undefined {
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (type !== 'silent' && type !== 'resumed') return 'not a silence signal';
  return schemaProblem(SilencePayloadSchema.safeParse(v));
}

/** The first issue of a failed parse as `field: what was wrong`. */
export function schemaProblem(r: z.ZodSafeParseResult<unknown>): string | undefined {
  if (r.success) return undefined;
  const issue = r.error.issues[0];
  return `${issue.path.join('.') || 'payload'}: ${issue.message}`;
}

/**
 * The sensor as a line names it, with the gateway that sent the message when it says (two sites that both call a
 * sensor `pump-1`): every kind of line alike (a probe: `SILENT  dosing-1` beside `ALERT  dosing-1 [gw-hops-1]`).
 */
function sensorOf(p: { sensor: string; gateway?: string }, c: { bold: string; reset: string }): string {
  return `${c.bold}${p.sensor}${c.reset}${p.gateway ? ` [${p.gateway}]` : ''}`;
}

/** One line for a sensor gone silent, or back. */
export function formatSilence(p: SilencePayload, opts: { color?: boolean; now?: Date; retained?: boolean } = {}): string {
  const c = opts.color ? ANSI : { yellow: '', green: '', bold: '', dim: '', reset: '' };
  const wall = wallOf(opts);
  const usual = `usually every ${p.usualMs < 1000 ? `${Math.round(p.usualMs)} ms` : humanDuration(p.usualMs)}`;
  return (p.type === 'silent'
    ? [`${c.dim}${wall}${c.reset}`, `${c.yellow}${c.bold}SILENT${c.reset}`, sensorOf(p, c), p.cause ? `offline (${p.cause}), last reading ${humanDuration(p.quietMs)} ago` : `no reading for ${humanDuration(p.quietMs)}`, `(${usual}; last at ${localTime(p.lastHeardAt)})`, maintenanceNote(p)]
    : p.unresolved
      ? [`${c.dim}${wall}${c.reset}`, `${c.yellow}${c.bold}unwatched${c.reset}`, sensorOf(p, c), `silent for ${humanDuration(p.quietMs)}, no longer watched (${p.unresolved}): its return will not be said`, maintenanceNote(p)]
      : [`${c.dim}${wall}${c.reset}`, `${c.green}${c.bold}back${c.reset}`, sensorOf(p, c), `after ${humanDuration(p.quietMs)} of silence`, maintenanceNote(p)]
  ).filter((x) => x !== '').join('  ');
}

/** What a signal of a sensor under maintenance adds: that it is, and until when ('' otherwise). */
function maintenanceNote(p: { maintenance?: { until: string; by?: string } }): string {
  return p.maintenance ? `[under maintenance until ${localTime(Date.parse(p.maintenance.until))}]` : '';
}

/** One line for an invalid-reading signal. */
export function formatInvalid(p: InvalidPayload, opts: { color?: boolean; now?: Date; retained?: boolean } = {}): string {
  const c = opts.color ? ANSI : { yellow: '', bold: '', dim: '', reset: '' };
  const wall = wallOf(opts);
  const what = p.channel !== undefined && p.value !== undefined && p.range
    ? `${p.channel} = ${p.value} outside [${p.range[0]}, ${p.range[1]}]`
    : p.channels?.length ? `${p.channels.join(', ')} missing from its readings (last value held)` : p.detail;
  return [
    `${c.dim}${wall}${c.reset}`,
    `${c.yellow}${c.bold}INVALID${c.reset}`,
    sensorOf(p, c),
    what,
    `(${p.reason}${p.count > 1 ? `, ${p.count} readings since the last signal` : ''})`,
    `at ${localTime(p.ts ?? Date.parse(p.receivedAt))}`,
    maintenanceNote(p),
  ].filter((x) => x !== '').join('  ');
}

/** An event whose data arrived this long (ms) after it was taken is marked late. */
export const LATE_MS = 60_000;

/**
 * `2026-12-07 03:09:21`: a wall-clock instant (a sensor last heard, a gateway online since, an invalid reading's arrival) in this machine's local
 * time, as the time a line starts with: printed in UTC next to a local line start, a sensor "last at 02:09:21" read as
 * an hour before a "03:10:15  SILENT ... no reading for 1m 00s" (an HVAC probe in Europe/Berlin).
 */
export function localTime(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${d.toTimeString().slice(0, 8)}`;
}

/**
 * The local wall time a line starts with: when it was received, or, for a topic's retained message (`retained`, `now`
 * its own time), when it was sent, marked so (a probe: a retained "silent" from 16 minutes before read as new).
 */
export function wallOf(opts: { now?: Date; retained?: boolean }): string {
  const at = opts.now ?? new Date();
  const time = at.toTimeString().slice(0, 8);
  if (!opts.retained) return time;
  // A retained message may be days old: its date too, when it is not today's (a review).
  const day = (d: Date) => localTime(d.getTime()).slice(0, 10);
  return `${day(at) === day(new Date()) ? time : `${day(at)} ${time}`} (retained)`;
}

/**
 * About when a message was sent, from its own fields (a retained one is received long after): an alert event when its
 * reading arrived (window end + lateness), a silence signal when it was judged (last heard + quiet time), an invalid
 * signal when its reading arrived.
 */
export function sentAt(p: AlertMessage | InvalidPayload | SilencePayload): Date | undefined {
  if (p.type === 'invalid') return new Date(p.receivedAt);
  if (p.type === 'silent' || p.type === 'resumed') return new Date((p as SilencePayload).lastHeardAt + (p as SilencePayload).quietMs);
  const e = p as Extract<AlertMessage, { tsLast: number }>;
  return e.tsLast !== undefined ? new Date(e.tsLast + (e.lateMs ?? 0)) : undefined;
}

/**
 * `vigil alerts --json`: the message as it was published, one line; a topic's retained message (handed over at the
 * subscription, maybe sent days before) gains `"retained": true`, as the text lines mark it, so a pipe can tell an
 * old open alert from a new one.
 */
export function jsonLine(p: object, retained: boolean): string {
  return JSON.stringify(retained ? { ...p, retained: true } : p);
}

/** One line for one alert event. `now` is the local wall time shown first (when it was received). */
export function formatAlert(a: AlertMessage, opts: { color?: boolean; now?: Date; late?: boolean; retained?: boolean } = {}): string {
  const c = opts.color ? ANSI : { red: '', green: '', bold: '', dim: '', reset: '' };
  const wall = wallOf(opts);
  const ratio = a.threshold > 0 ? a.score / a.threshold : Infinity;
  // Both ends alike (a probe: `data 08:31 .. 08:31:31` read as a minute and a second).
  const window = shortTimes(a.tsFirst, a.tsLast).join(' .. ');
  const top = shareList(a.topChannels ?? []);
  // What a check found in the window behind the event (on close: the alert's worst window).
  const found = [a.cause ? causeLine(a.cause, causeChannel(a.cause, a.topChannels)) : a.memory ? causeText('memory') : '', outsideText(a.outside?.map((o) => ({ channel: o.channel, value: o.value, low: o.trained[0], high: o.trained[1] }))), a.incomplete ? INCOMPLETE_TEXT : ''].filter(Boolean).join('  ');
  // An event about data that arrived long after it was taken (a flushed backlog) says so: not a new incident.
  // (`late: false`: a replay of recorded data, late by construction.)
  // And one stamped well after it arrived (a sensor clock ahead, which vigil accepts up to maxFutureMs): its data
  // times lie in the future, and without a word an operator reads them as a bug (a probe: at 07:18, data of 08:18).
  const late = opts.late === false || a.lateMs === undefined ? ''
    : a.lateMs >= LATE_MS ? `(late: data from ${humanDuration(a.lateMs)} before it arrived)`
    : a.lateMs <= -LATE_MS ? `(clock ahead: data stamped ${humanDuration(-a.lateMs)} after it arrived)` : '';
  if (a.type === 'open' || a.type === 'escalate') {
    // The severity in words: an operator reads CRITICAL before the numbers; an escalation says since when.
    const since = a.type === 'escalate' && a.openedAt ? `(open since ${shortTime(a.openedAt)})` : '';
    return [
      `${c.dim}${wall}${c.reset}`,
      `${c.red}${c.bold}${a.type === 'escalate' ? 'ESCALATED' : 'ALERT'}${c.reset}`,
      sensorOf(a, c),
      `${c.bold}${a.severity}${c.reset}`,
      `score ${formatShort(a.score)} > ${formatShort(a.threshold)} (${Number.isFinite(ratio) ? timesThreshold(a.score, a.threshold) : 'over'})`,
      since,
      `data ${window}`,
      top ? `driven by ${top}` : '',
      found,
      late,
    ].filter(Boolean).join('  ');
  }
  // An unresolved close (its sensor went silent for good) was seen for that long, not cleared after it.
  const lasted = a.durationMs !== undefined ? `${a.unresolved ? 'seen for' : 'lasted'} ${humanDuration(a.durationMs)}` : '';
  // Against the peak's own bar when the event says it (an adaptive or reloaded bar moved since).
  const bar = a.peakThreshold ?? a.threshold;
  const peak = a.peakScore !== undefined ? `peak ${formatShort(a.peakScore)}${bar > 0 ? ` (${timesThreshold(a.peakScore, bar)})` : ''}` : '';
  return [
    `${c.dim}${wall}${c.reset}`,
    `${c.green}${c.bold}clear${c.reset}`,
    sensorOf(a, c),
    lasted,
    peak,
    // The channels of the alert's worst window, which the close carries (a probe: the close named none).
    top ? `worst on ${top}` : '',
    `data until ${shortTime(a.tsLast ?? a.windowEnd)}`,
    // Closed without a quiet window: nobody saw the fault end.
    a.unresolved === 'silent' ? 'unresolved: its sensor went silent for good' : a.unresolved === 'evicted' ? 'unresolved: vigil stopped watching its sensor (window.maxSensors)' : a.unresolved ? `unresolved: ${a.unresolved}` : '',
    // Closed by an operator's word on the sensor's level, not seen to end on its own.
    a.marked ? `${c.bold}after ${markText(a.marked)}${c.reset}` : '',
    found,
    a.unresolved ? '' : late,
  ].filter(Boolean).join('  ');
}
