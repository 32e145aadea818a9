/** Config section `batch`: micro-batching, backlog scheduling and the memory bound on waiting windows. */
import { z } from 'zod';
import { ms, removed } from './fields.ts';

/**
 * Micro-batching, backlog scheduling and the memory bound on waiting windows. The defaults live here; createPipeline
 * and inferBatches fall back to `BATCH_DEFAULTS` only when used without a config (tests, `vigil score`).
 */
export const BatchSchema = z
  .object({
    /** Flush a micro-batch at this many windows ... */
    size: z.number().int().positive().max(65536).default(64),
    /**
     * ... or this long after its first window: the latency budget a window may wait for others to share its model
     * call. 5 ms (it was 2): bench/sustained.ts at 1,000 sensors measured 24 % less CPU per reading at 2k/s (batches
     * of 12 instead of 5.5) and 13 % less at 10k/s (53 instead of 24), for about 2 ms more median publish -> alert.
     * 10 ms (it was 5), with adaptiveWait: at 100 sensors, 6 alternated runs on a shared 2-core machine, 9 % less
     * CPU per reading at 2k/s (batches of 23 instead of 12.5; vigil / bare subscriber 3.91x -> 3.28x) and 11 % less
     * at 5k/s (57 instead of 33; 3.48x -> 3.00x), for 3.5 ms more median publish -> alert at 2k/s (6.9 -> 10.4 ms).
     * At 10k/s a batch fills to `size` by 6.4 ms (1.4 ms more than before), at 20k/s by 3.2 ms (as before).
     */
    maxWaitMs: ms('batch wait').default(10),
    /**
     * Spend the budget only where it buys a shared model call: a batch goes before maxWaitMs when, at the rate
     * windows arrive (their mean gap), the next would not come within what is left of it. Windows that come less
     * often than the budget on average are then scored as they come (with what else the same socket read brought)
     * instead of waiting the budget out alone, so the budget can be long enough to amortise each call's fixed cost
     * at busy rates. false: always wait maxWaitMs (or size).
     */
    adaptiveWait: z.boolean().default(true),
    /**
     * Largest batch sent to the model when windows queued up during the previous call (batches grow under load).
     * `auto` (default): by the provider that runs the model (runtime/inference/max-batch.ts `maxBatchFor`): 256 on the
     * CPU providers, 4,096 on the device ones.
     */
    maxBatch: z.union([z.number().int().positive().max(65536), z.literal('auto')]).default('auto'),
    /**
     * Memory the windows waiting for inference may take, in bytes (a waiting window is a view into its sensor's rows: about 320 B plus twice the rows it adds). Backlogs are
     * scored, one lane per sensor served round-robin; only a window that would pass this bound sheds the oldest
     * window of the longest backlog (counted as vigil_dropped_total{reason="queue_full"}, logged at most every 10 s).
     * 32 MiB holds a 10,000-reading burst of one sensor at window 64 x 2 channels (1,152 B each, 11.5 MB) 2.9 times over.
     */
    maxPendingBytes: z.number().int().min(4096, 'expected at least 4096 bytes').default(32 * 1024 * 1024),
    /**
     * QoS 1 back-pressure (runtime/mqtt/intake-gate.ts): at this share of maxPendingBytes waiting, or of stopDrainMs
     * of scoring at the recent pace (runtime/ops/intake-pressure.ts), stop reading the broker's socket (the held
     * message's PUBACK waits, the broker queues the rest); resume at resumeIntakeAt of both. The share above
     * pauseIntakeAt holds the windows already on their way (a micro-batch) before anything is shed.
     */
    pauseIntakeAt: z.number().gt(0).max(1, 'expected a share of batch.maxPendingBytes and of batch.stopDrainMs in (0, 1]').default(0.5),
    resumeIntakeAt: z.number().min(0).lt(1, 'expected a share of batch.maxPendingBytes and of batch.stopDrainMs in [0, 1)').default(0.25),
    /**
     * At a stop (SIGINT/SIGTERM), how long the windows already cut may take to be scored before vigil goes on
     * without them (counted as vigil_dropped_total{reason="abandoned"}, logged). Their readings were taken in (at QoS 1
     * acknowledged); nothing after the stop is. 5 s fits `docker stop`'s 10 s grace; under systemd (TimeoutStopSec,
     * 90 s by default) a slow model's backlog can be given longer. At QoS 1 it also bounds what is acknowledged
     * ahead of scoring: the intake is held at pauseIntakeAt of it (what a crash can lose).
     */
    stopDrainMs: ms('stop drain').default(5000),
    maxPending: removed('batch.maxPending'),
    maxPendingPerSensor: removed('batch.maxPendingPerSensor'),
  })
  .strict()
  .refine((b) => b.resumeIntakeAt < b.pauseIntakeAt, { message: 'resumeIntakeAt must be below pauseIntakeAt', path: ['resumeIntakeAt'] });

/** The `batch` section's defaults, for the stages when they are used without a config. */
export const BATCH_DEFAULTS = BatchSchema.parse({});
