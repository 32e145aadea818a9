/**
 * What a sensor's timestamps say about its clock, against its readings' arrival and its own past: data that starts
 * over far before a restart's tail (a replayed recording, a reset clock), a reading that jumps well ahead of its
 * arrival, a clock step back from such a jump (the jump was the wrong clock), and a clock set back for good. The window stage
 * (window-by-sensor.ts) acts on them.
 */
import type { ModelCard } from '../model/card.ts';
import { GAP_STEPS } from './data-gaps.ts';
import type { SensorState } from './sensor-state.ts';
import type { Reading } from './types.ts';

/**
 * How far before a restart's tail a sensor's data must start for the tail to be dropped and the sensor started
 * afresh (a replayed recording, a reset clock): a day, or two windows of the card's interval if longer. Nearer, older
 * data is refused as out of order or duplicate, as it would be without the restart.
 */
export function startOverMs(card: Pick<ModelCard, 'window' | 'data'>): number {
  return Math.max(86_400_000, 2 * card.window * (card.data?.intervalMs ?? 0));
}

/** How far ahead of its arrival a reading must be stamped to count as a clock ahead: a minute, or 10 intervals. */
export function clockAheadMs(card: Pick<ModelCard, 'data'>): number {
  return Math.max(60_000, 10 * (card.data?.intervalMs ?? 0));
}

/**
 * The lead a sensor's next reading is judged against: its last reading's, or, for its very first reading (nothing
 * heard, not even a restart's tail), its arrival (0): a sensor that starts well ahead of its arrival jumped from there.
 */
export function leadBeforeNext(s: Pick<SensorState, 'lead' | 'seq'>): { lead: number; presumed: boolean } {
  return s.seq === 0 && Number.isNaN(s.lead) ? { lead: 0, presumed: true } : { lead: s.lead, presumed: false };
}

/**
 * Whether a reading stamped `lead` ms ahead of its arrival jumps ahead of its sensor's clock: well ahead of its
 * arrival, and well ahead of the sensor's last reading's lead (not a replay faster than real time, whose lead grows a
 * step at a time, nor the first live reading after a backlog, which is near its arrival). Against a known lead only
 * (a restart's tail gives its last reading's), or the arrival for a sensor's very first reading (`leadBeforeNext`):
 * a sensor whose clock runs ahead all the time never jumps after a restart (a review: taken for a jump, it lost its
 * restored window and had resent readings judged twice), and at its first reading the jump only keeps the way back
 * open (`clockStepped`) until a window of its readings confirms its clock, said by no one.
 */
export function jumpsAhead(s: Pick<SensorState, 'lead' | 'seq'>, lead: number, card: Pick<ModelCard, 'data'>): boolean {
  const ahead = clockAheadMs(card);
  return lead > ahead && lead - leadBeforeNext(s).lead > ahead;
}

/**
 * A sensor's readings jumped ahead of their arrival (`jumpsAhead`, the jump not yet confirmed by a window of
 * readings) and one now older than its last is stamped `lead` ms ahead of its own arrival, back within a minute (or 10
 * intervals) of the lead before the jump: the jump was the wrong clock (a GPS or RTC glitch), this one is right.
 * Without this, one reading stamped an hour ahead left a probe's sensor unjudged for that hour, every later reading
 * refused as out of order. A sensor whose clock runs ahead all the time, a replay faster than real time and a gateway
 * resending old readings never jumped, so their late readings are refused as before. A glitch that is a sensor's very
 * first reading goes back to its arrival (`leadBeforeNext`); one that is its last before a stop has no lead before it
 * to go back to (the restart's tail keeps only the last reading's arrival): its sensor waits for real time as before.
 */
export function clockStepped(s: Pick<SensorState, 'lead' | 'leadBefore'>, lead: number, card: Pick<ModelCard, 'data'>): boolean {
  const ahead = clockAheadMs(card);
  // Back near the lead before the jump, not anywhere behind it: a resent backlog (far behind its arrival) is no step
  // back (a review: a sensor ahead from its first reading, its live and resent readings interleaved, stepped 10 times).
  return lead < s.lead - ahead && Math.abs(lead - s.leadBefore) < ahead;
}

/**
 * A reading of lead `lead` (NaN: stamped on arrival, or a restart's tail) was taken: the sensor's lead is now its, and
 * the lead before a jump is kept until a window of `window` readings confirms the new clock. Returns how far the
 * clock jumped when this reading confirms it (ms; 0 otherwise): a clock set forward for good, said (a probe found it
 * unsaid once its step stopped counting as missing readings); not one that was ahead from its sensor's first reading
 * (nothing was seen before it to be ahead of: a clock that runs ahead all the time).
 */
export function keepLead(s: Pick<SensorState, 'lead' | 'leadStep' | 'leadBefore' | 'leadPresumed' | 'rowsSinceReset' | 'seq'>, lead: number, jumped: boolean, window: number): number {
  let confirmed = 0;
  if (jumped) {
    const before = leadBeforeNext(s);
    s.leadBefore = before.lead;
    s.leadPresumed = before.presumed;
  } else if (s.rowsSinceReset >= window - 1) {
    if (!Number.isNaN(s.leadBefore) && !Number.isNaN(lead) && !s.leadPresumed) confirmed = lead - s.leadBefore;
    s.leadBefore = Number.NaN;
    s.leadPresumed = false;
  }
  s.leadStep = lead - s.lead;
  s.lead = lead;
  return confirmed;
}

/**
 * How far (ms) a live sensor's clock stepped forward at a reading of lead `lead`, `step` ms of data time after its
 * last, or 0: the step is a gap of `intervalMs` readings (1.75 intervals or more), the sensor's lead held still over
 * the step before (within half an interval: a live pace, not a backlog, whose leads grow a step at a time) and grew by
 * more than half this step (the data time ran far ahead of the arrival time). Readings lost from a live stream leave a
 * hole in arrival time too, and keep the lead. A step shorter than `clockAheadMs` that `jumpsAhead` leaves alone: a
 * probe's NTP correction of 30 s forward was counted as 30 readings lost upstream, /health degraded by them.
 */
export function steppedForward(s: Pick<SensorState, 'lead' | 'leadStep'>, lead: number, step: number, intervalMs: number): number {
  if (!(intervalMs > 0) || step < GAP_STEPS * intervalMs || !(Math.abs(s.leadStep) < intervalMs / 2)) return 0;
  const grew = lead - s.lead;
  return grew > step / 2 ? grew : 0;
}

/** Whether a reading (`ts`, `digest`) is one its sensor's clock step set aside (window-by-sensor.ts): a copy of it. */
export function wasSetAside(s: Pick<SensorState, 'setAside'>, ts: number, digest: number): boolean {
  return s.setAside.some((r) => r.ts === ts && r.digest === digest);
}

/** A run of readings arrives at the pace it was measured when its data time spans within this factor of its arrivals'. */
export const SET_BACK_PACE = 1.25;

/** Forget a run of readings refused as a clock set back (a reading on time ended it, or it was confirmed). */
export function endBackRun(s: Pick<SensorState, 'backRun' | 'backReadings'>): void {
  s.backRun = 0;
  s.backReadings = [];
}

/**
 * A fresh reading `r` older than its sensor's last (not arrival-stamped) was refused: whether a window of such readings
 * in a row now says the sensor's clock was set back for good (a device's clock corrected, a DST fall-back in local
 * time). Each well behind the sensor's last accepted lead (by a minute, or 10 intervals), each later than the one
 * before, and the run arriving at the pace it was measured: its data time since its first reading within
 * SET_BACK_PACE of the time it took to arrive, judged from the run's first reading on (a sender publishing in batches
 * comes to its pace; a review found runs of one window judged alone never followed for many batch sizes). Returns,
 * when confirmed, the run's readings before `r` (a window's worth at most): the window stage starts the sensor afresh
 * with them filling its window, so the step costs no more readings than the run. A probe's clock set back 10 minutes
 * left its sensor unjudged for 10 minutes, as an hour's would for an hour; a set-back shorter than a window ends in
 * readings on time before any run is confirmed, as before. A backlog resent faster than it was measured (twice real
 * time: a review saw it taken for a clock) and readings a reorder left barely behind stay refused.
 */
export function setBackFor(
  s: Pick<SensorState, 'lead' | 'backRun' | 'backReadings' | 'backFromTs' | 'backFromAt' | 'backLastTs'>,
  r: Reading,
  window: number,
  card: Pick<ModelCard, 'data'>,
): Reading[] | undefined {
  if (Number.isNaN(s.lead) || !(s.lead - (r.ts - r.receivedAt) > clockAheadMs(card))) return void endBackRun(s);
  if (s.backRun > 0 && r.ts > s.backLastTs) s.backRun++;
  else {
    s.backRun = 1;
    s.backReadings = [];
    s.backFromTs = r.ts;
    s.backFromAt = r.receivedAt;
  }
  s.backLastTs = r.ts;
  const data = r.ts - s.backFromTs;
  const arrived = r.receivedAt - s.backFromAt;
  if (s.backRun >= window && arrived > 0 && data <= SET_BACK_PACE * arrived && arrived <= SET_BACK_PACE * data) {
    const seed = s.backReadings;
    endBackRun(s);
    return seed;
  }
  s.backReadings.push(r);
  if (s.backReadings.length > window - 1) s.backReadings.shift();
  return undefined;
}
