/**
 * The reorder stage's bounds in the live runtime at QoS 1. The readings it holds were acknowledged, and a hold that
 * ends becomes windows at once, past the intake gate, which weighs only the windows cut: so it holds at most what the
 * memory bound has room for above the gate's pause mark, less a micro-batch on its way. Past that it lets the reading
 * due soonest go early, in order (an older block-mate that comes after it is then dropped: counted once, missing with
 * the gap the early one left, data-gaps.ts `lateIntoGap`, or out of order). Before, a burst in shuffled blocks, or a
 * broker's redelivery after a restart, was held uncounted and shed as queue_full when let go (a probe: 9,571 of 19,933
 * windows, with batch.maxPendingBytes at 1 MiB). With the defaults nothing is lowered up to 23 channels at stride 1.
 * At QoS 0 nothing is held back for the broker to keep, and the bounds are left as configured.
 */

/** The fewest readings the reorder stage may hold (a config with no room above its pause mark still reorders a little). */
export const LEAST_REORDER_READINGS = 64;

/** The config the bounds are drawn from. */
interface ReorderLimitsInput {
  qos: number;
  window: { reorderMaxReadings: number; reorderMaxPerSensor: number; stride: number };
  batch: { maxPendingBytes: number; pauseIntakeAt: number; size: number };
  /** What a waiting window takes (infer-batches.ts `pendingViewBytes` at the window's stride): a reading is 1/stride of one. */
  windowBytes: number;
}

/** The bounds to run by, and whether the room above the pause mark lowered them. */
export function reorderLimits({ qos, window, batch, windowBytes }: ReorderLimitsInput): { reorderMaxReadings: number; reorderMaxPerSensor: number; lowered: boolean } {
  const { reorderMaxReadings: most, reorderMaxPerSensor: perSensor } = window;
  if (qos < 1) return { reorderMaxReadings: most, reorderMaxPerSensor: perSensor, lowered: false };
  const perReading = windowBytes / window.stride;
  const room = Math.floor((batch.maxPendingBytes * (1 - batch.pauseIntakeAt) - batch.size * windowBytes) / perReading);
  const reorderMaxReadings = Math.min(most, Math.max(LEAST_REORDER_READINGS, room));
  const reorderMaxPerSensor = Math.min(perSensor, reorderMaxReadings);
  return { reorderMaxReadings, reorderMaxPerSensor, lowered: reorderMaxReadings < most };
}
