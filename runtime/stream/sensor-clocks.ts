/**
 * What a sensor's timestamps say about its clock, against its readings' arrival and its own past: data that starts
 * over far before a restart's tail (a replayed recording, a reset clock), a reading that jumps well ahead of its
 * arrival, and a clock step back from such a jump (the jump was the wrong clock). The window stage
 * (window-by-sensor.ts) acts on them.
 */
import type { ModelCard } from '../model/card.ts';
import type { SensorState } from './sensor-state.ts';

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
 * Whether a reading stamped `lead` ms ahead of its arrival jumps ahead of its sensor's clock: well ahead of its
 * arrival, and well ahead of the sensor's last reading's lead (not a replay faster than real time, whose lead grows a
 * step at a time, nor the first live reading after a backlog, which is near its arrival). Against a known lead only
 * (a restart's tail gives its last reading's): a sensor whose clock runs ahead all the time never jumps, at its first
 * reading or after a restart (a review: taken for a jump, it lost its restored window and had resent readings judged
 * twice).
 */
export function jumpsAhead(s: Pick<SensorState, 'lead'>, lead: number, card: Pick<ModelCard, 'data'>): boolean {
  const ahead = clockAheadMs(card);
  return lead > ahead && lead - s.lead > ahead;
}

/**
 * A sensor's readings jumped ahead of their arrival (`jumpsAhead`, the jump not yet confirmed by a window of
 * readings) and one now older than its last is stamped `lead` ms ahead of its own arrival, back near the lead before
 * the jump: the jump was the wrong clock (a GPS or RTC glitch), this one is right. Without this, one reading stamped
 * an hour ahead left a probe's sensor unjudged for that hour, every later reading refused as out of order. A sensor
 * whose clock runs ahead all the time, a replay faster than real time and a gateway resending old readings never
 * jumped, so their late readings are refused as before. A glitch that is a sensor's very first reading, or its last
 * before a stop, has no lead before it to go back to: its sensor waits for real time as before.
 */
export function clockStepped(s: Pick<SensorState, 'lead' | 'leadBefore'>, lead: number, card: Pick<ModelCard, 'data'>): boolean {
  const ahead = clockAheadMs(card);
  return lead < s.lead - ahead && lead < s.leadBefore + ahead;
}

/**
 * A reading of lead `lead` (NaN: stamped on arrival, or a restart's tail) was taken: the sensor's lead is now its, and
 * the lead before a jump is kept until a window of `window` readings confirms the new clock. Returns how far the
 * clock jumped when this reading confirms it (ms; 0 otherwise): a clock set forward for good, said (a probe found it
 * unsaid once its step stopped counting as missing readings).
 */
export function keepLead(s: Pick<SensorState, 'lead' | 'leadBefore' | 'rowsSinceReset'>, lead: number, jumped: boolean, window: number): number {
  let confirmed = 0;
  if (jumped) s.leadBefore = s.lead;
  else if (s.rowsSinceReset >= window - 1) {
    if (!Number.isNaN(s.leadBefore) && !Number.isNaN(lead)) confirmed = lead - s.leadBefore;
    s.leadBefore = Number.NaN;
  }
  s.lead = lead;
  return confirmed;
}
