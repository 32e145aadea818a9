/**
 * The reorder stage's bounds in the live runtime. The readings it holds were taken in (at QoS 1 acknowledged), and a
 * hold that ends becomes windows at once, past the intake gate, which weighs only the windows cut: so it holds at
 * most what the memory bound has room for above the gate's pause mark, less a micro-batch on its way. Past that it
 * lets the reading due soonest go early, in order ("a bound costs order, never data"). Before, a burst in shuffled
 * blocks, or a broker's redelivery after a restart, was held uncounted and shed as queue_full when let go (a probe:
 * 9,571 of 19,933 windows, with batch.maxPendingBytes at 1 MiB). With the defaults and up to about 11 channels nothing
 * is lowered.
 */

/** The config the bounds are drawn from. */
interface ReorderLimitsInput {
  window: { reorderMaxReadings: number; reorderMaxPerSensor: number };
  batch: { maxPendingBytes: number; pauseIntakeAt: number; size: number };
  /** What a held reading will take as a waiting window (infer-batches.ts `pendingViewBytes`). */
  heldBytes: number;
}

/** The bounds to run by, and whether the room above the pause mark lowered them. */
export function reorderLimits({ window, batch, heldBytes }: ReorderLimitsInput): { reorderMaxReadings: number; reorderMaxPerSensor: number; lowered: boolean } {
  const room = Math.max(1, Math.floor((batch.maxPendingBytes * (1 - batch.pauseIntakeAt)) / heldBytes) - batch.size);
  const reorderMaxReadings = Math.min(window.reorderMaxReadings, room);
  const reorderMaxPerSensor = Math.min(window.reorderMaxPerSensor, reorderMaxReadings);
  return { reorderMaxReadings, reorderMaxPerSensor, lowered: reorderMaxReadings < window.reorderMaxReadings };
}
