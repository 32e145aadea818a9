/**
 * The two maps every per-sensor bank keeps (what it holds live, and saved states waiting to be restored on a
 * sensor's first sight), and what a fleet hand-over does to them: take states for sensors not held yet, and drop
 * the sensors of a partition given away. One implementation for the threshold, alert and residual banks.
 */

/** Put `states` into `saved` for sensors `held` does not have; returns how many were taken. */
export function adoptStates<S>(held: ReadonlyMap<string, unknown>, saved: Map<string, S>, states: Record<string, S>): number {
  let n = 0;
  for (const [sensor, state] of Object.entries(states)) {
    if (held.has(sensor)) continue;
    saved.set(sensor, state);
    n++;
  }
  return n;
}

/** Delete the sensors `which` selects from every map; returns how many entries went. */
export function forgetSensors(maps: readonly Map<string, unknown>[], which: (sensor: string) => boolean): number {
  let n = 0;
  for (const m of maps) {
    for (const sensor of [...m.keys()]) {
      if (which(sensor)) {
        m.delete(sensor);
        n++;
      }
    }
  }
  return n;
}

/** `{ sensor: state }` for each of `sensors` whose `stateOf` is defined, in that order: a bank's snapshot, one sensor at a time. */
export function collectBy<S>(sensors: Iterable<string>, stateOf: (sensor: string) => S | undefined): Record<string, S> {
  const out: Record<string, S> = {};
  for (const sensor of sensors) {
    const s = stateOf(sensor);
    if (s !== undefined) out[sensor] = s;
  }
  return out;
}

/**
 * The sensors a bank saves: saved ones not seen yet, then the held ones, least recently seen first; at most `max`,
 * the held ones first and then the saved ones saved last. Without the bound, sensors restored but never seen again
 * were written back by every save, and a gateway whose sensor names change grew its state file by a run's worth of
 * sensors at every restart.
 */
export function savedThenHeld(saved: ReadonlyMap<string, unknown>, held: ReadonlyMap<string, unknown>, max = Number.POSITIVE_INFINITY): string[] {
  const waiting: string[] = [];
  for (const s of saved.keys()) if (!held.has(s)) waiting.push(s);
  const room = Math.max(0, max - held.size);
  const out = waiting.length > room ? waiting.slice(waiting.length - room) : waiting;
  for (const s of held.keys()) out.push(s);
  return out;
}
