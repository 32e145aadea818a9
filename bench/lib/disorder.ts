/**
 * How out of order a stream arrived: for each reading delivered for the first time after a newer one, how long
 * a reorder stage would have had to hold readings (vigil's window.reorderMs) for it to be windowed, not dropped.
 * A reading r is saved by a hold of H iff it arrives less than H after the first arrival of any reading stamped
 * after it (that reading, or one stamped later still, is released when its hold ends).
 */

/** One delivery: the reading's timestamp and when it arrived (ms). */
export interface Delivery {
  ts: number;
  at: number;
}

/** Disorder of a delivery sequence. */
export interface Disorder {
  /** Distinct readings delivered. */
  distinct: number;
  /** Deliveries repeating a reading already delivered. */
  repeats: number;
  /** Distinct readings first delivered after a newer one (an in-order consumer drops them). */
  late: number;
  /** For each late one, the hold (ms) that would have saved it, ascending. */
  holdMs: number[];
}

/** Measure the disorder of `deliveries`, in arrival order. */
export function disorderOf(deliveries: readonly Delivery[]): Disorder {
  const seen = new Set<number>();
  // Each time the newest timestamp so far grows: (that timestamp, when it arrived), increasing in both.
  const newest: Delivery[] = [];
  const holdMs: number[] = [];
  let repeats = 0;
  for (const d of deliveries) {
    if (seen.has(d.ts)) {
      repeats++;
      continue;
    }
    seen.add(d.ts);
    if (newest.length === 0 || d.ts > newest[newest.length - 1].ts) {
      newest.push(d);
      continue;
    }
    // The first arrival stamped after d: binary search for the first newest-so-far above d.ts.
    let lo = 0;
    let hi = newest.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newest[mid].ts > d.ts) hi = mid;
      else lo = mid + 1;
    }
    holdMs.push(d.at - newest[lo].at);
  }
  holdMs.sort((a, b) => a - b);
  return { distinct: seen.size, repeats, late: holdMs.length, holdMs };
}
