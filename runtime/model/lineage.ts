/** The model card's `lineage` section (card.ts), written by `vigil adapt` (train/adapt/lineage.ts). */
import { z } from 'zod';

/** Before and after of one validation figure of an adaptation. */
const BeforeAfterSchema = z.object({ before: z.number(), after: z.number() });

/**
 * Where an adapted model came from (`vigil adapt`, train/adapt/): the model it was fine-tuned from, the data, and
 * the checks it passed before it was written. Absent on a model trained from scratch.
 */
export const LineageSchema = z.object({
  parent: z.object({ version: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  reason: z.string(),
  data: z.object({
    /** The recent rows: file, first and last timestamp (ISO), row count, windows fine-tuned on and held back. */
    recent: z.object({ file: z.string(), from: z.string(), to: z.string(), rows: z.number().int().nonnegative(), fitWindows: z.number().int().nonnegative(), heldOutWindows: z.number().int().nonnegative() }),
    /** Windows of the original training data replayed beside them, and its validation windows checked. */
    replay: z.object({ file: z.string(), windows: z.number().int().nonnegative(), validationWindows: z.number().int().nonnegative() }),
    canaries: z.object({ file: z.string(), events: z.number().int().nonnegative(), windows: z.number().int().nonnegative() }).optional(),
  }),
  fineTune: z.object({ epochs: z.number().int().positive(), learningRate: z.number().positive(), batchSize: z.number().int().positive(), seed: z.number().int(), weightChange: z.number().nonnegative(), maxWeightChange: z.number().positive().optional(), engine: z.string().optional() }),
  validation: z.object({
    /** Mean squared reconstruction error (scaled units) on the held-back recent windows. */
    recentError: BeforeAfterSchema,
    /** The same on the original validation windows, and the largest rise allowed (after <= before x (1 + maxRise)). */
    originalError: BeforeAfterSchema.extend({ maxRise: z.number().nonnegative() }),
    /** Share of recent held-back windows above the threshold of each model. */
    recentFlagged: BeforeAfterSchema,
    /**
     * The static threshold of each model; with the original validation windows' median score under each (`typical`)
     * and the most the bar may rise against it (`maxRise`: after / typical.after <= maxRise x before / typical.before).
     * Absent in lineages written before them.
     */
    threshold: BeforeAfterSchema.extend({ typical: BeforeAfterSchema.optional(), maxRise: z.number().positive().optional() }),
    /** Per canary event: share of its windows above each model's threshold, and the share required. */
    canaries: z.array(BeforeAfterSchema.extend({ from: z.string(), to: z.string(), windows: z.number().int().positive(), required: z.number() })),
    /**
     * The anchor check (train/adapt/anchor.ts): the version serving `ageMs` of data time before the recent data, the
     * end of its data, the share of the recent windows it flags and the most allowed. Absent with --anchor-age 0.
     */
    anchor: z.object({ version: z.string().min(1), dataTo: z.string().nullable(), ageMs: z.number().nonnegative(), flagged: z.number().min(0).max(1), maxShare: z.number().min(0).max(1) }).optional(),
  }),
});
/** An adapted model's lineage. */
export type Lineage = z.infer<typeof LineageSchema>;
