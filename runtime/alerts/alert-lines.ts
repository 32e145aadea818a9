/**
 * The alerts of a scored file, one line each, for `vigil score`'s summary: when each opened and closed, how long it
 * lasted, its peak against the bar, the channels of its worst window and what a check found there (a stuck sensor,
 * a roughened signal, a persistent shift), so a user reads what happened without opening the CSV.
 */
import { CAUSE_TEXT } from '../scoring/cause.ts';
import type { AlertEvent } from '../stream/types.ts';
import { formatShort, timesThreshold } from '../util/format-number.ts';
import { humanDuration, shortTime } from '../util/format-time.ts';

/** `flow 90%, speed 10%`: channels with their share of an alert's error. */
export function shareList(contributors: readonly { channel: string; share: number }[]): string {
  return contributors.map((c) => `${c.channel} ${Math.round(c.share * 100)}%`).join(', ');
}

/** One line per alert (a close, or an open still open at the end), the first `max`, then how many more. */
export function alertLines(events: readonly AlertEvent[], max = 10): string[] {
  const alerts: AlertEvent[] = [];
  let open: AlertEvent | undefined;
  for (const e of events) {
    if (e.type === 'open') open = e;
    else if (e.type === 'escalate') continue; // the close (or the end) gives the peak
    else {
      alerts.push(e);
      open = undefined;
    }
  }
  if (open) alerts.push(open);
  const lines = alerts.slice(0, max).map((e) => {
    const closed = e.type === 'close';
    const from = closed && e.openedAt !== undefined ? e.openedAt : e.tsLast;
    // A close carries the alert's peak; one still open, only its opening window's score.
    const score = closed && e.peakScore !== undefined ? e.peakScore : e.score;
    const bar = closed && e.peakThreshold !== undefined ? e.peakThreshold : e.threshold;
    return [
      `  ${shortTime(from)}`,
      closed ? `lasted ${humanDuration(e.durationMs ?? e.tsLast - from)}` : 'still open at the end',
      `${closed ? 'peak' : 'opened at'} ${formatShort(score)}${bar > 0 ? ` (${timesThreshold(score, bar)})` : ''}`,
      shareList(e.contributors),
      e.cause ? CAUSE_TEXT[e.cause] : '',
    ].filter(Boolean).join('  ');
  });
  if (alerts.length > max) lines.push(`  ... and ${alerts.length - max} more (the alert column of the CSV has them all)`);
  return lines;
}
