/**
 * A scheduler whose clock stops while the QoS 1 intake is held (runtime/mqtt/intake-gate.ts), or, with a persistent
 * session, the broker is away (intake.ts `stillness`): the reorder stage holds a reading `reorderMs` of this clock for
 * older ones to arrive, and meanwhile they cannot. On the wall clock a hold longer than `reorderMs` let such a reading
 * go before its block-mates were read from the socket, which then came out of order: dropped, counted as missing
 * upstream too, and signalled as a clock set back (a probe: a shuffled burst at QoS 1 behind a slow model). Timers
 * still run on `base`; one that comes due while the clock is stopped finds nothing due and waits again, at least
 * `HELD_POLL_MS` while it is stopped (a review: a hold that began with a millisecond left re-armed the timer every
 * millisecond). The intake is never held for what the reorder
 * stage holds (the gate weighs only the windows cut: intake-pressure.ts), so a stopped clock cannot keep it held.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { ioFirst } from './io-first.ts';
import type { IntakeGate } from '../mqtt/intake-gate.ts';

/**
 * The live runtime's reorder clock: the wall clock less the time `still` says nothing could arrive, its holds ending
 * after the readings already in the socket are read (io-first.ts).
 */
export function intakeClock(still: Pick<IntakeGate, 'paused' | 'pausedMs'>): SchedulerLike {
  return ioFirst(pausedClock(asyncScheduler, still));
}

/** The shortest wait of a timer set while the clock is stopped. */
export const HELD_POLL_MS = 50;

/**
 * `base` with its clock less the time `still` says nothing could arrive (the gate's holds, or those and the broker's
 * absences; the current one included).
 */
export function pausedClock(base: SchedulerLike, still: Pick<IntakeGate, 'paused' | 'pausedMs'>): SchedulerLike {
  return {
    now: () => base.now() - still.pausedMs(),
    schedule: ((work: never, delay = 0, state?: never) => base.schedule(work, still.paused ? Math.max(delay, HELD_POLL_MS) : delay, state)) as SchedulerLike['schedule'],
  };
}
