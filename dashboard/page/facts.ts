/**
 * What the live page says about the selected sensor, as (label, text) pairs: its score and bar, its open alert and
 * what found it, what an adaptive bar learns, and what level drift and input offsets do for its channels. The 'top
 * channels' text is HTML (page/format.ts `contributors`); every other text is plain and escaped by the caller.
 */
import type { TickMessage } from '../server.ts';
import { causeLine, outsideList } from '@vigil/runtime/alerts/alert-lines.ts';
import { contributors, displayNumber, utcTime } from './format.ts';

type Summary = TickMessage['sensors'][number];

/** The badge of sensor `x` beside its name: its state's kind (a `badge-KIND` class) and words. */
export function sensorBadge(x: Summary, selected: TickMessage['selected']): { kind: string; text: string } {
  // Under maintenance its windows open no alert, whatever they score: "normal" would say they are (a screenshot at 11x).
  if (selected?.name === x.name && selected.maintenance && x.state !== 'alert') return { kind: 'maintenance', text: 'MAINTENANCE: alerts muted' };
  // An alert on a sensor gone quiet says so: it cannot close until readings come back (its score is the last one).
  const text = x.state === 'alert' ? (x.silent ? 'ALERT · SILENT: no readings' : 'ALERT') : x.state === 'ok' ? 'normal' : x.state === 'silent' ? 'SILENT: no readings' : 'warming up';
  return { kind: x.state, text };
}

/** The facts of sensor `x`, with what the tick's `selected` part says of it when it is the one selected. */
export function sensorFacts(x: Summary, selected: TickMessage['selected']): [string, string][] {
  const mine = selected?.name === x.name ? selected : undefined;
  const open = selected?.spans.find((sp) => sp.end === null);
  const facts: [string, string][] = [
    ['score', displayNumber(x.score)],
    ['threshold', displayNumber(x.threshold)],
    ['windows', String(x.windows)],
    ['alerts', String(x.alerts)],
    ['last data', `${utcTime(x.lastTs)} UTC`],
  ];
  if (open) facts.push(['alert since', `${utcTime(open.start)} UTC`], ['top channels', contributors(open.contributors)]);
  if (open?.cause) facts.push(['cause', causeLine(open.cause, open.causeChannel)]);
  // What an adaptive bar learnt: scores taken in, scores kept out (incidents and their guard bands), and the
  // kind's own level when the rise bound holds the bar below it.
  const l = mine?.learning;
  if (l) {
    // In an operator's words: why the threshold line moves, and that incidents do not move it.
    facts.push(['threshold learns', `${l.kind}: from ${l.learnt} windows; ${l.keptOut} kept out (over the bar, or just after one that was)${l.pending ? `; ${l.pending} waiting` : ''}`]);
    if (l.kindLevel > l.level * 1.001) facts.push(['held by rise bound', `${l.kind} wants ${displayNumber(l.kindLevel)}`]);
  }
  // Channels whose wandering level has gone unconfirmed: they count for less until normal windows confirm it.
  const drift = mine?.levelDrift;
  if (drift?.length) facts.push(['level drift', drift.map((c) => `${c.channel} counts ${Math.round(c.weight * 100)} % (level ${c.movedSd > 0 ? '+' : ''}${c.movedSd} sd)`).join(', ')]);
  // Channels the model is fed shifted back towards their training range (inputs that follow the residual).
  const shifts = mine?.inputShifts;
  // Its inputs where training never went: an operating point (or a drift) the model cannot tell from a fault.
  if (mine?.outside?.length) facts.push(['outside training', outsideList(mine.outside)]);
  // An operator's word on it, in progress (runtime/scoring/re-anchor.ts): its level set from these windows, or back to training.
  const a = mine?.anchoring;
  if (a) facts.push(['re-anchoring', a.kind === 'trained' ? 'back to the trained level at its next window' : `${a.seen} of ${a.windows} windows averaged`]);
  // Muted by an operator (runtime/alerts/maintenance.ts): scored and shown, opening no alert until then.
  const m = mine?.maintenance;
  if (m) facts.push(['maintenance', `alerts muted until ${utcTime(m.until)} UTC, set by ${m.by}`]);
  if (shifts?.length) facts.push(['input shift', shifts.slice(0, 4).map((c) => `${c.channel} ${c.offset > 0 ? '-' : '+'}${Math.abs(c.offset)} sd`).join(', ')]);
  return facts;
}
