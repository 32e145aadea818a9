/**
 * The alerts of a scored file, one line each, for `vigil score`'s summary: when each opened and closed, how long it
 * lasted, its peak against the bar, the channels of its worst window and what a check found there (a stuck sensor,
 * a roughened signal, a persistent shift), so a user reads what happened without opening the CSV.
 */
import { causeText } from '../scoring/cause.ts';
import type { AlertEvent } from '../stream/types.ts';
import { formatShort, timesThreshold } from '../util/format-number.ts';
import { humanDuration, shortTime } from '../util/format-time.ts';

/** `flow 90%, speed 10%`: channels with their share of an alert's error. */
export function shareList(contributors: readonly { channel: string; share: number }[]): string {
  return contributors.map((c) => `${c.channel} ${Math.round(c.share * 100)}%`).join(', ');
}

/**
 * `speed_hz 47.3 (trained 42.1 to 44.0)`: the channels of a window outside the range training saw
 * (scoring/seen-range.ts), the first `max`; '' when none.
 */
export function outsideList(outside: AlertEvent['outside'], max = 2): string {
  if (!outside?.length) return '';
  const named = outside.slice(0, max).map((o) => {
    // The trained range comes back from scaled units with float residue: a damper closed all night read
    // `trained -1.38e-7 to 35.1` (an HVAC probe). Within a ten-thousandth of the figures' size, it is 0.
    const scale = Math.max(Math.abs(o.value), Math.abs(o.low), Math.abs(o.high)) * 1e-4;
    const f = (x: number) => formatShort(Math.abs(x) < scale ? 0 : x);
    return `${o.channel} ${f(o.value)} (trained ${f(o.low)} to ${f(o.high)})`;
  });
  return `${named.join(', ')}${outside.length > max ? `, +${outside.length - max} more` : ''}`;
}

/** `outside training: speed_hz 47.3 (trained 42.1 to 44.0)`, or '' when none is outside. */
export function outsideText(outside: AlertEvent['outside'], max = 2): string {
  const list = outsideList(outside, max);
  return list && `outside training: ${list}`;
}

/**
 * What a check found, in words, with the channel it is about where that is one (a stuck sensor's): `motor_temp: a
 * stuck sensor (holding exactly still)`. The channel is named, not left to the shares: a stuck channel is given the
 * blame just above the largest other term (flatline.ts), so two channels can read the same share.
 */
export function causeLine(cause: string, channel?: string): string {
  return channel ? `${channel}: ${causeText(cause)}` : causeText(cause);
}

/** What an alert whose window held a channel nobody measured says of it (AlertEvent.incomplete). */
export const INCOMPLETE_TEXT = 'judged with a channel its readings did not carry (held at its last value or the training mean)';

/** The channel a cause is about: a stuck sensor's, the top contributor of the window that showed it (flatline.ts puts it first); undefined for the others. */
export function causeChannel(cause: string | undefined, contributors: readonly { channel: string }[] | undefined): string | undefined {
  return cause === 'stuck' ? contributors?.[0]?.channel : undefined;
}

/** What a check found in an event's window, its channel named for a stuck sensor; '' when nothing. */
export function eventCause(e: Pick<AlertEvent, 'cause' | 'contributors'>): string {
  return e.cause ? causeLine(e.cause, causeChannel(e.cause, e.contributors)) : '';
}

/**
 * An operator's word that closed an alert (AlertEvent.marked) in words: `marked normal by 10.0.0.7 curl/8.1`, `sent back
 * to training`; a command a newer producer names is shown as it is.
 */
export function markText(m: { command: string; by?: string; until?: number | string }): string {
  // What a producer sent (a newer one's command; who asked: a user agent, a command's id): no control character
  // reaches a terminal.
  const clean = (t: string) => t.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const until = m.until === undefined ? Number.NaN : typeof m.until === 'number' ? m.until : Date.parse(m.until);
  // Its end as the lines around it write times (a review: `until 2026-12-07T08:39:34.435Z` beside `2026-12-07 07:29:35`).
  const maintenance = `put under maintenance${Number.isFinite(until) ? ` until ${shortTime(until, true)} UTC` : ''}`;
  const what = m.command === 'normal' ? 'marked normal' : m.command === 'trained' ? 'sent back to training' : m.command === 'maintenance' ? maintenance : `operator command ${clean(m.command)}`;
  return m.by ? `${what} by ${clean(m.by)}` : what;
}

/**
 * Where an alert opened outside the range training saw (its worst window's, when its open is not among the events):
 * an operating point training never saw is what an operator asks about first. '' when nowhere.
 */
export function openedOutside(a: ScoredAlert): string {
  return outsideText(a.opened?.outside ?? a.e.outside);
}

/** One alert of a scored series: its last event (a close, or the open still open at the end), its open and escalations. */
export interface ScoredAlert {
  e: AlertEvent;
  /** The event that opened it (absent only when the events began after it opened). */
  opened?: AlertEvent;
  escalations: AlertEvent[];
}

/** The events of one sensor, in order, grouped into alerts. */
export function groupAlerts(events: readonly AlertEvent[]): ScoredAlert[] {
  const alerts: ScoredAlert[] = [];
  let open: AlertEvent | undefined;
  let escalations: AlertEvent[] = [];
  for (const e of events) {
    if (e.type === 'open') {
      open = e;
      escalations = [];
    } else if (e.type === 'escalate') escalations.push(e);
    else {
      alerts.push({ e, ...(open && { opened: open }), escalations });
      open = undefined;
      escalations = [];
    }
  }
  if (open) alerts.push({ e: open, opened: open, escalations });
  return alerts;
}

/**
 * The channels that opened an alert, when they are not those of its worst window (what a close names): a long
 * alert's peak may come from something else that happened while it was open (a probe: a 2-day alert opened by
 * return_temp and comp_current was named after a valve oscillation at its peak). Undefined when they lead alike.
 */
export function openedOn(a: ScoredAlert): readonly { channel: string; share: number }[] | undefined {
  if (a.e.type !== 'close' || !a.opened?.contributors.length) return undefined;
  return a.opened.contributors[0].channel === a.e.contributors[0]?.channel ? undefined : a.opened.contributors;
}

/**
 * One line per alert (a close, or an open still open at the end), the first `max`, then how many more; under each,
 * a line per escalation (what grew, and when: the close gives only the peak, and a fault that came on top of an
 * alert already open shows only here).
 */
export function alertLines(events: readonly AlertEvent[], max = 10): string[] {
  const alerts = groupAlerts(events);
  const shown = alerts.slice(0, max);
  // One format down the list: seconds on every time when any has them (a probe read `05:00` beside `03:00:37`).
  const seconds = shown.some((a) => startOf(a) % 60_000 !== 0 || a.escalations.some((e) => e.tsLast % 60_000 !== 0));
  const lines = shown.flatMap((a) => [line(a, seconds), ...a.escalations.map((e) => escalationLine(e, seconds))]);
  if (alerts.length > max) lines.push(`  ... and ${alerts.length - max} more (the alert column of the CSV has them all)`);
  return lines;
}

/** `    escalated 2024-03-04 13:55:10  240 (43.1x)  pressure 56%, motor_current 44%` */
function escalationLine(e: AlertEvent, seconds: boolean): string {
  return [`    escalated ${shortTime(e.tsLast, seconds)}`, `${formatShort(e.score)}${e.threshold > 0 ? ` (${timesThreshold(e.score, e.threshold)})` : ''}`, shareList(e.contributors), eventCause(e)].filter(Boolean).join('  ');
}

/** When alert `a` opened: a close's `openedAt`, else its event's last window. */
function startOf(a: ScoredAlert): number {
  return a.e.type === 'close' && a.e.openedAt !== undefined ? a.e.openedAt : a.e.tsLast;
}

/** An alert's own line. */
function line(a: ScoredAlert, seconds: boolean): string {
  const e = a.e;
  const first = openedOn(a);
  const closed = e.type === 'close';
  const from = startOf(a);
  // A close carries the alert's peak; one still open, only its opening window's score.
  const score = closed && e.peakScore !== undefined ? e.peakScore : e.score;
  const bar = closed && e.peakThreshold !== undefined ? e.peakThreshold : e.threshold;
  return [
    `  ${shortTime(from, seconds)}`,
    closed ? `lasted ${humanDuration(e.durationMs ?? e.tsLast - from)}` : 'still open at the end',
    `${closed ? 'peak' : 'opened at'} ${formatShort(score)}${bar > 0 ? ` (${timesThreshold(score, bar)})` : ''}`,
    shareList(e.contributors),
    eventCause(e),
    first ? `(opened on ${shareList(first)})` : '',
    openedOutside(a),
    a.opened?.incomplete || e.incomplete ? INCOMPLETE_TEXT : '',
  ].filter(Boolean).join('  ');
}
