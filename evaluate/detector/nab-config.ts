/**
 * The settings of vigil's NAB detector, one validated, serialisable object. Defaults are the configuration
 * whose scores are committed under bench/results/nab/ (see its README for how they were chosen).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ARCHITECTURES } from '@vigil/train/models/architectures.ts';

/** Detector settings; every field has a default. */
export const NabDetectorConfigSchema = z
  .object({
    /** Window length chosen per file from its sampling interval: cover `hours` of data, clamped to [min, max] rows. */
    window: z.object({ hours: z.number().positive().default(2), min: z.number().int().min(2).default(8), max: z.number().int().min(2).default(48) }).strict().default({ hours: 2, min: 8, max: 48 }),
    /** Extra input channels derived from each row's timestamp: none, time of day, or time of day and week. */
    timeFeatures: z.enum(['none', 'day', 'day+week']).default('none'),
    /**
     * Adaptation on: each file streamed through the runtime with adaptation at its defaults (nab-adapt.ts) instead of
     * scored offline; issue 15's evidence on NAB (docs/adapt.md "Evidence on real data").
     */
    adapt: z.boolean().default(false),
    /** Autoencoder, trained with trainModel on the probationary rows only. */
    model: z
      .object({
        arch: z.enum(ARCHITECTURES).default('dense'),
        hidden: z.array(z.number().int().positive()).default([32]),
        code: z.number().int().positive().default(4),
        epochs: z.number().int().positive().default(40),
        patience: z.number().int().positive().default(8),
        batchSize: z.number().int().positive().default(32),
        learningRate: z.number().positive().default(0.003),
        /** Trailing rows of each window that make its score (1 = the newest row only). */
        span: z.number().int().positive().default(1),
        seed: z.number().int().default(42),
        backend: z.string().default('auto'),
        /**
         * `vigil train --memory` (runtime/scoring/residual-memory.ts), off as by default: turned on for the files whose
         * held-out rows showed no level drift, the corpus scored 63.24 instead of 64.69 (2026-12-05).
         */
        memory: z.enum(['on', 'off']).default('off'),
      })
      .strict()
      .default({ arch: 'dense', hidden: [32], code: 4, epochs: 40, patience: 8, batchSize: 32, learningRate: 0.003, span: 1, seed: 42, backend: 'auto', memory: 'off' }),
    /** Error -> [0,1] calibration, all causal. */
    calibration: z
      .object({
        smooth: z.number().int().positive().default(1),
        /** Half-life of the running error maximum as a fraction of the file length. */
        halfLife: z.number().positive().default(0.3),
        /** Lookback of `keepNewPeaks` as a fraction of the file length (0 = off). */
        peakLookback: z.number().min(0).default(0.01),
        peakDamp: z.number().min(0).max(1).default(0.5),
        /** Spatial novelty tolerance as a fraction of the range seen so far (0 = off). */
        spatialTolerance: z.number().min(0).default(0.02),
      })
      .strict()
      .default({ smooth: 1, halfLife: 0.3, peakLookback: 0.01, peakDamp: 0.5, spatialTolerance: 0.02 }),
  })
  .strict();

/** Resolved detector settings. */
export type NabDetectorConfig = z.output<typeof NabDetectorConfigSchema>;

/** Parse settings (partial objects are filled with defaults); unknown keys and bad values are rejected. */
export function parseNabDetectorConfig(raw: unknown, where = 'NAB detector config'): NabDetectorConfig {
  const r = NabDetectorConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Read settings from a JSON file. */
export function readNabDetectorConfig(file: string): NabDetectorConfig {
  return parseNabDetectorConfig(JSON.parse(readFileSync(file, 'utf8')), file);
}
